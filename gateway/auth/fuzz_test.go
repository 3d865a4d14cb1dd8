package auth

import (
	"errors"
	"testing"
)

// FuzzSCRAM feeds arbitrary client messages to the server side: it must
// never panic, never accept, and fail only with ErrMalformed or
// ErrAuthFailed.
func FuzzSCRAM(f *testing.F) {
	f.Add(SCRAMSHA256, []byte(rfcClientFirst), []byte(rfcClientFinal), false)
	f.Add(SCRAMSHA256Plus, []byte("p=tls-server-end-point,,n=,r=abc"), []byte("c=cD10bHMtc2VydmVyLWVuZC1wb2ludCwsY2VydA==,r=abc,p=AAAA"), true)
	f.Add(SCRAMSHA256, []byte("y,,n=,r=x"), []byte("c=eSws,r=x,e=1,p="), false)
	f.Add("", []byte(""), []byte(",p=,p=,p="), true)
	u, err := NewUsers([]Entry{{Name: "user", Password: "pencil"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, mech string, first, final []byte, tls bool) {
		var cbind []byte
		if tls {
			cbind = []byte("cert")
		}
		s := u.NewSCRAM("user", cbind)
		if _, err := s.Start(mech, first); err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("Start: %v", err)
			}
			return
		}
		_, err := s.Finish(final)
		if err == nil {
			t.Fatal("a random proof was accepted")
		}
		if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrAuthFailed) {
			t.Fatalf("Finish: %v", err)
		}
	})
}

// FuzzParseVerifier checks that any string either fails to parse or
// round-trips.
func FuzzParseVerifier(f *testing.F) {
	f.Add(NewVerifier("x").String())
	f.Add("SCRAM-SHA-256$4096:c2FsdA==$AAAA:AAAA")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVerifier(s)
		if err != nil {
			return
		}
		w, err := ParseVerifier(v.String())
		if err != nil || w.String() != v.String() {
			t.Fatalf("%q parsed but does not round-trip: %v", s, err)
		}
	})
}

package auth

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// RFC 7677 section 3: user "user", password "pencil".
const (
	rfcSalt        = "W22ZaJ0SNY7soEsUEjb6gQ=="
	rfcClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
	rfcServerFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096"
	rfcClientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
	rfcServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
)

func rfcUsers(t *testing.T) *Users {
	t.Helper()
	salt, _ := base64.StdEncoding.DecodeString(rfcSalt)
	u, err := NewUsers([]Entry{{Name: "user", Verifier: DeriveVerifier("pencil", salt, 4096).String()}})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// rfcStart runs Start and pins the server nonce to the RFC's.
func rfcStart(t *testing.T, u *Users, user string) *SCRAM {
	t.Helper()
	s := u.NewSCRAM(user, nil)
	if _, err := s.Start(SCRAMSHA256, []byte(rfcClientFirst)); err != nil {
		t.Fatal(err)
	}
	s.nonce = "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
	s.serverFirst = "r=" + s.nonce + ",s=" + base64.StdEncoding.EncodeToString(s.v.Salt) + ",i=4096"
	return s
}

func TestSCRAMRFC7677(t *testing.T) {
	u := rfcUsers(t)
	s := rfcStart(t, u, "user")
	if s.serverFirst != rfcServerFirst {
		t.Fatalf("server-first %q, want %q", s.serverFirst, rfcServerFirst)
	}
	final, err := s.Finish([]byte(rfcClientFinal))
	if err != nil {
		t.Fatal(err)
	}
	if string(final) != rfcServerFinal {
		t.Errorf("server-final %q, want %q", final, rfcServerFinal)
	}
}

func TestSCRAMWrongProofAndUnknownUser(t *testing.T) {
	u := rfcUsers(t)
	bad := strings.Replace(rfcClientFinal, "p=dHzb", "p=dHzc", 1)
	if _, err := rfcStart(t, u, "user").Finish([]byte(bad)); !errors.Is(err, ErrAuthFailed) {
		t.Errorf("wrong proof: %v", err)
	}
	// The right proof for another user name fails the same way: the
	// verifier is looked up by the connection's user, not the SCRAM one.
	s := u.NewSCRAM("nobody", nil)
	first, err := s.Start(SCRAMSHA256, []byte(rfcClientFirst))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := u.NewSCRAM("nobody", nil).Start(SCRAMSHA256, []byte(rfcClientFirst))
	salt := func(m []byte) string { _, after, _ := strings.Cut(string(m), ",s="); return after }
	if salt(first) != salt(again) {
		t.Errorf("an unknown user's salt changes between attempts: %q vs %q", first, again)
	}
	if _, err := s.Finish([]byte("c=biws,r=" + s.nonce + ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=")); !errors.Is(err, ErrAuthFailed) {
		t.Errorf("unknown user: %v", err)
	}
}

func TestSCRAMMalformed(t *testing.T) {
	u := rfcUsers(t)
	cbind := []byte("certificate-hash")
	for _, tc := range []struct {
		name, mech, first string
		cbind             []byte
	}{
		{"unknown mechanism", "PLAIN", rfcClientFirst, nil},
		{"PLUS without TLS", SCRAMSHA256Plus, "p=tls-server-end-point,,n=,r=abc", nil},
		{"binding data without PLUS", SCRAMSHA256, "p=tls-server-end-point,,n=,r=abc", cbind},
		{"PLUS without binding data", SCRAMSHA256Plus, "n,,n=,r=abc", cbind},
		{"downgrade", SCRAMSHA256, "y,,n=,r=abc", cbind},
		{"other binding type", SCRAMSHA256Plus, "p=tls-unique,,n=,r=abc", cbind},
		{"authzid", SCRAMSHA256, "n,a=admin,n=,r=abc", nil},
		{"mandatory extension", SCRAMSHA256, "n,,m=x,n=,r=abc", nil},
		{"no nonce", SCRAMSHA256, "n,,n=user", nil},
		{"bad nonce", SCRAMSHA256, "n,,n=,r=a\x01b", nil},
		{"bad flag", SCRAMSHA256, "x,,n=,r=abc", nil},
		{"empty", SCRAMSHA256, "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := u.NewSCRAM("user", tc.cbind).Start(tc.mech, []byte(tc.first)); !errors.Is(err, ErrMalformed) {
				t.Errorf("got %v, want ErrMalformed", err)
			}
		})
	}
	for _, final := range []string{
		"",
		"c=biws,r=wrongnonce,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		"c=eSws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=short",
		"c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
	} {
		if _, err := rfcStart(t, u, "user").Finish([]byte(final)); !errors.Is(err, ErrMalformed) {
			t.Errorf("client-final %q: got %v, want ErrMalformed", final, err)
		}
	}
	s := rfcStart(t, u, "user")
	if _, err := s.Finish([]byte(rfcClientFinal)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Finish([]byte(rfcClientFinal)); !errors.Is(err, ErrMalformed) {
		t.Errorf("second Finish: %v", err)
	}
}

func TestSCRAMChannelBinding(t *testing.T) {
	u := rfcUsers(t)
	cbind := []byte("certificate-hash")
	run := func(presented []byte) error {
		s := u.NewSCRAM("user", cbind)
		if _, err := s.Start(SCRAMSHA256Plus, []byte("p=tls-server-end-point,,n=user,r=rOprNGfwEbeRWgbNEkqO")); err != nil {
			t.Fatal(err)
		}
		// Compute a real client proof for this exchange.
		c := "c=" + base64.StdEncoding.EncodeToString(append([]byte("p=tls-server-end-point,,"), presented...)) + ",r=" + s.nonce
		auth := "n=user,r=rOprNGfwEbeRWgbNEkqO," + s.serverFirst + "," + c
		salted := saltedPassword("pencil", s.v.Salt, s.v.Iterations)
		clientKey := hmacBytes(salted, []byte("Client Key"))
		sig := hmacBytes(s.v.StoredKey[:], []byte(auth))
		proof := make([]byte, len(clientKey))
		for i := range proof {
			proof[i] = clientKey[i] ^ sig[i]
		}
		_, err := s.Finish([]byte(c + ",p=" + base64.StdEncoding.EncodeToString(proof)))
		return err
	}
	if err := run(cbind); err != nil {
		t.Errorf("matching channel binding: %v", err)
	}
	if err := run([]byte("another-certificate")); !errors.Is(err, ErrAuthFailed) {
		t.Errorf("channel binding of another certificate: %v", err)
	}
}

func TestVerifierFormat(t *testing.T) {
	salt, _ := base64.StdEncoding.DecodeString(rfcSalt)
	s := DeriveVerifier("pencil", salt, 4096).String()
	p, err := ParseVerifier(s)
	if err != nil {
		t.Fatal(err)
	}
	if p.String() != s || !p.Check("pencil") || p.Check("pencil ") || p.Check("") {
		t.Errorf("round trip of %s: %+v", s, p)
	}
	for _, bad := range []string{
		"", "md5abc", "SCRAM-SHA-256$4096:c2FsdA==", "SCRAM-SHA-256$100:c2FsdA==$" + strings.Repeat("A", 43) + "=:" + strings.Repeat("A", 43) + "=",
		"SCRAM-SHA-256$4096:!!$" + strings.Repeat("A", 43) + "=:" + strings.Repeat("A", 43) + "=",
		"SCRAM-SHA-256$4096:c2FsdA==$AAAA:AAAA",
	} {
		if _, err := ParseVerifier(bad); !errors.Is(err, ErrBadVerifier) {
			t.Errorf("ParseVerifier(%q): %v", bad, err)
		}
	}
}

func TestNewUsers(t *testing.T) {
	u, err := NewUsers([]Entry{{Name: "alice", Password: "wonderland"}, {Name: "bob", Verifier: NewVerifier("builder").String()}})
	if err != nil {
		t.Fatal(err)
	}
	if u.CheckPassword("alice", "wonderland") != nil || u.CheckPassword("bob", "builder") != nil {
		t.Error("right passwords refused")
	}
	for _, c := range [][2]string{{"alice", "builder"}, {"bob", ""}, {"carol", "wonderland"}, {"", ""}} {
		if err := u.CheckPassword(c[0], c[1]); !errors.Is(err, ErrAuthFailed) {
			t.Errorf("CheckPassword(%q, %q) = %v", c[0], c[1], err)
		}
	}
	for _, bad := range [][]Entry{
		{{Name: "", Password: "x"}},
		{{Name: "a", Password: "x"}, {Name: "a", Password: "y"}},
		{{Name: "a"}},
		{{Name: "a", Password: "x", Verifier: "y"}},
		{{Name: "a", Verifier: "SCRAM-SHA-256$nope"}},
	} {
		if _, err := NewUsers(bad); err == nil {
			t.Errorf("NewUsers(%v) accepted", bad)
		} else if strings.Contains(err.Error(), "x") && bad[0].Password == "x" && strings.Contains(err.Error(), `"x"`) {
			t.Errorf("error shows the password: %v", err)
		}
	}
	e := Entry{Name: "alice", Password: "wonderland"}
	for _, s := range []string{e.String(), e.GoString(), e.LogValue().String()} {
		if strings.Contains(s, "wonderland") {
			t.Errorf("entry printed with its password: %s", s)
		}
	}
}

func TestNormalizePassword(t *testing.T) {
	for in, want := range map[string]string{
		"pencil":               "pencil",
		"with space":           "with space",
		"I\u2163":              "I\u2163",         // no compatibility mapping in OpaqueString
		"a\u00a0b":             "a b",             // non-ASCII space to ASCII space
		"\u0041\u030a":         "\u00c5",          // NFC
		"bad\x00":              "bad\x00",         // ASCII is never changed
		"ctl\u0085\u00e9":      "ctl\u0085\u00e9", // control character: used as is
		"unassigned\U000E0080": "unassigned\U000E0080",
	} {
		if got := NormalizePassword(in); got != want {
			t.Errorf("NormalizePassword(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkCheckPassword is the cost of one Flight SQL Basic login (and of
// the client side of one SCRAM exchange): one PBKDF2 at 4096 iterations.
func BenchmarkCheckPassword(b *testing.B) {
	u, err := NewUsers([]Entry{{Name: "alice", Password: "wonderland"}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if u.CheckPassword("alice", "wonderland") != nil {
			b.Fatal("refused")
		}
	}
}

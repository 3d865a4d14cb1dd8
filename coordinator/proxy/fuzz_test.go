package proxy

import (
	"bytes"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

// FuzzStartupPacket feeds arbitrary bytes to the startup packet reader and
// the parameter layout check: they return an error or a packet, never
// panic, and a packet they accept is what PostgreSQL accepts.
func FuzzStartupPacket(f *testing.F) {
	f.Add([]byte{0, 0, 0, 8, 4, 0xd2, 0x16, 0x2f})
	f.Add([]byte("\x00\x00\x00\x13\x00\x03\x00\x00user\x00bob\x00\x00"))
	f.Add([]byte{0, 0, 0, 3})
	f.Add([]byte("\x00\x00\x00\x0e\x00\x03\x00\x00user\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		body, err := readStartupPacket(bytes.NewReader(b))
		if err != nil {
			return
		}
		if len(body) < 4 || len(body) > maxStartupPacket-4 {
			t.Fatalf("accepted a body of %d bytes", len(body))
		}
		if checkStartupParams(body[4:]) == nil {
			// Accepted parameters: NUL-terminated pairs and a final NUL.
			if n := bytes.Count(body[4:], []byte{0}); n%2 != 1 {
				t.Fatalf("accepted %q with %d NULs", body[4:], n)
			}
		}
	})
}

// FuzzIsFatal checks the ErrorResponse severity scan on arbitrary bodies
// and against pgproto3's encoding.
func FuzzIsFatal(f *testing.F) {
	f.Add([]byte("SFATAL\x00VFATAL\x00C08006\x00\x00"), "FATAL")
	f.Add([]byte("SERROR\x00\x00"), "ERROR")
	f.Add([]byte("M"), "PANIC")
	f.Fuzz(func(t *testing.T, body []byte, sev string) {
		_ = isFatal(body)
		if bytes.IndexByte([]byte(sev), 0) >= 0 {
			return
		}
		msg, err := (&pgproto3.ErrorResponse{Severity: sev, Code: "XX000", Message: "m"}).Encode(nil)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := isFatal(msg[5:]), sev == "FATAL" || sev == "PANIC"; got != want {
			t.Fatalf("isFatal(severity %q) = %v", sev, got)
		}
	})
}

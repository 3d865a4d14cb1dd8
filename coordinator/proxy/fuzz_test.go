package proxy

import (
	"bytes"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
)

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

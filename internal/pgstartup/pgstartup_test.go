package pgstartup

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"openwit/internal/pgerror"
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
		body, err := ReadPacket(bytes.NewReader(b))
		if err != nil {
			return
		}
		if len(body) < 4 || len(body) > MaxPacket-4 {
			t.Fatalf("accepted a body of %d bytes", len(body))
		}
		if params, err := ParseParams(body[4:]); err == nil {
			// Accepted parameters: NUL-terminated pairs and a final NUL.
			if n := bytes.Count(body[4:], []byte{0}); n%2 != 1 || len(params) > n/2 {
				t.Fatalf("accepted %q with %d NULs as %d parameters", body[4:], n, len(params))
			}
		}
	})
}

// TestReadPacket: the refusals PostgreSQL sends for bad startup packets.
func TestReadPacket(t *testing.T) {
	for _, c := range []struct {
		name, in, params, err string
	}{
		{"missing value", "\x00\x00\x00\x13\x00\x03\x00\x00user\x00bob\x00a\x00", "", "missing value"},
		{"good", "\x00\x00\x00\x12\x00\x03\x00\x00user\x00bob\x00\x00", "map[user:bob]", ""},
		{"short length", "\x00\x00\x00\x03", "", "invalid length of startup packet"},
		{"long length", "\x00\x01\x00\x00", "", "invalid length of startup packet"},
		{"no terminator", "\x00\x00\x00\x0c\x00\x03\x00\x00user", "", "expected terminator"},
		{"truncated", "\x00\x00\x00\x10\x00\x03", "", "closed"},
	} {
		body, err := ReadPacket(bytes.NewReader([]byte(c.in)))
		var params map[string]string
		if err == nil {
			params, err = ParseParams(body[4:])
		}
		switch {
		case c.err == "closed":
			if !errors.Is(err, ErrClosed) {
				t.Errorf("%s: %v, want ErrClosed", c.name, err)
			}
		case c.err != "":
			pe := pgerror.As(err)
			if err == nil || pe.Code != pgerror.ProtocolViolation || pe.Severity != "FATAL" || !bytes.Contains([]byte(pe.Message), []byte(c.err)) {
				t.Errorf("%s: %v, want FATAL 08P01 %q", c.name, err, c.err)
			}
		default:
			if err != nil || fmt.Sprint(params) != c.params {
				t.Errorf("%s: %v %v, want %s", c.name, params, err, c.params)
			}
		}
	}
}

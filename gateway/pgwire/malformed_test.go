package pgwire

import (
	"encoding/binary"
	"runtime"
	"strings"
	"testing"
)

// msgBytes frames a typed message by hand.
func msgBytes(typ byte, body []byte) []byte {
	b := []byte{typ}
	b = binary.BigEndian.AppendUint32(b, uint32(4+len(body)))
	return append(b, body...)
}

func TestMalformedInput(t *testing.T) {
	ts := startServer(t, func(c *Config) { c.MaxMessageSize = 1 << 20 })
	validStartup := startupPacket(3<<16, startupParams("user", "openwit"))
	tests := []struct {
		name    string
		startup bool   // complete a valid startup first
		input   []byte // then send this
		want    string // prefix of the first message after startup
	}{
		{"garbage startup", false, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "ErrorResponse FATAL 08P01 invalid length of startup packet"},
		{"startup length 2 GiB", false, []byte{0x80, 0, 0, 0, 0, 3, 0, 0}, "ErrorResponse FATAL 08P01 invalid length of startup packet"},
		{"startup length 2 GiB - 1", false, []byte{0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 0}, "ErrorResponse FATAL 08P01 invalid length of startup packet"},
		{"startup too short", false, []byte{0, 0, 0, 4}, "ErrorResponse FATAL 08P01 invalid length of startup packet"},
		{"unknown startup code", false, startupPacket(1234, nil), "ErrorResponse FATAL 08P01 unsupported frontend protocol 0.1234"},
		{"unterminated startup params", false, startupPacket(3<<16, []byte("user\x00openwit")), "ErrorResponse FATAL 08P01 invalid startup packet layout"},
		{"startup key without value", false, startupPacket(3<<16, []byte("user\x00")), "ErrorResponse FATAL 08P01 invalid startup packet layout"},
		{"ssl request with body", false, startupPacket(sslRequestCode, []byte{1}), "ErrorResponse FATAL 08P01 invalid encryption negotiation request"},
		{"message length 2 GiB", true, []byte{'Q', 0x7f, 0xff, 0xff, 0xff}, "ErrorResponse FATAL 54000 message of 2147483643 bytes exceeds the limit of 1048576 bytes"},
		{"negative message length", true, []byte{'Q', 0x80, 0, 0, 0}, "ErrorResponse FATAL 08P01 invalid frontend message"},
		{"message length below 4", true, []byte{'Q', 0, 0, 0, 3}, "ErrorResponse FATAL 08P01 invalid frontend message"},
		{"unknown message type", true, msgBytes('z', []byte("hello")), "ErrorResponse FATAL 08P01 invalid frontend message: unknown message type: z"},
		{"truncated bind", true, msgBytes('B', []byte("\x00stmt\x00\x00\x01")), "ErrorResponse FATAL 08P01 invalid frontend message"},
		{"bind with parameter past the end", true, msgBytes('B', []byte("\x00\x00\x00\x00\x00\x01\x00\x00\x00\x10ab\x00\x00")), "ErrorResponse FATAL 08P01 invalid frontend message"},
		{"execute without max rows", true, msgBytes('E', []byte("\x00")), "ErrorResponse FATAL 08P01 invalid frontend message"},
		{"password message after startup", true, msgBytes('p', []byte("secret\x00")), "ErrorResponse FATAL 08P01 unexpected PasswordMessage message after startup"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			c := dialRaw(t, ts.addr)
			if tt.startup {
				c.writeRaw(validStartup)
				if msgs := c.readUntilReady(); msgs[len(msgs)-1] != "ReadyForQuery I" {
					t.Fatalf("startup: %v", msgs)
				}
			}
			c.writeRaw(tt.input)
			got := c.readAll()
			if len(got) != 2 || !strings.HasPrefix(got[0], tt.want) || got[1] != "EOF" {
				t.Errorf("got %q\nwant [%q..., EOF]", got, tt.want)
			}
			var after runtime.MemStats
			runtime.ReadMemStats(&after)
			if grown := after.TotalAlloc - before.TotalAlloc; grown > 64<<20 {
				t.Errorf("allocated %d bytes handling %s", grown, tt.name)
			}
			// The server keeps serving.
			c2 := connectRaw(t, ts.addr)
			if got := c2.query("select 1"); got[len(got)-2] != "CommandComplete SELECT 1" {
				t.Errorf("new connection: %q", got)
			}
		})
	}
}

func TestStartupClosedEarly(t *testing.T) {
	ts := startServer(t)
	for _, input := range [][]byte{nil, {0, 0}, {0, 0, 0, 20, 0, 3}} {
		c := dialRaw(t, ts.addr)
		c.writeRaw(input)
		_ = c.nc.Close()
	}
	c := connectRaw(t, ts.addr)
	if got := c.query("select 1"); got[len(got)-2] != "CommandComplete SELECT 1" {
		t.Errorf("got %q", got)
	}
	waitFor(t, "connections to close", func() bool {
		ts.srv.mu.Lock()
		defer ts.srv.mu.Unlock()
		return len(ts.srv.conns) == 1
	})
}

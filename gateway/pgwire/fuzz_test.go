package pgwire

import (
	"context"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgproto3"
)

// panicRecorder is a slog handler that remembers connection-level panics
// (bugs in this package; backend panics are expected in fuzzing).
type panicRecorder struct {
	mu     sync.Mutex
	panics []string
}

func (h *panicRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *panicRecorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *panicRecorder) WithGroup(string) slog.Handler            { return h }
func (h *panicRecorder) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "pgwire connection panic" {
		var detail string
		r.Attrs(func(a slog.Attr) bool {
			detail += a.Key + "=" + a.Value.String() + "\n"
			return true
		})
		h.mu.Lock()
		h.panics = append(h.panics, detail)
		h.mu.Unlock()
	}
	return nil
}

// fuzzSeeds are client streams that reach deep into the state machine.
func fuzzSeeds(t testing.TB) [][]byte {
	enc := func(msgs ...pgproto3.FrontendMessage) []byte {
		var b []byte
		for _, m := range msgs {
			var err error
			if b, err = m.Encode(b); err != nil {
				t.Fatal(err)
			}
		}
		return b
	}
	return [][]byte{
		enc(&pgproto3.Query{String: "select 1"}, &pgproto3.Terminate{}),
		enc(&pgproto3.Query{String: "select types; select series 3; error; select 1"}),
		enc(&pgproto3.Query{String: "begin"}, &pgproto3.Query{String: "error"}, &pgproto3.Query{String: "select 1"}, &pgproto3.Query{String: "rollback"}),
		enc(
			&pgproto3.Parse{Name: "s", Query: "echo int4 text bytea timestamptz numeric uuid interval text[]"},
			&pgproto3.Describe{ObjectType: 'S', Name: "s"},
			&pgproto3.Bind{PreparedStatement: "s", DestinationPortal: "p", ParameterFormatCodes: []int16{0},
				Parameters: [][]byte{[]byte("1"), []byte("x"), []byte(`\x00`), []byte("2020-01-01 00:00:00+00"), []byte("1.5"),
					[]byte("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11"), []byte("1 day"), []byte("{a}")}, ResultFormatCodes: []int16{1}},
			&pgproto3.Describe{ObjectType: 'P', Name: "p"},
			&pgproto3.Execute{Portal: "p", MaxRows: 1},
			&pgproto3.Execute{Portal: "p"},
			&pgproto3.Close{ObjectType: 'P', Name: "p"},
			&pgproto3.Sync{},
		),
		enc(
			&pgproto3.Parse{Query: "select series 10"}, &pgproto3.Bind{}, &pgproto3.Execute{MaxRows: 3},
			&pgproto3.Flush{}, &pgproto3.Execute{MaxRows: 3}, &pgproto3.Sync{},
			&pgproto3.Parse{Query: "error"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Parse{Query: "select 1"}, &pgproto3.Sync{},
		),
		enc(
			&pgproto3.Parse{Name: "b", Query: "echo int8 float8 bool date jsonb"},
			&pgproto3.Bind{PreparedStatement: "b", ParameterFormatCodes: []int16{1},
				Parameters: [][]byte{make([]byte, 8), make([]byte, 8), {1}, make([]byte, 4), []byte("\x01{}")}, ResultFormatCodes: []int16{1}},
			&pgproto3.Execute{}, &pgproto3.Sync{},
		),
		enc(&pgproto3.Query{String: "panic"}, &pgproto3.Query{String: "panicnext"}, &pgproto3.Query{String: "sleep"}),
		enc(&pgproto3.Query{String: "set TimeZone 'Asia/Kolkata'"}, &pgproto3.Query{String: "select types"}),
		enc(&pgproto3.FunctionCall{Function: 1}, &pgproto3.CopyData{Data: []byte("x")}, &pgproto3.Sync{}),
		{'B', 0, 0, 0, 8, 0, 0, 0, 1},
		{'Q', 0x7f, 0xff, 0xff, 0xff},
		[]byte("GET / HTTP/1.1\r\n\r\n"),
	}
}

// fuzzMaxMessage keeps the padding FuzzDecode needs small.
const fuzzMaxMessage = 4096

// FuzzDecode feeds arbitrary bytes to a connection handler as a client
// stream (after a valid startup packet when withStartup is set). The
// handler must neither panic nor hang.
func FuzzDecode(f *testing.F) {
	for _, s := range fuzzSeeds(f) {
		f.Add(true, s)
	}
	f.Add(false, startupPacket(sslRequestCode, nil))
	f.Add(false, append(startupPacket(gssEncRequestCode, nil), startupPacket(3<<16|2, startupParams("user", "u", "_pq_.x", "1"))...))
	f.Add(false, startupPacket(cancelRequestCode, []byte{0, 0, 0, 1, 1, 2, 3, 4}))
	f.Add(false, []byte{0, 0, 0, 8, 0, 2, 0, 0})

	f.Fuzz(func(t *testing.T, withStartup bool, data []byte) {
		rec := &panicRecorder{}
		be := newTestBackend()
		be.sleepMax = 5 * time.Millisecond
		srv, err := NewServer(Config{Backend: be, Trust: true, MaxMessageSize: fuzzMaxMessage, Logger: slog.New(rec)})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		client, server := net.Pipe()
		defer client.Close()
		c := srv.newConn(ctx, server)
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.serve()
		}()
		go func() { _, _ = io.Copy(io.Discard, client) }()

		input := data
		if withStartup {
			input = append(startupPacket(3<<16, startupParams("user", "fuzz")), data...)
		}
		// Zero padding longer than any frame the server accepts: whatever
		// partial frame the input ends in gets completed, and the zeros
		// that follow are an invalid message (or startup packet), so the
		// server must finish the input and close the connection by itself.
		input = append(input, make([]byte, maxStartupPacket+fuzzMaxMessage+5)...)
		_ = client.SetWriteDeadline(time.Now().Add(2 * time.Second))
		_, _ = client.Write(input)
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("connection handler hung on %q", data)
		}
		if len(rec.panics) > 0 {
			t.Fatalf("connection panicked on %q:\n%s", input, rec.panics[0])
		}
		srv.mu.Lock()
		left := len(srv.conns)
		srv.mu.Unlock()
		if left != 0 {
			t.Fatalf("%d connections still tracked", left)
		}
	})
}

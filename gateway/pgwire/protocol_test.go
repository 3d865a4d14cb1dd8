package pgwire

import (
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgproto3"
	"github.com/jackc/pgx/v5/pgtype"
)

func TestStartupParameterStatus(t *testing.T) {
	ts := startServer(t)
	c := dialRaw(t, ts.addr)
	msgs := c.startup(map[string]string{"user": "alice", "database": "db", "application_name": "myapp"})
	want := []string{
		"ParameterStatus server_version=15.0 (OpenWit)",
		"ParameterStatus server_encoding=UTF8",
		"ParameterStatus client_encoding=UTF8",
		"ParameterStatus DateStyle=ISO, MDY",
		"ParameterStatus TimeZone=UTC",
		"ParameterStatus integer_datetimes=on",
		"ParameterStatus standard_conforming_strings=on",
		"ParameterStatus IntervalStyle=postgres",
		"ParameterStatus is_superuser=on",
		"ParameterStatus session_authorization=alice",
		"ParameterStatus application_name=myapp",
	}
	for _, w := range want {
		if !slices.Contains(msgs, w) {
			t.Errorf("missing %q in %v", w, msgs)
		}
	}
	if msgs[0] != "AuthenticationOk" {
		t.Errorf("first message = %q, want AuthenticationOk", msgs[0])
	}
	n := len(msgs)
	if msgs[n-2] != "BackendKeyData" || msgs[n-1] != "ReadyForQuery I" {
		t.Errorf("startup tail = %v", msgs[n-2:])
	}
	ts.be.mu.Lock()
	startup := ts.be.lastStartup
	ts.be.mu.Unlock()
	if startup["user"] != "alice" || startup["database"] != "db" {
		t.Errorf("backend got startup params %v", startup)
	}
}

func TestStartupDefaultsDatabaseToUser(t *testing.T) {
	ts := startServer(t)
	c := dialRaw(t, ts.addr)
	c.startup(map[string]string{"user": "bob"})
	ts.be.mu.Lock()
	defer ts.be.mu.Unlock()
	if got := ts.be.lastStartup["database"]; got != "bob" {
		t.Errorf("database = %q, want bob", got)
	}
}

func TestEncryptionNegotiation(t *testing.T) {
	tests := []struct {
		name  string
		codes []uint32
	}{
		{"ssl", []uint32{sslRequestCode}},
		{"gssenc", []uint32{gssEncRequestCode}},
		{"gssenc then ssl", []uint32{gssEncRequestCode, sslRequestCode}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t)
			c := dialRaw(t, ts.addr)
			for _, code := range tt.codes {
				c.writeRaw(startupPacket(code, nil))
				var b [1]byte
				if _, err := c.nc.Read(b[:]); err != nil || b[0] != 'N' {
					t.Fatalf("reply = %q, %v; want N", b[0], err)
				}
			}
			msgs := c.startup(nil)
			if msgs[len(msgs)-1] != "ReadyForQuery I" {
				t.Fatalf("startup: %v", msgs)
			}
			if got := filter(c.query("select 1")); !equalStrings(got, []string{
				"RowDescription ?column?:23:0", "DataRow 1", "CommandComplete SELECT 1", "ReadyForQuery I",
			}) {
				t.Errorf("select 1: %v", got)
			}
		})
	}
}

func TestProtocolNegotiation(t *testing.T) {
	ts := startServer(t)
	t.Run("3.2 with _pq_ option", func(t *testing.T) {
		c := dialRaw(t, ts.addr)
		c.writeRaw(startupPacket(3<<16|2, startupParams("user", "openwit", "_pq_.compression", "on")))
		msgs := c.readUntilReady()
		if msgs[0] != "NegotiateProtocolVersion 0 [_pq_.compression]" || msgs[len(msgs)-1] != "ReadyForQuery I" {
			t.Errorf("got %v", msgs)
		}
	})
	t.Run("2.0 rejected", func(t *testing.T) {
		c := dialRaw(t, ts.addr)
		c.writeRaw(startupPacket(2<<16, startupParams("user", "openwit")))
		msgs := c.readAll()
		if !strings.HasPrefix(msgs[0], "ErrorResponse FATAL 08P01 unsupported frontend protocol 2.0") || msgs[1] != "EOF" {
			t.Errorf("got %v", msgs)
		}
	})
	t.Run("no user", func(t *testing.T) {
		c := dialRaw(t, ts.addr)
		c.writeRaw(startupPacket(3<<16, startupParams("database", "x")))
		msgs := c.readAll()
		if !strings.HasPrefix(msgs[0], "ErrorResponse FATAL 28000") {
			t.Errorf("got %v", msgs)
		}
	})
	t.Run("replication", func(t *testing.T) {
		c := dialRaw(t, ts.addr)
		c.writeRaw(startupPacket(3<<16, startupParams("user", "u", "replication", "database")))
		msgs := c.readAll()
		if !strings.HasPrefix(msgs[0], "ErrorResponse FATAL 0A000") {
			t.Errorf("got %v", msgs)
		}
	})
}

func TestAuthAndSessionErrors(t *testing.T) {
	t.Run("trust off", func(t *testing.T) {
		ts := startServer(t, func(c *Config) { c.Trust = false })
		c := dialRaw(t, ts.addr)
		msgs := c.startup(nil)
		if msgs[0] != "ErrorResponse FATAL 28000 password authentication is not configured" {
			t.Errorf("got %v", msgs)
		}
	})
	t.Run("open session fails", func(t *testing.T) {
		ts := startServer(t)
		c := dialRaw(t, ts.addr)
		msgs := c.startup(map[string]string{"user": "u", "database": "nodb"})
		if !slices.Contains(msgs, `ErrorResponse FATAL 3D000 database "nodb" does not exist`) {
			t.Errorf("got %v", msgs)
		}
	})
}

func TestSimpleQuery(t *testing.T) {
	ts := startServer(t)
	c := connectRaw(t, ts.addr)
	tests := []struct {
		query string
		want  []string
	}{
		{"select 1", []string{"RowDescription ?column?:23:0", "DataRow 1", "CommandComplete SELECT 1", "ReadyForQuery I"}},
		{"", []string{"EmptyQueryResponse", "ReadyForQuery I"}},
		{" ; ;", []string{"EmptyQueryResponse", "ReadyForQuery I"}},
		{"select series 2; insert", []string{
			"RowDescription n:20:0", "DataRow 1", "DataRow 2", "CommandComplete SELECT 2",
			"CommandComplete INSERT 0 3", "ReadyForQuery I",
		}},
		{"select 1; error; select 1", []string{
			"RowDescription ?column?:23:0", "DataRow 1", "CommandComplete SELECT 1",
			"RowDescription n:20:0", "ErrorResponse ERROR 22012 division by zero", "ReadyForQuery I",
		}},
		{"bogus", []string{`ErrorResponse ERROR 42601 syntax error at or near "bogus"`, "ReadyForQuery I"}},
		{"failafter 2", []string{
			"RowDescription n:20:0", "DataRow 1", "DataRow 2", "ErrorResponse ERROR 22012 division by zero", "ReadyForQuery I",
		}},
		{"tagless", []string{"RowDescription x:23:0", "DataRow 7", "CommandComplete SELECT 1", "ReadyForQuery I"}},
		{"echo", []string{"RowDescription ", "DataRow ", "CommandComplete ECHO", "ReadyForQuery I"}},
		{"echo int4", []string{"ErrorResponse ERROR 42P02 there is no parameter $1", "ReadyForQuery I"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			if got := c.query(tt.query); !equalStrings(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestErrorResponseFields(t *testing.T) {
	ts := startServer(t)
	c := connectRaw(t, ts.addr)
	c.send(&pgproto3.Query{String: "error"})
	for {
		msg, err := c.fe.Receive()
		if err != nil {
			t.Fatal(err)
		}
		if e, ok := msg.(*pgproto3.ErrorResponse); ok {
			if e.Severity != "ERROR" || e.SeverityUnlocalized != "ERROR" || e.Code != "22012" ||
				e.Message != "division by zero" || e.Detail != "the detail" || e.Hint != "the hint" || e.Position != 8 {
				t.Errorf("error response = %+v", e)
			}
			break
		}
	}
	if got := c.readUntilReady(); !equalStrings(got, []string{"ReadyForQuery I"}) {
		t.Errorf("after error: %v", got)
	}
}

func TestTransactionStatus(t *testing.T) {
	ts := startServer(t)
	c := connectRaw(t, ts.addr)
	steps := []struct {
		query string
		want  []string
	}{
		{"begin", []string{"CommandComplete BEGIN", "ReadyForQuery T"}},
		{"select 1", []string{"RowDescription ?column?:23:0", "DataRow 1", "CommandComplete SELECT 1", "ReadyForQuery T"}},
		{"error", []string{"RowDescription n:20:0", "ErrorResponse ERROR 22012 division by zero", "ReadyForQuery E"}},
		{"select 1", []string{"ErrorResponse ERROR 25P02 current transaction is aborted, commands ignored until end of transaction block", "ReadyForQuery E"}},
		{"commit", []string{"CommandComplete ROLLBACK", "ReadyForQuery I"}},
		{"start transaction", []string{"CommandComplete START TRANSACTION", "ReadyForQuery T"}},
		{"bogus", []string{`ErrorResponse ERROR 42601 syntax error at or near "bogus"`, "ReadyForQuery E"}},
		{"  ROLLBACK", []string{"CommandComplete ROLLBACK", "ReadyForQuery I"}},
		{"error", []string{"RowDescription n:20:0", "ErrorResponse ERROR 22012 division by zero", "ReadyForQuery I"}},
		{"begin; select 1; commit", []string{
			"CommandComplete BEGIN", "RowDescription ?column?:23:0", "DataRow 1", "CommandComplete SELECT 1",
			"CommandComplete COMMIT", "ReadyForQuery I",
		}},
	}
	for _, s := range steps {
		if got := c.query(s.query); !equalStrings(got, s.want) {
			t.Errorf("%s:\ngot  %q\nwant %q", s.query, got, s.want)
		}
	}
	// Extended protocol in a failed block: Parse is refused too.
	c.query("begin")
	c.query("error")
	c.send(&pgproto3.Parse{Query: "select 1"}, &pgproto3.Sync{})
	if got := c.readUntilReady(); !equalStrings(got, []string{
		"ErrorResponse ERROR 25P02 current transaction is aborted, commands ignored until end of transaction block", "ReadyForQuery E",
	}) {
		t.Errorf("parse in failed block: %v", got)
	}
	c.send(&pgproto3.Parse{Query: "rollback"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Sync{})
	if got := c.readUntilReady(); !equalStrings(got, []string{
		"ParseComplete", "BindComplete", "CommandComplete ROLLBACK", "ReadyForQuery I",
	}) {
		t.Errorf("rollback: %v", got)
	}
}

func TestExtendedProtocol(t *testing.T) {
	ts := startServer(t)
	c := connectRaw(t, ts.addr)
	steps := []struct {
		name string
		msgs []pgproto3.FrontendMessage
		want []string
	}{
		{
			"unnamed parse bind describe execute",
			[]pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: "echo int4 text"},
				&pgproto3.Describe{ObjectType: 'S'},
				&pgproto3.Bind{Parameters: [][]byte{[]byte("42"), nil}},
				&pgproto3.Describe{ObjectType: 'P'},
				&pgproto3.Execute{},
				&pgproto3.Sync{},
			},
			[]string{
				"ParseComplete", "ParameterDescription [23 25]", "RowDescription p1:23:0,p2:25:0",
				"BindComplete", "RowDescription p1:23:0,p2:25:0", "DataRow 42|NULL", "CommandComplete ECHO", "ReadyForQuery I",
			},
		},
		{
			"unnamed statement survives sync",
			[]pgproto3.FrontendMessage{
				&pgproto3.Bind{Parameters: [][]byte{[]byte("7"), []byte("x")}, ResultFormatCodes: []int16{1, 0}},
				&pgproto3.Describe{ObjectType: 'P'},
				&pgproto3.Execute{},
				&pgproto3.Sync{},
			},
			[]string{
				"BindComplete", "RowDescription p1:23:1,p2:25:0", "DataRow \x00\x00\x00\x07|x", "CommandComplete ECHO", "ReadyForQuery I",
			},
		},
		{
			"no data",
			[]pgproto3.FrontendMessage{
				&pgproto3.Parse{Name: "ins", Query: "insert"},
				&pgproto3.Describe{ObjectType: 'S', Name: "ins"},
				&pgproto3.Bind{PreparedStatement: "ins", DestinationPortal: "p"},
				&pgproto3.Describe{ObjectType: 'P', Name: "p"},
				&pgproto3.Execute{Portal: "p"},
				&pgproto3.Sync{},
			},
			[]string{
				"ParseComplete", "ParameterDescription []", "NoData", "BindComplete", "NoData",
				"CommandComplete INSERT 0 3", "ReadyForQuery I",
			},
		},
		{
			"empty query",
			[]pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: ""},
				&pgproto3.Describe{ObjectType: 'S'},
				&pgproto3.Bind{},
				&pgproto3.Execute{},
				&pgproto3.Sync{},
			},
			[]string{"ParseComplete", "ParameterDescription []", "NoData", "BindComplete", "EmptyQueryResponse", "ReadyForQuery I"},
		},
		{
			"duplicate named statement",
			[]pgproto3.FrontendMessage{
				&pgproto3.Parse{Name: "ins", Query: "insert"},
				&pgproto3.Sync{},
			},
			[]string{`ErrorResponse ERROR 42P05 prepared statement "ins" already exists`, "ReadyForQuery I"},
		},
		{
			"unnamed statement may be replaced",
			[]pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: "select 1"},
				&pgproto3.Parse{Query: "insert"},
				&pgproto3.Bind{},
				&pgproto3.Execute{},
				&pgproto3.Sync{},
			},
			[]string{"ParseComplete", "ParseComplete", "BindComplete", "CommandComplete INSERT 0 3", "ReadyForQuery I"},
		},
		{
			"close statement and missing objects",
			[]pgproto3.FrontendMessage{
				&pgproto3.Close{ObjectType: 'S', Name: "ins"},
				&pgproto3.Close{ObjectType: 'S', Name: "nope"},
				&pgproto3.Close{ObjectType: 'P', Name: "nope"},
				&pgproto3.Sync{},
			},
			[]string{"CloseComplete", "CloseComplete", "CloseComplete", "ReadyForQuery I"},
		},
		{
			"closed statement is gone",
			[]pgproto3.FrontendMessage{&pgproto3.Bind{PreparedStatement: "ins"}, &pgproto3.Sync{}},
			[]string{`ErrorResponse ERROR 26000 prepared statement "ins" does not exist`, "ReadyForQuery I"},
		},
		{
			"declared parameter types win",
			[]pgproto3.FrontendMessage{
				&pgproto3.Parse{Query: "echo int4", ParameterOIDs: []uint32{pgtype.Int8OID}},
				&pgproto3.Describe{ObjectType: 'S'},
				&pgproto3.Parse{Query: "echo int4", ParameterOIDs: []uint32{0, pgtype.BoolOID, 0}},
				&pgproto3.Describe{ObjectType: 'S'},
				&pgproto3.Bind{Parameters: [][]byte{[]byte("1"), []byte("t"), []byte("x")}},
				&pgproto3.Execute{},
				&pgproto3.Sync{},
			},
			[]string{
				"ParseComplete", "ParameterDescription [20]", "RowDescription p1:23:0",
				"ParseComplete", "ParameterDescription [23 16 25]", "RowDescription p1:23:0",
				"BindComplete", "DataRow 1", "CommandComplete ECHO", "ReadyForQuery I",
			},
		},
		{
			"multiple statements",
			[]pgproto3.FrontendMessage{&pgproto3.Parse{Query: "select 1; select 1"}, &pgproto3.Sync{}},
			[]string{"ErrorResponse ERROR 42601 cannot insert multiple commands into a prepared statement", "ReadyForQuery I"},
		},
		{
			"flush",
			[]pgproto3.FrontendMessage{&pgproto3.Parse{Query: "select 1"}, &pgproto3.Flush{}},
			[]string{"ParseComplete"},
		},
		{
			"then sync",
			[]pgproto3.FrontendMessage{&pgproto3.Sync{}},
			[]string{"ReadyForQuery I"},
		},
		{
			"portal closed at sync outside a transaction",
			[]pgproto3.FrontendMessage{
				&pgproto3.Parse{Name: "s2", Query: "select series 3"},
				&pgproto3.Bind{PreparedStatement: "s2", DestinationPortal: "cur"},
				&pgproto3.Execute{Portal: "cur", MaxRows: 1},
				&pgproto3.Sync{},
				&pgproto3.Execute{Portal: "cur", MaxRows: 1},
				&pgproto3.Sync{},
			},
			[]string{
				"ParseComplete", "BindComplete", "DataRow 1", "PortalSuspended", "ReadyForQuery I",
				`ErrorResponse ERROR 34000 portal "cur" does not exist`, "ReadyForQuery I",
			},
		},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			c.send(s.msgs...)
			var got []string
			for range s.want {
				got = append(got, c.receive())
			}
			if !equalStrings(got, s.want) {
				t.Errorf("got  %q\nwant %q", got, s.want)
			}
		})
	}
}

func TestPortalSuspended(t *testing.T) {
	ts := startServer(t)
	c := connectRaw(t, ts.addr)
	c.send(
		&pgproto3.Parse{Query: "select series 5"},
		&pgproto3.Bind{},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Execute{MaxRows: 2},
		&pgproto3.Sync{},
	)
	want := []string{
		"ParseComplete", "BindComplete",
		"DataRow 1", "DataRow 2", "PortalSuspended",
		"DataRow 3", "DataRow 4", "PortalSuspended",
		"DataRow 5", "CommandComplete SELECT 1",
		"ReadyForQuery I",
	}
	if got := c.readUntilReady(); !equalStrings(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}

	// Exactly the limit: PostgreSQL does not look ahead, so the portal is
	// suspended and the next Execute completes it with no rows.
	c.send(
		&pgproto3.Bind{DestinationPortal: "p"},
		&pgproto3.Execute{Portal: "p", MaxRows: 5},
		&pgproto3.Execute{Portal: "p", MaxRows: 5},
		&pgproto3.Execute{Portal: "p"},
		&pgproto3.Sync{},
	)
	want = []string{
		"BindComplete", "DataRow 1", "DataRow 2", "DataRow 3", "DataRow 4", "DataRow 5", "PortalSuspended",
		"CommandComplete SELECT 0", "CommandComplete SELECT 0", "ReadyForQuery I",
	}
	if got := c.readUntilReady(); !equalStrings(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}

	// Inside a transaction block a portal survives Sync; COMMIT ends it.
	// (The simple Query below drops the unnamed statement, so use a named
	// one.)
	c.send(&pgproto3.Parse{Name: "five", Query: "select series 5"}, &pgproto3.Sync{})
	c.readUntilReady()
	c.query("begin")
	c.send(&pgproto3.Bind{PreparedStatement: "five", DestinationPortal: "held"}, &pgproto3.Execute{Portal: "held", MaxRows: 3}, &pgproto3.Sync{})
	if got := c.readUntilReady(); !equalStrings(got, []string{"BindComplete", "DataRow 1", "DataRow 2", "DataRow 3", "PortalSuspended", "ReadyForQuery T"}) {
		t.Errorf("first fetch: %q", got)
	}
	c.send(&pgproto3.Execute{Portal: "held", MaxRows: 3}, &pgproto3.Sync{})
	if got := c.readUntilReady(); !equalStrings(got, []string{"DataRow 4", "DataRow 5", "CommandComplete SELECT 2", "ReadyForQuery T"}) {
		t.Errorf("second fetch: %q", got)
	}
	c.send(&pgproto3.Bind{PreparedStatement: "five", DestinationPortal: "held2"}, &pgproto3.Execute{Portal: "held2", MaxRows: 1}, &pgproto3.Sync{})
	c.readUntilReady()
	c.query("commit")
	c.send(&pgproto3.Execute{Portal: "held2", MaxRows: 1}, &pgproto3.Sync{})
	if got := c.readUntilReady(); !equalStrings(got, []string{`ErrorResponse ERROR 34000 portal "held2" does not exist`, "ReadyForQuery I"}) {
		t.Errorf("after commit: %q", got)
	}
}

func TestPipelineErrorRecovery(t *testing.T) {
	ts := startServer(t)
	c := connectRaw(t, ts.addr)
	c.send(
		&pgproto3.Parse{Query: "select 1"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "error"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Parse{Query: "select 1"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Query{String: "select 1"},
		&pgproto3.Sync{},
		&pgproto3.Parse{Query: "select series 1"}, &pgproto3.Bind{}, &pgproto3.Execute{},
		&pgproto3.Sync{},
	)
	want := []string{
		"ParseComplete", "BindComplete", "DataRow 1", "CommandComplete SELECT 1",
		"ParseComplete", "BindComplete", "ErrorResponse ERROR 22012 division by zero",
		"ReadyForQuery I",
	}
	if got := c.readUntilReady(); !equalStrings(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
	want = []string{"ParseComplete", "BindComplete", "DataRow 1", "CommandComplete SELECT 1", "ReadyForQuery I"}
	if got := c.readUntilReady(); !equalStrings(got, want) {
		t.Errorf("after sync: got %q\nwant %q", got, want)
	}

	// The error reaches a client that flushed without syncing, and the
	// Flush after the error is discarded like everything else.
	c.send(&pgproto3.Parse{Query: "error"}, &pgproto3.Bind{}, &pgproto3.Execute{}, &pgproto3.Flush{})
	var got []string
	for range 3 {
		got = append(got, c.receive())
	}
	if !equalStrings(got, []string{"ParseComplete", "BindComplete", "ErrorResponse ERROR 22012 division by zero"}) {
		t.Errorf("before sync: %q", got)
	}
	c.send(&pgproto3.Sync{})
	if got := c.readUntilReady(); !equalStrings(got, []string{"ReadyForQuery I"}) {
		t.Errorf("sync: %q", got)
	}
}

func TestBindErrors(t *testing.T) {
	ts := startServer(t)
	c := connectRaw(t, ts.addr)
	c.send(&pgproto3.Parse{Name: "e", Query: "echo int4 text"}, &pgproto3.Parse{Name: "t", Query: "select types"}, &pgproto3.Sync{})
	c.readUntilReady()
	tests := []struct {
		name string
		bind *pgproto3.Bind
		want string
	}{
		{"too few params", &pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{[]byte("1")}},
			`ErrorResponse ERROR 08P01 bind message supplies 1 parameters, but prepared statement "e" requires 2`},
		{"param formats", &pgproto3.Bind{PreparedStatement: "e", ParameterFormatCodes: []int16{0, 0, 0}, Parameters: [][]byte{nil, nil}},
			"ErrorResponse ERROR 08P01 bind message has 3 parameter formats but 2 parameters"},
		{"result formats", &pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{nil, nil}, ResultFormatCodes: []int16{0, 1, 0}},
			"ErrorResponse ERROR 08P01 bind message has 3 result formats but query has 2 columns"},
		{"bad format code", &pgproto3.Bind{PreparedStatement: "e", ParameterFormatCodes: []int16{2}, Parameters: [][]byte{[]byte("1"), nil}},
			"ErrorResponse ERROR 22023 unsupported format code: 2"},
		{"bad int", &pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{[]byte("abc"), nil}},
			`ErrorResponse ERROR 22P02 invalid input syntax for type integer: "abc"`},
		{"int out of range", &pgproto3.Bind{PreparedStatement: "e", Parameters: [][]byte{[]byte("3000000000"), nil}},
			`ErrorResponse ERROR 22003 value "3000000000" is out of range for type integer`},
		{"bad binary length", &pgproto3.Bind{PreparedStatement: "e", ParameterFormatCodes: []int16{1}, Parameters: [][]byte{{1, 2}, {}}},
			"ErrorResponse ERROR 22P03 incorrect binary data format in bind parameter 1"},
		{"missing statement", &pgproto3.Bind{PreparedStatement: "nope"},
			`ErrorResponse ERROR 26000 prepared statement "nope" does not exist`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.send(tt.bind, &pgproto3.Execute{}, &pgproto3.Sync{})
			if got := c.readUntilReady(); !equalStrings(got, []string{tt.want, "ReadyForQuery I"}) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
	t.Run("duplicate portal", func(t *testing.T) {
		c.query("begin")
		defer c.query("rollback")
		c.send(&pgproto3.Bind{PreparedStatement: "t", DestinationPortal: "x"}, &pgproto3.Bind{PreparedStatement: "t", DestinationPortal: "x"}, &pgproto3.Sync{})
		if got := c.readUntilReady(); !equalStrings(got, []string{"BindComplete", `ErrorResponse ERROR 42P03 portal "x" already exists`, "ReadyForQuery E"}) {
			t.Errorf("got %q", got)
		}
	})
	t.Run("bad describe", func(t *testing.T) {
		c.send(&pgproto3.Describe{ObjectType: 'X', Name: "e"}, &pgproto3.Sync{})
		if got := c.readUntilReady(); !equalStrings(got, []string{"ErrorResponse ERROR 08P01 invalid DESCRIBE message subtype 88", "ReadyForQuery I"}) {
			t.Errorf("got %q", got)
		}
	})
	t.Run("binary result of a type without binary output", func(t *testing.T) {
		c.send(&pgproto3.Parse{Name: "odd", Query: "echo ?", ParameterOIDs: []uint32{999999}},
			&pgproto3.Bind{PreparedStatement: "odd", Parameters: [][]byte{[]byte("x")}, ResultFormatCodes: []int16{1}},
			&pgproto3.Sync{})
		if got := c.readUntilReady(); !equalStrings(got, []string{"ParseComplete", "ErrorResponse ERROR 42883 no binary output function available for type type 999999", "ReadyForQuery I"}) {
			t.Errorf("got %q", got)
		}
		c.send(&pgproto3.Bind{PreparedStatement: "odd", Parameters: [][]byte{[]byte("x")}}, &pgproto3.Execute{}, &pgproto3.Sync{})
		if got := c.readUntilReady(); !equalStrings(got, []string{"BindComplete", "DataRow x", "CommandComplete ECHO", "ReadyForQuery I"}) {
			t.Errorf("got %q", got)
		}
	})
}

func TestPanicRecovery(t *testing.T) {
	ts := startServer(t)
	c := connectRaw(t, ts.addr)
	for _, q := range []string{"panic", "panicnext", "panicparse", "paniccols"} {
		t.Run(q, func(t *testing.T) {
			got := filter(c.query(q))
			if len(got) < 2 || !strings.HasPrefix(got[len(got)-2], "ErrorResponse ERROR XX000 internal error: panic in ") ||
				got[len(got)-1] != "ReadyForQuery I" {
				t.Errorf("got %q", got)
			}
			if got := c.query("select 1"); got[len(got)-2] != "CommandComplete SELECT 1" {
				t.Errorf("connection broken after %s: %q", q, got)
			}
		})
	}
	c.send(&pgproto3.Parse{Query: "panicnext"}, &pgproto3.Bind{}, &pgproto3.Execute{MaxRows: 1}, &pgproto3.Execute{}, &pgproto3.Sync{})
	got := c.readUntilReady()
	if !equalStrings(got[:2], []string{"ParseComplete", "BindComplete"}) || !strings.Contains(got[2], "XX000") || got[3] != "ReadyForQuery I" {
		t.Errorf("extended panic: %q", got)
	}
}

func TestFunctionCallAndCopyIgnored(t *testing.T) {
	ts := startServer(t)
	c := connectRaw(t, ts.addr)
	c.send(&pgproto3.CopyData{Data: []byte("x")}, &pgproto3.CopyDone{}, &pgproto3.FunctionCall{Function: 1})
	if got := c.readUntilReady(); !equalStrings(got, []string{"ErrorResponse ERROR 0A000 fastpath function calls are not supported", "ReadyForQuery I"}) {
		t.Errorf("got %q", got)
	}
}

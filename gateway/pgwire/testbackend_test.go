package pgwire

import (
	"context"
	"io"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"openwit/internal/pgerror"
)

// testBackend is a test-only Backend over a fixed in-memory dataset. Its
// "SQL" is a handful of commands (case-insensitive, ';'-separated):
//
//	select 1                 one int4 column "?column?" = 1
//	select types             one column per supported type; a row of values, a row of NULLs
//	select series N          int8 column "n" = 1..N
//	echo T1 T2 ... [$1 ...]  $1..$n of the named types (or "?" = the client's
//	                         declared type, text when undeclared); returns
//	                         them; words starting with $ are ignored
//	sleep                    blocks until its context is cancelled
//	sleepms N                sleeps N ms (or until cancelled), tag SLEEP
//	error                    fails with 22012 at position 8, with detail and hint
//	failafter N              N rows of int8, then 22012
//	set NAME [=|to] VALUE    session setting, tag SET
//	reset NAME               restores the default, tag RESET
//	show NAME                the setting as one text column
//	begin | start transaction | commit | end | rollback | abort
//	insert                   no rows, tag "INSERT 0 3"
//	panic | panicnext | panicparse | paniccols   backend panics in Execute / Next / Parse / Columns
//	tagless                  one int4 row with an empty Tag (server computes SELECT 1)
//
// Anything else is a 42601 syntax error at position 1 from Parse.
type testBackend struct {
	sleeping chan struct{} // receives a value whenever a sleep starts
	sleepMax time.Duration // when > 0, sleep gives up after this long (fuzzing)

	opened atomic.Int32
	closed atomic.Int32

	mu          sync.Mutex
	lastParams  []any
	lastStartup map[string]string
}

func newTestBackend() *testBackend {
	return &testBackend{sleeping: make(chan struct{}, 64)}
}

var _ Backend = (*testBackend)(nil)

func (b *testBackend) OpenSession(ctx context.Context, params map[string]string) (Session, error) {
	if params["database"] == "nodb" {
		return nil, pgerror.New(pgerror.InvalidCatalogName, "database %q does not exist", "nodb")
	}
	b.opened.Add(1)
	b.mu.Lock()
	b.lastStartup = params
	b.mu.Unlock()
	s := &testSession{b: b, settings: defaultSettings()}
	if v := params["application_name"]; v != "" {
		s.settings["application_name"] = v
	}
	if v := params["TimeZone"]; v != "" {
		s.settings["TimeZone"] = v
	}
	return s, nil
}

func (b *testBackend) params() []any {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastParams
}

func defaultSettings() map[string]string {
	return map[string]string{
		"TimeZone":         "UTC",
		"DateStyle":        "ISO, MDY",
		"IntervalStyle":    "postgres",
		"client_encoding":  "UTF8",
		"application_name": "",
	}
}

type testSession struct {
	b        *testBackend
	settings map[string]string
	closed   bool
}

func (s *testSession) Setting(name string) (string, bool) {
	for k, v := range s.settings {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return "", false
}

func (s *testSession) Close() error {
	if !s.closed {
		s.closed = true
		s.b.closed.Add(1)
	}
	return nil
}

func (s *testSession) Parse(ctx context.Context, query string, paramOIDs []uint32) ([]Statement, error) {
	var out []Statement
	for _, part := range strings.Split(query, ";") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		st, err := s.parseOne(part, paramOIDs)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// testStmt is a fake statement.
type testStmt struct {
	params    []uint32
	cols      []Column
	exec      func(ctx context.Context, params []any) (Rows, error)
	panicCols bool
}

func (st *testStmt) ParamOIDs() []uint32 { return st.params }
func (st *testStmt) Columns() []Column {
	if st.panicCols {
		panic("test backend: Columns panic")
	}
	return st.cols
}
func (st *testStmt) Execute(ctx context.Context, params []any) (Rows, error) {
	return st.exec(ctx, params)
}

// testRows serves fixed rows, or calls next when set.
type testRows struct {
	rows   [][]any
	i      int
	tag    string
	next   func(ctx context.Context, i int) ([]any, error)
	closed bool
}

func (r *testRows) Next(ctx context.Context) ([]any, error) {
	if r.closed {
		panic("test backend: Next after Close")
	}
	if r.next != nil {
		row, err := r.next(ctx, r.i)
		r.i++
		return row, err
	}
	if r.i >= len(r.rows) {
		return nil, io.EOF
	}
	r.i++
	return r.rows[r.i-1], nil
}

func (r *testRows) Tag() string { return r.tag }

func (r *testRows) Close() error {
	r.closed = true
	return nil
}

func fixed(tag string, rows ...[]any) func(context.Context, []any) (Rows, error) {
	return func(context.Context, []any) (Rows, error) {
		return &testRows{rows: rows, tag: tag}, nil
	}
}

// testTypes maps echo's type names to OIDs.
func testTypes() map[string]uint32 {
	return map[string]uint32{
		"bool": pgtype.BoolOID, "int2": pgtype.Int2OID, "int4": pgtype.Int4OID, "int8": pgtype.Int8OID,
		"float4": pgtype.Float4OID, "float8": pgtype.Float8OID, "numeric": pgtype.NumericOID,
		"text": pgtype.TextOID, "varchar": pgtype.VarcharOID, "name": pgtype.NameOID, "bpchar": pgtype.BPCharOID,
		"bytea": pgtype.ByteaOID, "date": pgtype.DateOID, "timestamp": pgtype.TimestampOID,
		"timestamptz": pgtype.TimestamptzOID, "interval": pgtype.IntervalOID, "json": pgtype.JSONOID,
		"jsonb": pgtype.JSONBOID, "oid": pgtype.OIDOID, "uuid": pgtype.UUIDOID, "text[]": pgtype.TextArrayOID, "int8[]": pgtype.Int8ArrayOID, "timestamptz[]": pgtype.TimestamptzArrayOID,
		"unknown": pgtype.UnknownOID,
	}
}

// testDecimal is a fmt.Stringer value like shopspring's decimal.
type testDecimal string

func (d testDecimal) String() string { return string(d) }

func typesColumns() []Column {
	names := []struct {
		name string
		oid  uint32
	}{
		{"b", pgtype.BoolOID}, {"i2", pgtype.Int2OID}, {"i4", pgtype.Int4OID}, {"i8", pgtype.Int8OID},
		{"f4", pgtype.Float4OID}, {"f8", pgtype.Float8OID}, {"num", pgtype.NumericOID},
		{"txt", pgtype.TextOID}, {"vc", pgtype.VarcharOID}, {"nm", pgtype.NameOID}, {"bp", pgtype.BPCharOID},
		{"by", pgtype.ByteaOID}, {"d", pgtype.DateOID}, {"ts", pgtype.TimestampOID},
		{"tstz", pgtype.TimestamptzOID}, {"iv", pgtype.IntervalOID}, {"js", pgtype.JSONOID},
		{"jb", pgtype.JSONBOID}, {"o", pgtype.OIDOID}, {"u", pgtype.UUIDOID}, {"arr", pgtype.TextArrayOID},
	}
	cols := make([]Column, len(names))
	for i, n := range names {
		cols[i] = Column{Name: n.name, TypeOID: n.oid}
	}
	return cols
}

func typesRow() []any {
	return []any{
		true, int16(-12), int32(123456), int64(1 << 40), float32(1.5), 3.25, testDecimal("12345.6789"),
		"hello", "world", "pg_catalog", "x", []byte{0, 1, 2, 255},
		time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 2, 29, 13, 14, 15, 123456000, time.UTC),
		time.Date(2024, 2, 29, 13, 14, 15, 500000000, time.UTC),
		"1 day 02:03:04", `{"a":1}`, `{"b": 2}`, uint32(26),
		"a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", []string{"a", "b c", ""},
	}
}

func (s *testSession) parseOne(q string, declared []uint32) (Statement, error) {
	fields := strings.Fields(q)
	cmd := strings.ToLower(fields[0])
	args := fields[1:]
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	intCol := []Column{{Name: "n", TypeOID: pgtype.Int8OID}}
	switch cmd {
	case "select":
		switch strings.ToLower(arg(0)) {
		case "1":
			return &testStmt{cols: []Column{{Name: "?column?", TypeOID: pgtype.Int4OID}}, exec: fixed("SELECT 1", []any{int64(1)})}, nil
		case "types":
			nulls := make([]any, len(typesColumns()))
			return &testStmt{cols: typesColumns(), exec: fixed("", typesRow(), nulls)}, nil
		case "series":
			n, err := strconv.Atoi(arg(1))
			if err != nil {
				break
			}
			return &testStmt{cols: intCol, exec: func(context.Context, []any) (Rows, error) {
				return &testRows{next: func(_ context.Context, i int) ([]any, error) {
					if i >= n {
						return nil, io.EOF
					}
					return []any{int64(i + 1)}, nil
				}}, nil
			}}, nil
		}
	case "echo":
		st := &testStmt{cols: []Column{}}
		var types []string
		for _, a := range args {
			if !strings.HasPrefix(a, "$") { // placeholders are decoration
				types = append(types, a)
			}
		}
		for i, name := range types {
			oid, ok := testTypes()[strings.ToLower(name)]
			if name == "?" {
				oid, ok = pgtype.TextOID, true
				if i < len(declared) && declared[i] != 0 {
					oid = declared[i]
				}
			}
			if !ok {
				return nil, pgerror.New(pgerror.UndefinedObject, "type %q does not exist", name)
			}
			st.params = append(st.params, oid)
			st.cols = append(st.cols, Column{Name: "p" + strconv.Itoa(i+1), TypeOID: oid})
		}
		st.exec = func(_ context.Context, params []any) (Rows, error) {
			s.b.mu.Lock()
			s.b.lastParams = append([]any(nil), params...)
			s.b.mu.Unlock()
			row := params[:min(len(params), len(st.cols))] // extra declared parameters are unused
			return &testRows{rows: [][]any{row}, tag: "ECHO"}, nil
		}
		return st, nil
	case "sleep":
		return &testStmt{exec: func(ctx context.Context, _ []any) (Rows, error) {
			select {
			case s.b.sleeping <- struct{}{}:
			default:
			}
			var timeout <-chan time.Time
			if s.b.sleepMax > 0 {
				timeout = time.After(s.b.sleepMax)
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-timeout:
				return &testRows{tag: "SLEEP"}, nil
			}
		}}, nil
	case "sleepms":
		ms, err := strconv.Atoi(arg(0))
		if err != nil {
			break
		}
		return &testStmt{exec: func(ctx context.Context, _ []any) (Rows, error) {
			select {
			case s.b.sleeping <- struct{}{}:
			default:
			}
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(time.Duration(ms) * time.Millisecond):
				return &testRows{tag: "SLEEP"}, nil
			}
		}}, nil
	case "error":
		return &testStmt{cols: intCol, exec: func(context.Context, []any) (Rows, error) {
			return nil, &pgerror.Error{Code: pgerror.DivisionByZero, Message: "division by zero",
				Detail: "the detail", Hint: "the hint", Position: 8}
		}}, nil
	case "failafter":
		n, err := strconv.Atoi(arg(0))
		if err != nil {
			break
		}
		return &testStmt{cols: intCol, exec: func(context.Context, []any) (Rows, error) {
			return &testRows{next: func(_ context.Context, i int) ([]any, error) {
				if i >= n {
					return nil, pgerror.New(pgerror.DivisionByZero, "division by zero")
				}
				return []any{int64(i + 1)}, nil
			}}, nil
		}}, nil
	case "set":
		rest := strings.TrimSpace(strings.TrimPrefix(q[len(fields[0]):], " "))
		name, value, ok := strings.Cut(rest, " ")
		if !ok {
			break
		}
		value = strings.TrimSpace(value)
		if v, ok := strings.CutPrefix(value, "= "); ok {
			value = v
		} else if v, ok := strings.CutPrefix(strings.ToLower(value), "to "); ok {
			value = value[len(value)-len(v):]
		}
		value = strings.Trim(strings.TrimSpace(value), "'")
		return &testStmt{exec: func(context.Context, []any) (Rows, error) {
			for k := range s.settings {
				if strings.EqualFold(k, name) {
					name = k
				}
			}
			s.settings[name] = value
			return &testRows{tag: "SET"}, nil
		}}, nil
	case "reset":
		name := arg(0)
		return &testStmt{exec: func(context.Context, []any) (Rows, error) {
			def := defaultSettings()
			for k := range def {
				if strings.EqualFold(k, name) {
					s.settings[k] = def[k]
				}
			}
			return &testRows{tag: "RESET"}, nil
		}}, nil
	case "show":
		name := arg(0)
		return &testStmt{cols: []Column{{Name: name, TypeOID: pgtype.TextOID}}, exec: func(context.Context, []any) (Rows, error) {
			v, _ := s.Setting(name)
			return &testRows{rows: [][]any{{v}}, tag: "SHOW"}, nil
		}}, nil
	case "begin":
		return &testStmt{exec: fixed("BEGIN")}, nil
	case "start":
		return &testStmt{exec: fixed("START TRANSACTION")}, nil
	case "commit", "end":
		return &testStmt{exec: fixed("COMMIT")}, nil
	case "rollback", "abort":
		return &testStmt{exec: fixed("ROLLBACK")}, nil
	case "insert":
		return &testStmt{exec: fixed("INSERT 0 3")}, nil
	case "tagless":
		return &testStmt{cols: []Column{{Name: "x", TypeOID: pgtype.Int4OID}}, exec: fixed("", []any{int32(7)})}, nil
	case "panic":
		return &testStmt{cols: intCol, exec: func(context.Context, []any) (Rows, error) {
			panic("test backend: Execute panic")
		}}, nil
	case "panicnext":
		return &testStmt{cols: intCol, exec: func(context.Context, []any) (Rows, error) {
			return &testRows{next: func(context.Context, int) ([]any, error) {
				panic("test backend: Next panic")
			}}, nil
		}}, nil
	case "paniccols":
		return &testStmt{panicCols: true, exec: fixed("")}, nil
	case "panicparse":
		panic("test backend: Parse panic")
	}
	return nil, pgerror.New(pgerror.SyntaxError, "syntax error at or near %q", fields[0]).WithPosition(1)
}

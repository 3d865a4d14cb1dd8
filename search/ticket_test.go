package search_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/exec"
	"openwit/search"
)

func ticketFragment() *exec.Fragment {
	f := fragment([]exec.Source{
		{File: &exec.FileSource{ID: "a", Path: "tables/1/a.parquet", Rows: 10}},
		{File: &exec.FileSource{ID: "b", Path: "tables/1/b.parquet", Rows: 20}},
	})
	f.Filter = exec.Call(exec.OpAnd,
		exec.Call(exec.OpGe, col("status"), exec.Int(400)),
		&exec.Expr{Op: exec.OpLike, Args: []*exec.Expr{col("svc")}, Str: "a%", Escape: `\`})
	f.Agg = &exec.AggSpec{Keys: []*exec.Expr{col("svc")}, Mode: exec.AggPartial, Aggs: []exec.Agg{
		{Func: exec.AggCountStar}, {Func: exec.AggSum, Arg: col("bytes")}, {Func: exec.AggFirst, Arg: col("svc")},
	}}
	return f
}

func TestTicketRoundTrip(t *testing.T) {
	f := ticketFragment()
	b, err := search.EncodeTicket(f)
	if err != nil {
		t.Fatal(err)
	}
	if !search.IsTicket(b) {
		t.Fatal("IsTicket is false for a ticket")
	}
	g, err := search.DecodeTicket(b)
	if err != nil {
		t.Fatal(err)
	}
	if !g.Schema.Equal(f.Schema) {
		t.Fatalf("schema %s, want %s", g.Schema, f.Schema)
	}
	b2, err := search.EncodeTicket(g)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, b2) {
		t.Fatal("re-encoding a decoded ticket changed it")
	}
	if g.Agg.Mode != exec.AggPartial || len(g.Sources) != 2 || g.Sources[1].File.Path != "tables/1/b.parquet" {
		t.Fatalf("decoded %+v", g)
	}
}

// envelope builds a ticket from raw parts.
func envelope(version byte, frag, schema []byte) []byte {
	b := append([]byte(search.TicketMagic), version)
	b = binary.BigEndian.AppendUint32(b, uint32(len(frag)))
	b = append(b, frag...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(schema)))
	return append(b, schema...)
}

func TestDecodeTicketErrors(t *testing.T) {
	good, err := search.EncodeTicket(ticketFragment())
	if err != nil {
		t.Fatal(err)
	}
	sch := flight.SerializeSchema(testSchema, memory.DefaultAllocator)
	frag := func(json string) []byte { return envelope(search.TicketVersion, []byte(json), sch) }
	cases := []struct {
		name   string
		ticket []byte
		want   error
	}{
		{"empty", nil, search.ErrBadTicket},
		{"flight sql ticket", []byte("\x0a\x05hello"), search.ErrBadTicket},
		{"magic only", []byte(search.TicketMagic), search.ErrBadTicket},
		{"envelope version 2", envelope(2, nil, nil), search.ErrTicketVersion},
		{"truncated", good[:len(good)-3], search.ErrBadTicket},
		{"trailing bytes", append(append([]byte(nil), good...), 0), search.ErrBadTicket},
		{"huge length", append([]byte(search.TicketMagic+"\x01"), 0xff, 0xff, 0xff, 0xff), search.ErrBadTicket},
		{"not json", frag("{"), search.ErrBadTicket},
		{"no version", frag(`{"table":"t","columns":["ts"],"sources":[{"file":{"id":"a","path":"a"}}]}`), search.ErrBadTicket},
		{"fragment version 99", frag(`{"version":99}`), search.ErrTicketVersion},
		{"bad schema", envelope(search.TicketVersion, []byte(`{"version":2,"sources":[{"file":{"id":"a","path":"a"}}]}`), []byte("nope")), search.ErrBadTicket},
		{"bad row groups", frag(`{"version":2,"columns":["ts"],"sources":[{"file":{"id":"a","path":"a","row_groups":[2,1]}}]}`), search.ErrBadTicket},
		{"negative row group", frag(`{"version":2,"columns":["ts"],"sources":[{"file":{"id":"a","path":"a","row_groups":[-1]}}]}`), search.ErrBadTicket},
		{"candidates not ascending", frag(`{"version":2,"columns":["ts"],"sources":[{"file":{"id":"a","path":"a","candidates":[{"row_group":2,"rows":""},{"row_group":1,"rows":""}]}}]}`), search.ErrBadTicket},
		{"negative candidate row group", frag(`{"version":2,"columns":["ts"],"sources":[{"file":{"id":"a","path":"a","candidates":[{"row_group":-1,"rows":""}]}}]}`), search.ErrBadTicket},
		{"no sources", frag(`{"version":2,"columns":["ts"]}`), search.ErrBadTicket},
		{"memory source", frag(`{"version":2,"columns":["ts"],"sources":[{}]}`), search.ErrBadTicket},
		{"escaping path", frag(`{"version":2,"columns":["ts"],"sources":[{"file":{"id":"a","path":"../etc/passwd"}}]}`), search.ErrBadTicket},
		{"absolute path", frag(`{"version":2,"columns":["ts"],"sources":[{"file":{"id":"a","path":"/etc/passwd"}}]}`), search.ErrBadTicket},
		{"not without argument", frag(`{"version":2,"columns":["ts"],"sources":[{"file":{"id":"a","path":"a"}}],"filter":{"op":"not"}}`), search.ErrBadTicket},
		{"literal without value", frag(`{"version":2,"columns":["ts"],"sources":[{"file":{"id":"a","path":"a"}}],"filter":{"op":"lit"}}`), search.ErrBadTicket},
		{"unknown operator", frag(`{"version":2,"columns":["ts"],"sources":[{"file":{"id":"a","path":"a"}}],"filter":{"op":"xor","args":[{"op":"col"}]}}`), search.ErrBadTicket},
		{"negative column", frag(`{"version":2,"columns":["ts"],"sources":[{"file":{"id":"a","path":"a"}}],"filter":{"op":"col","col":-1}}`), search.ErrBadTicket},
		{"sum without argument", frag(`{"version":2,"columns":["ts"],"sources":[{"file":{"id":"a","path":"a"}}],"agg":{"aggs":[{"func":"sum"}]}}`), search.ErrBadTicket},
		{"top-k without keys", frag(`{"version":2,"columns":["ts"],"sources":[{"file":{"id":"a","path":"a"}}],"topk":{"k":3}}`), search.ErrBadTicket},
		{"negative limit", frag(`{"version":2,"columns":["ts"],"sources":[{"file":{"id":"a","path":"a"}}],"limit":-1}`), search.ErrBadTicket},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := search.DecodeTicket(c.ticket)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
	deep := `{"op":"col"}`
	for i := 0; i < 100; i++ {
		deep = `{"op":"not","args":[` + deep + `]}`
	}
	if _, err := search.DecodeTicket(frag(`{"version":2,"columns":["ts"],"sources":[{"file":{"id":"a","path":"a"}}],"filter":` + deep + `}`)); !errors.Is(err, search.ErrBadTicket) {
		t.Fatalf("deep expression: %v", err)
	}
}

// FuzzDecodeTicket checks that no input makes DecodeTicket (or compiling
// what it accepts) panic, and that accepted tickets re-encode stably.
func FuzzDecodeTicket(f *testing.F) {
	good, err := search.EncodeTicket(ticketFragment())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(search.TicketMagic + "\x01"))
	sch := flight.SerializeSchema(testSchema, memory.DefaultAllocator)
	f.Add(envelope(search.TicketVersion, []byte(`{"version":2,"columns":["ts","svc"],"sources":[{"file":{"id":"a","path":"a"}}],"filter":{"op":"eq","args":[{"op":"col","col":1},{"op":"lit","lit":{"kind":"string","s":"x"}}]},"topk":{"k":2,"keys":[{"col":0}]}}`), sch))
	f.Add(envelope(search.TicketVersion, []byte(`{"version":2,"columns":["lat"],"sources":[{"file":{"id":"a","path":"a"}}],"agg":{"keys":[{"op":"date_trunc","str":"hour","args":[{"op":"col"}]}],"aggs":[{"func":"count_distinct","arg":{"op":"col"}}],"mode":"final"}}`), sch))
	f.Fuzz(func(t *testing.T, b []byte) {
		frag, err := search.DecodeTicket(b)
		if err != nil {
			if !errors.Is(err, search.ErrBadTicket) && !errors.Is(err, search.ErrTicketVersion) {
				t.Fatalf("error %v matches neither ErrBadTicket nor ErrTicketVersion", err)
			}
			return
		}
		_ = frag.Validate(exec.Params{}) // must not panic
		again, err := search.EncodeTicket(frag)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		if _, err := search.DecodeTicket(again); err != nil {
			t.Fatalf("decode re-encoded ticket: %v", err)
		}
	})
}

// TestDecodeTicketCharFilter: a filter over a char(n) column compares the
// column without its trailing blanks (rtrim), which a worker must accept;
// it refused the operator as unknown (ErrBadTicket) before.
func TestDecodeTicketCharFilter(t *testing.T) {
	sch := flight.SerializeSchema(testSchema, memory.DefaultAllocator)
	frag := `{"version":2,"columns":["ts"],"sources":[{"file":{"id":"a","path":"a"}}],` +
		`"filter":{"op":"eq","args":[{"op":"rtrim","args":[{"op":"col"}]},{"op":"lit","lit":{"kind":"string","s":"ab"}}]}}`
	if _, err := search.DecodeTicket(envelope(search.TicketVersion, []byte(frag), sch)); err != nil {
		t.Fatalf("rtrim filter: %v", err)
	}
	bad := `{"version":2,"columns":["ts"],"sources":[{"file":{"id":"a","path":"a"}}],"filter":{"op":"rtrim"}}`
	if _, err := search.DecodeTicket(envelope(search.TicketVersion, []byte(bad), sch)); !errors.Is(err, search.ErrBadTicket) {
		t.Fatalf("rtrim without argument: %v", err)
	}
}

package kafka

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"openwit/storage/catalog"
)

// checkKeys fails unless the table holds exactly keys 0..n-1 once each.
func checkKeys(t *testing.T, e *env, table string, n int) {
	t.Helper()
	keys := e.column(table, "key")
	if len(keys) != n {
		t.Fatalf("%s holds %d rows, want %d", table, len(keys), n)
	}
	seen := make([]bool, n)
	for _, k := range keys {
		i, err := strconv.Atoi(k)
		if err != nil || i < 0 || i >= n {
			t.Fatalf("unexpected key %q", k)
		}
		if seen[i] {
			t.Fatalf("key %d published twice", i)
		}
		seen[i] = true
	}
}

// TestConsume reads a 3-partition topic with valid and malformed records:
// the valid ones land once each in the table, the others in openwit_errors
// with the reason, in the same publishes; offsets end at the log's end.
func TestConsume(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 3, "logs")
	e.createLogs("logs")
	const n = 3000
	var values [][]byte
	for k := range n {
		values = append(values, logRecord(k))
	}
	bad := []string{
		`not json`,
		`{"ts":1717000000000,"key":"abc"}`,      // wrong type
		`{"key":5}`,                             // no time column
		`{"ts":"yesterday","key":6}`,            // unparseable time
		`{"ts":1717000000000,"key":7,"nope":1}`, // unknown field (reject)
		`[1,2,3]`,                               // not an object
		`{"ts":1717000000000,"key":8,"status":99999999999}`, // int4 overflow
		`{"ts":1717000000000,"key":9}{}`,                    // trailing data
	}
	for _, b := range bad {
		values = append(values, []byte(b))
	}
	e.produce("logs", values)
	reg := prometheus.NewRegistry()
	c := e.consumer("g1", reg, Topic{Name: "logs"})
	stop := run(t, c)
	e.waitOffsets("g1", "logs", int64(len(values)))
	stop()
	checkKeys(t, e, "logs", n)
	errs := e.column(ErrorsTable, "error")
	if len(errs) != len(bad) {
		t.Fatalf("openwit_errors holds %d rows, want %d: %q", len(errs), len(bad), errs)
	}
	raws := e.column(ErrorsTable, "raw")
	slices.Sort(raws)
	want := slices.Clone(bad)
	slices.Sort(want)
	if !slices.Equal(raws, want) {
		t.Errorf("raw texts %q, want %q", raws, want)
	}
	joined := strings.Join(errs, "\n")
	for _, frag := range []string{"not a JSON object", "not an integer", "time column \"ts\" is missing", "not a time", "unknown field \"nope\"", "out of range for int4", "data after the object"} {
		if !strings.Contains(joined, frag) {
			t.Errorf("no dead-letter error mentions %q:\n%s", frag, joined)
		}
	}
	if got := counterValue(t, reg, "openwit_kafka_dead_letters_total"); got != float64(len(bad)) {
		t.Errorf("openwit_kafka_dead_letters_total = %v, want %d", got, len(bad))
	}
	if got := counterValue(t, reg, "openwit_kafka_rows_published_total"); got != n {
		t.Errorf("openwit_kafka_rows_published_total = %v, want %d", got, n)
	}
	// A second consumer of the same group starts at the catalog's offsets
	// and publishes nothing more.
	c2 := e.consumer("g1", prometheus.NewRegistry(), Topic{Name: "logs"})
	stop2 := run(t, c2)
	time.Sleep(500 * time.Millisecond) // nothing to wait for: there is nothing to read
	stop2()
	checkKeys(t, e, "logs", n)
}

// TestConflictDropsBuffer makes another publisher win a range the
// consumer has buffered: the consumer's publish fails its compare-and-set,
// writes nothing, and a new consumer resumes from the winner's offset.
func TestConflictDropsBuffer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, "logs")
	conflictDropsBuffer(t, e)
}

// TestConflictDropsBufferThroughStorage: the same when a storage node
// publishes: its publish-at is refused (Aborted) and nothing is published.
func TestConflictDropsBufferThroughStorage(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, "logs")
	sreg := e.viaStorage(false)
	conflictDropsBuffer(t, e)
	if got := labeledValue(t, sreg, "openwit_storage_handoffs_total", "Aborted"); got != 1 {
		t.Errorf("the storage node refused %v calls as Aborted, want 1 (the conflicting publish-at)", got)
	}
}

func conflictDropsBuffer(t *testing.T, e *env) {
	e.createLogs("logs")
	const n = 100
	var values [][]byte
	for k := range n {
		values = append(values, logRecord(k))
	}
	e.produce("logs", values)
	reg := prometheus.NewRegistry()
	c := e.consumer("g", reg, Topic{Name: "logs"})
	c.cfg.CommitInterval = time.Hour // publish only at stop
	stop := run(t, c)
	deadline := time.Now().Add(30 * time.Second)
	for counterValue(t, reg, "openwit_kafka_buffered_records") != n {
		if time.Now().After(deadline) {
			t.Fatalf("buffered %v records, want %d", counterValue(t, reg, "openwit_kafka_buffered_records"), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// "Another consumer" publishes offsets 0..39 (with no rows).
	if err := e.cat.PublishFilesAt(context.Background(), nil, catalog.OffsetDelta{Source: "g", Topic: "logs", Partition: 0, From: catalog.NoOffset, To: 40}); err != nil {
		t.Fatal(err)
	}
	stop()
	if got := counterValue(t, reg, "openwit_kafka_publishes_total"); got != 1 {
		t.Errorf("%v publishes, want 1 (the conflicting one)", got)
	}
	if rows := e.column("logs", "key"); len(rows) != 0 {
		t.Fatalf("the losing publish wrote %d rows", len(rows))
	}
	c2 := e.consumer("g", prometheus.NewRegistry(), Topic{Name: "logs"})
	stop2 := run(t, c2)
	e.waitOffsets("g", "logs", n)
	stop2()
	keys := e.column("logs", "key")
	if len(keys) != n-40 {
		t.Fatalf("%d rows after resuming at 40, want %d", len(keys), n-40)
	}
	for _, k := range keys {
		if i, _ := strconv.Atoi(k); i < 40 {
			t.Fatalf("key %d was before the winner's offset", i)
		}
	}
}

// TestRebalance runs two consumers of one group over 6 partitions, adds a
// third while records flow, and stops one: every record lands once.
func TestRebalance(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 6, "logs")
	e.createLogs("logs")
	regs := []*prometheus.Registry{prometheus.NewRegistry(), prometheus.NewRegistry(), prometheus.NewRegistry()}
	stopA := run(t, e.consumer("g", regs[0], Topic{Name: "logs"}))
	run(t, e.consumer("g", regs[1], Topic{Name: "logs"}))
	const n, rounds = 6000, 6
	next := 0
	produce := func() {
		var values [][]byte
		for range n / rounds {
			values = append(values, logRecord(next))
			next++
		}
		e.produce("logs", values)
	}
	produce()
	produce()
	run(t, e.consumer("g", regs[2], Topic{Name: "logs"}))
	produce()
	produce()
	e.waitOffsets("g", "logs", int64(next))
	stopA()
	produce()
	produce()
	e.waitOffsets("g", "logs", n)
	checkKeys(t, e, "logs", n)
	var published float64
	for i, reg := range regs {
		p := counterValue(t, reg, "openwit_kafka_rows_published_total")
		published += p
		t.Logf("consumer %d published %v rows", i, p)
	}
	if published != n {
		t.Errorf("consumers published %v rows in total, want %d", published, n)
	}
}

func TestConvertValues(t *testing.T) {
	t.Parallel()
	tbl := &catalog.Table{Name: "t", Columns: []catalog.Column{
		{Name: "ts", Type: "timestamptz", NotNull: true},
		{Name: "i2", Type: "int2"}, {Name: "i4", Type: "int4"}, {Name: "i8", Type: "int8"},
		{Name: "f4", Type: "float4"}, {Name: "f8", Type: "float8"}, {Name: "b", Type: "bool"},
		{Name: "s", Type: "text"}, {Name: "j", Type: "jsonb"}, {Name: "n", Type: "numeric(10,2)"},
		{Name: "d", Type: "date"}, {Name: "lt", Type: "timestamp"}, {Name: "by", Type: "bytea"},
	}, TimeColumn: "ts", ShardDuration: time.Hour}
	c, err := newConverter(tbl, PolicyReject)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2024, 5, 29, 16, 26, 40, 0, time.UTC).UnixMicro() // 1717000000 s
	for _, tc := range []struct {
		in   string
		col  string
		want value
		err  string
	}{
		{`{"ts":1717000000}`, "ts", value{i: at}, ""},
		{`{"ts":1717000000000}`, "ts", value{i: at}, ""},
		{`{"ts":1717000000000000}`, "ts", value{i: at}, ""},
		{`{"ts":1717000000000000000}`, "ts", value{i: at}, ""},
		{`{"ts":1717000000.5}`, "ts", value{i: at + 500_000}, ""},
		{`{"ts":"1717000000000"}`, "ts", value{i: at}, ""},
		{`{"ts":"2024-05-29T16:26:40Z"}`, "ts", value{i: at}, ""},
		{`{"ts":"2024-05-29T18:26:40.25+02:00"}`, "ts", value{i: at + 250_000}, ""},
		{`{"ts":"2024-05-29 16:26:40"}`, "ts", value{i: at}, ""},
		{`{"ts":"2099-01-01T00:00:00Z"}`, "ts", value{i: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()}, ""},
		{`{"ts":"1960-05-01T00:00:00Z"}`, "ts", value{i: time.Date(1960, 5, 1, 0, 0, 0, 0, time.UTC).UnixMicro()}, ""},
		{`{"ts":-90000000000}`, "ts", value{}, "out of range"},
		{`{"ts":true}`, "ts", value{}, "not a time"},
		{`{"ts":1717000000,"i2":40000}`, "i2", value{}, "out of range for int2"},
		{`{"ts":1717000000,"i4":"-12"}`, "i4", value{i: -12}, ""},
		{`{"ts":1717000000,"i8":1e3}`, "i8", value{i: 1000}, ""},
		{`{"ts":1717000000,"i8":1.5}`, "i8", value{}, "not an integer"},
		{`{"ts":1717000000,"f8":-2.5e-3}`, "f8", value{f: -0.0025}, ""},
		{`{"ts":1717000000,"f4":"NaN"}`, "f4", value{}, ""},
		{`{"ts":1717000000,"b":"yes"}`, "b", value{b: true}, ""},
		{`{"ts":1717000000,"b":1}`, "b", value{}, "cannot be stored"},
		{`{"ts":1717000000,"s":12.50}`, "s", value{s: []byte("12.50")}, ""},
		{`{"ts":1717000000,"s":"a\"\u00e9"}`, "s", value{s: []byte("a\"é")}, ""},
		{`{"ts":1717000000,"s":{"x":[1,{"y":"}"}]}}`, "s", value{s: []byte(`{"x":[1,{"y":"}"}]}`)}, ""},
		{`{"ts":1717000000,"j":"str"}`, "j", value{s: []byte(`"str"`)}, ""},
		{`{"ts":1717000000,"j":[1, 2]}`, "j", value{s: []byte(`[1, 2]`)}, ""},
		{`{"ts":1717000000,"n":"12.345"}`, "n", value{}, ""},
		{`{"ts":1717000000,"n":123456789.1}`, "n", value{}, "overflow"},
		{`{"ts":1717000000,"d":"2024-05-29"}`, "d", value{i: 19872}, ""},
		{`{"ts":1717000000,"lt":"2024-05-29T16:26:40"}`, "lt", value{i: at}, ""},
		{`{"ts":1717000000,"by":"\\x6869"}`, "by", value{s: []byte("hi")}, ""},
		{`{"ts":1717000000,"by":"aGk="}`, "by", value{s: []byte("hi")}, ""},
		{`{"ts":1717000000,"i4":null}`, "i4", value{null: true}, ""},
		{`{"ts":1717000000,"I4":3}`, "i4", value{i: 3}, ""},
		{`{"ts":1717000000,"s":"x",}`, "s", value{}, "want a member name"},
		{`{"ts":1717000000,"s":01}`, "s", value{}, "bad number"},
		{`{"ts":1717000000,"s":1 2}`, "s", value{}, "want ',' or '}'"},
		{"{\"ts\":1717000000,\"s\":\"\x01\"}", "s", value{}, "control character"},
		{"{\"ts\":1717000000,\"s\":\"\xff\"}", "s", value{}, "invalid UTF-8"},
	} {
		_, err := c.convert([]byte(tc.in))
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: err = %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		var k int
		for i, col := range tbl.Columns {
			if col.Name == tc.col {
				k = i
			}
		}
		got := c.vals[k]
		switch tc.col {
		case "n", "f4":
			if got.null {
				t.Errorf("%s: got NULL", tc.in)
			}
			continue
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: column %s = %+v, want %+v", tc.in, tc.col, got, tc.want)
		}
	}
}

func FuzzScanObject(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":"x\"y","b":[1,{"c":null}],"d":true}`, `{"a":-0.5e+3}`, `[]`, `{"a":}`, `{"a":"\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		fields, err := scanObject(b, nil)
		if err != nil {
			return
		}
		// Whatever scans is one valid JSON object with these members.
		if !jsonValidObject(b) {
			t.Fatalf("scanned %q, which is not a valid JSON object", b)
		}
		_ = fields
	})
}

func TestUnknownFieldPolicy(t *testing.T) {
	t.Parallel()
	tbl := &catalog.Table{Name: "t", Columns: []catalog.Column{{Name: "ts", Type: "timestamptz", NotNull: true}, {Name: "v", Type: "int8", NotNull: true}},
		TimeColumn: "ts", ShardDuration: time.Hour}
	rec := []byte(`{"ts":1717000000,"v":1,"extra":{"x":1}}`)
	reject, err := newConverter(tbl, PolicyReject)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reject.convert(rec); err == nil || !strings.Contains(err.Error(), `unknown field "extra"`) {
		t.Errorf("reject: err = %v", err)
	}
	ignore, err := newConverter(tbl, PolicyIgnore)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ignore.convert(rec); err != nil || ignore.vals[1].i != 1 {
		t.Errorf("ignore: err = %v, v = %+v", err, ignore.vals[1])
	}
	if _, err := ignore.convert([]byte(`{"ts":1717000000}`)); err == nil || !strings.Contains(err.Error(), `column "v" is NOT NULL`) {
		t.Errorf("missing NOT NULL column: err = %v", err)
	}
}

// countingSink records, whenever the consumer hands it files, how many
// rows the consumer's published-rows counter held and how many rows the
// sink had been given before.
type countingSink struct {
	t     *testing.T
	reg   *prometheus.Registry
	mu    sync.Mutex
	known float64 // rows in files given to the sink
	ahead []string
}

func (s *countingSink) AddTable(context.Context, *catalog.Table) error { return nil }

func (s *countingSink) AddFiles(_ int64, files []*catalog.File) {
	s.mu.Lock()
	defer s.mu.Unlock()
	got := counterValue(s.t, s.reg, "openwit_kafka_rows_published_total")
	if got > s.known {
		s.ahead = append(s.ahead, fmt.Sprintf("counter %v with %v rows in files the node's queries see", got, s.known))
	}
	for _, f := range files {
		s.known += float64(f.Rows)
	}
}

// TestPublishedCountedAfterSink checks that the published-rows counter
// counts rows only once the node's queries see their files (Sink): a
// reader that waits for the counter and then counts the rows (bench
// ingest) must find them all.
func TestPublishedCountedAfterSink(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, "logs")
	e.createLogs("logs")
	var values [][]byte
	for k := range 2000 {
		values = append(values, logRecord(k))
	}
	e.produce("logs", values)
	reg := prometheus.NewRegistry()
	sink := &countingSink{t: t, reg: reg}
	c := e.consumer("g1", reg, Topic{Name: "logs"})
	c.cfg.Sink = sink
	stop := run(t, c)
	e.waitOffsets("g1", "logs", int64(len(values)))
	stop()
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.ahead) > 0 {
		t.Errorf("the counter ran ahead of the files: %q", sink.ahead)
	}
	if sink.known != float64(len(values)) {
		t.Errorf("the sink was given files of %v rows, want %d", sink.known, len(values))
	}
}

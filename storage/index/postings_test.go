package index

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/pqfile"
)

// TestPostingsRoundTrip: the postings of a built artifact survive Encode
// and Decode; terms are sorted, digit-only tokens are left out, rows are
// right; a row group past the vocabulary bound gets none.
func TestPostingsRoundTrip(t *testing.T) {
	ix := buildTest(t, 500, Options{})
	dec, err := Decode(ix.Encode())
	if err != nil {
		t.Fatal(err)
	}
	c := dec.Column("msg")
	if c == nil || len(c.Postings) != len(dec.RowGroups) || c.Postings[0] == nil {
		t.Fatalf("no postings for msg: %+v", c)
	}
	p := c.Postings[0]
	if !slices.IsSorted(p.Terms) || slices.ContainsFunc(p.Terms, DigitsOnly) {
		t.Fatalf("terms %q: not sorted or holding digit-only tokens", p.Terms)
	}
	rows, err := p.Union(func(t string) bool { return t == "TIMEOUT" })
	if err != nil {
		t.Fatal(err)
	}
	// Row group 0 holds rows 0..99; every seventh message is NULL.
	if want := 100 - 15; int(rows.GetCardinality()) != want || rows.Contains(0) || !rows.Contains(1) {
		t.Errorf("TIMEOUT in %d rows (row 0 %v, row 1 %v), want %d, not row 0", rows.GetCardinality(), rows.Contains(0), rows.Contains(1), want)
	}
	// Ids "id-000123": one term "id" for all (digits are left out).
	if id := dec.Column("id"); id.Postings == nil || id.Postings[0] == nil || !slices.Equal(id.Postings[0].Terms, []string{"id"}) {
		t.Errorf("id postings: %+v", id.Postings)
	}
	// Mostly distinct values: none.
	b0 := newPostingsBuilder(1000)
	for i := range 1000 {
		b0.add(fmt.Sprintf("tr%x", i), uint32(i))
	}
	if p, err := b0.postings(1000); err != nil || p != nil {
		t.Errorf("1000 terms in 1000 rows: postings %v, %v; want none", p != nil, err)
	}
	// Too many distinct tokens: none.
	b := newPostingsBuilder(1 << 30)
	for i := range PostingsMaxTerms + 1 {
		b.add(fmt.Sprintf("w%x", i), uint32(i))
	}
	if p, err := b.postings(1 << 30); err != nil || p != nil {
		t.Errorf("past the term bound: postings %v, %v; want none", p != nil, err)
	}
	// Damage inside the postings is caught by the checksum.
	enc := ix.Encode()
	enc[len(enc)-20] ^= 0xff
	if _, err := Decode(enc); err == nil {
		t.Error("damaged artifact decoded")
	}
}

// logMessages makes n log-like messages from a few templates with
// numbers, addresses and names, like the bench generator.
func logMessages(n int) []string {
	rng := rand.New(rand.NewPCG(1, 2))
	names := []string{"orders", "users", "payments", "sessions", "carts", "inventory"}
	out := make([]string, n)
	for i := range out {
		switch rng.IntN(6) {
		case 0:
			out[i] = fmt.Sprintf("GET /api/v1/%s/%d completed status=200 in %.3fms", names[rng.IntN(6)], rng.IntN(1e6), rng.Float64()*500)
		case 1:
			out[i] = fmt.Sprintf("user %d logged in from 10.%d.%d.%d", rng.IntN(5e5), rng.IntN(256), rng.IntN(256), rng.IntN(255))
		case 2:
			out[i] = fmt.Sprintf("db query on %s returned %d rows in %.3fms", names[rng.IntN(6)], rng.IntN(500), rng.Float64()*80)
		case 3:
			out[i] = fmt.Sprintf("request timeout after %.3fms calling %s", rng.Float64()*3000, names[rng.IntN(6)])
		case 4:
			out[i] = fmt.Sprintf("Timeout waiting for lock on %s after %dms", names[rng.IntN(6)], 1000+rng.IntN(29000))
		default:
			out[i] = fmt.Sprintf("payment %d declined: insufficient funds", rng.IntN(1e7))
		}
	}
	return out
}

// BenchmarkBuildText measures Build on one 139k-row row group of log
// messages with and without postings, and reports the artifact size per
// data file byte.
func BenchmarkBuildText(b *testing.B) {
	const rows = 139_000
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{{Name: "message", Type: arrow.BinaryTypes.String, Nullable: true}}, nil)
	bld := array.NewStringBuilder(mem)
	for _, m := range logMessages(rows) {
		bld.Append(m)
	}
	col := bld.NewArray()
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, rows)
	var buf bytes.Buffer
	if _, _, err := pqfile.Write(&buf, schema, []arrow.RecordBatch{rec}, pqfile.WriterOptions{RowGroupRows: rows}); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		opt  Options
	}{{"grams", Options{BloomColumns: []string{}, noPostings: true}}, {"grams+postings", Options{BloomColumns: []string{}}}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(buf.Len()))
			var size int
			for b.Loop() {
				rd, err := pqfile.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), mem)
				if err != nil {
					b.Fatal(err)
				}
				ix, err := Build(b.Context(), rd, c.opt)
				if err != nil {
					b.Fatal(err)
				}
				size = len(ix.Encode())
			}
			b.ReportMetric(float64(size)/float64(buf.Len()), "artifact/data")
		})
	}
}

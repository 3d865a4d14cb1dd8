package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/storage/pqfile"
)

// buildTest writes rows (id text, n int64, msg text) in row groups of 100
// and builds the index.
func buildTest(t testing.TB, rows int, opt Options) *Index {
	t.Helper()
	mem := memory.NewGoAllocator()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "n", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "msg", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "level", Type: arrow.BinaryTypes.String, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i := range rows {
		b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("id-%06d", i))
		b.Field(1).(*array.Int64Builder).Append(int64(i))
		if i%7 == 0 {
			b.Field(2).AppendNull()
		} else {
			b.Field(2).(*array.StringBuilder).Append(fmt.Sprintf("Request %d TIMEOUT after %dms", i, i%13))
		}
		b.Field(3).(*array.StringBuilder).Append([]string{"info", "warn"}[i%2])
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	var buf bytes.Buffer
	if _, _, err := pqfile.Write(&buf, schema, []arrow.RecordBatch{rec}, pqfile.WriterOptions{RowGroupRows: 100}); err != nil {
		t.Fatal(err)
	}
	rd, err := pqfile.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()), mem)
	if err != nil {
		t.Fatal(err)
	}
	ix, err := Build(context.Background(), rd, opt)
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func TestBuildAndRoundTrip(t *testing.T) {
	ix := buildTest(t, 350, Options{})
	if want := []int64{100, 100, 100, 50}; !reflect.DeepEqual(ix.RowGroups, want) {
		t.Fatalf("row groups %v, want %v", ix.RowGroups, want)
	}
	id, n, msg, level := ix.Column("id"), ix.Column("n"), ix.Column("msg"), ix.Column("level")
	if id.Blooms == nil || n.Blooms == nil {
		t.Errorf("unique columns got no automatic Bloom filter")
	}
	if level.Blooms != nil {
		t.Errorf("a two-value column got an automatic Bloom filter")
	}
	if msg.Grams == nil || n.Grams != nil {
		t.Errorf("trigram filters: text %v, int %v", msg.Grams != nil, n.Grams != nil)
	}
	if z := n.Zones[1]; !z.Known || z.Min != int64(100) || z.Max != int64(199) || z.Nulls != 0 {
		t.Errorf("zone of n in row group 1: %+v", z)
	}
	if !id.Blooms[2].HasHash(HashString("id-000250")) || id.Blooms[2].HasHash(HashString("id-000150")) && id.Blooms[2].HasHash(HashString("id-000151")) {
		t.Errorf("id Bloom filter of row group 2 is wrong")
	}
	if !HasGrams(msg.Grams[0], Grams("TimeOut")) || HasGrams(msg.Grams[0], Grams("lock wait")) {
		t.Errorf("msg trigram filter is wrong")
	}
	back, err := Decode(ix.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, ix) {
		t.Errorf("decode(encode(ix)) differs")
	}
	chosen := buildTest(t, 350, Options{BloomColumns: []string{"level"}, GramColumns: []string{}})
	if chosen.Column("level").Blooms == nil || chosen.Column("id").Blooms != nil || chosen.Column("msg").Grams != nil {
		t.Errorf("explicit options not followed")
	}
}

// TestDecodeCorrupt: every truncation and every single-byte change is
// ErrCorrupt, never a panic or a wrong index.
func TestDecodeCorrupt(t *testing.T) {
	b := buildTest(t, 120, Options{}).Encode()
	for n := range len(b) {
		if _, err := Decode(b[:n]); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("truncated to %d bytes: %v", n, err)
		}
	}
	step := max(1, len(b)/2000)
	for i := 0; i < len(b); i += step {
		c := bytes.Clone(b)
		c[i] ^= 0x5a
		if _, err := Decode(c); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("byte %d changed: %v", i, err)
		}
	}
}

// FuzzDecode: Decode never panics.
func FuzzDecode(f *testing.F) {
	f.Add(buildTest(f, 120, Options{}).Encode())
	f.Add([]byte("OWIX"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if ix, err := Decode(b); err == nil {
			_ = ix.Encode()
		}
	})
}

// TestLowerIdempotent: the trigram filter relies on strings.ToLower being
// rune by rune and idempotent (ILIKE lowers twice).
func TestLowerIdempotent(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if l := unicode.ToLower(r); unicode.ToLower(l) != l {
			t.Fatalf("ToLower(ToLower(%U)) != ToLower(%U)", r, r)
		}
	}
	if got := strings.ToLower("A\u212AB"); got != "akb" {
		t.Errorf("ToLower of the Kelvin sign: %q", got)
	}
}

func TestTokens(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
	}{
		{"Request TIMEOUT after 3s", []string{"request", "timeout", "after", "3s"}},
		{"db-42/Straße,naïve", []string{"db", "42", "straße", "naïve"}},
		{" ,- ", nil},
		{"a\xffb", []string{"a", "b"}},
	} {
		if got := Tokens(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Tokens(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestGramSetLarge: a set of many distinct trigrams finds every trigram
// it was given (fewer than half of those its alphabet can make: it does
// not saturate).
func TestGramSetLarge(t *testing.T) {
	s := newGramSet()
	var vals []string
	for i := range 50000 {
		v := fmt.Sprintf("%c%c%c%c%c%c", 33+i%90, 33+i/90%90, 33+i/8100%90, 40+i%77, 33+i%61, 35+i/7%80)
		vals = append(vals, v)
		s.add(v)
	}
	if s.invalid || s.ascii == nil || len(s.list) < 100000 {
		t.Fatalf("%d distinct trigrams: the case tests few", len(s.list))
	}
	b := s.bloom()
	for _, v := range vals {
		if !HasGrams(b, Grams(v)) {
			t.Fatalf("trigrams of %q missing", v)
		}
	}
}

package pgwire

import (
	"encoding/binary"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"openwit/internal/copyval"
	"openwit/internal/pgerror"
)

// readCopy runs data through a copyReader in chunks of size chunk (0: one
// chunk) and returns the rows as strings, or the error with its context.
func readCopy(spec CopySpec, cols []Column, data []byte, chunk int) ([]string, string) {
	enc := &encoder{loc: time.UTC}
	r := newCopyReader(spec, cols, enc)
	var rows []string
	emit := func(row []copyval.Value) error {
		boxed := make([]any, len(row))
		for k := range row {
			boxed[k] = row[k].Any()
		}
		rows = append(rows, fmt.Sprintf("%#v", boxed))
		return nil
	}
	errText := func(err error) string {
		pe := pgerror.As(err)
		return pe.Code + " " + pe.Message + " | " + pe.Where
	}
	if chunk <= 0 {
		chunk = len(data) + 1
	}
	for len(data) > 0 {
		n := min(chunk, len(data))
		if err := r.feed(data[:n], emit); err != nil {
			return rows, errText(err)
		}
		data = data[n:]
	}
	if err := r.finish(emit); err != nil {
		return rows, errText(err)
	}
	return rows, ""
}

var copyTestCols = []Column{{Name: "id", TypeOID: pgtype.Int4OID}, {Name: "v", TypeOID: pgtype.TextOID}}

func textSpec() CopySpec { return CopySpec{From: true, Table: "t", Delimiter: '\t', Null: `\N`} }
func csvSpec() CopySpec {
	return CopySpec{From: true, Table: "t", Format: CopyCSV, Delimiter: ',', Quote: '"', Escape: '"'}
}

func TestCopyReader(t *testing.T) {
	tests := []struct {
		name    string
		spec    CopySpec
		in      string
		want    []string // each row as "id|v" with NULL as <nil>
		wantErr string
	}{
		{"text", textSpec(), "1\ta\n2\t\\N\n", []string{"1|a", "2|<nil>"}, ""},
		{"text escapes", textSpec(), "1\t\\t\\n\\\\\\101\\x41\\q\n", []string{"1|\t\n\\AAq"}, ""},
		{"text escaped delimiter and newline", textSpec(), "1\ta\\\tb\\\nc\n", []string{"1|a\tb\nc"}, ""},
		{"text CRLF", textSpec(), "1\ta\r\n2\tb\r\n", []string{"1|a", "2|b"}, ""},
		{"text end marker", textSpec(), "1\ta\n\\.\n2\tb\n", []string{"1|a"}, ""},
		{"text no final newline", textSpec(), "1\ta\n2\tb", []string{"1|a", "2|b"}, ""},
		{"text extra", textSpec(), "1\ta\tb\n", nil, `22P04 extra data after last expected column | COPY t, line 1: "1	a	b"`},
		{"text missing", textSpec(), "1\n", nil, `22P04 missing data for column "v" | COPY t, line 1: "1"`},
		{"text bad int", textSpec(), "1\ta\nzz\tb\n", []string{"1|a"}, `22P02 invalid input syntax for type integer: "zz" | COPY t, line 2, column id: "zz"`},
		{"text bad utf8", textSpec(), "1\t\\xff\n", nil, `22021 invalid byte sequence for encoding "UTF8" | COPY t, line 1, column v`},
		{"csv", csvSpec(), "1,\"a,b\"\n2,\n3,\"\"\n", []string{"1|a,b", "2|<nil>", "3|"}, ""},
		{"csv newline in quotes", csvSpec(), "1,\"x\ny\"\n2,\"p\"\"q\"\n", []string{"1|x\ny", "2|p\"q"}, ""},
		{"csv unterminated", csvSpec(), "1,\"x\n", nil, "22P04 unterminated CSV quoted field | COPY t, line 1: \"1,\"x\n\""},
		{"csv header", func() CopySpec { s := csvSpec(); s.Header = true; return s }(), "id,v\n1,a\n", []string{"1|a"}, ""},
		{"csv header match", func() CopySpec { s := csvSpec(); s.Header, s.HeaderMatch = true, true; return s }(), "id,w\n",
			nil, `22P04 column name mismatch in header line field 2: got "w", expected "v" | COPY t, line 1: "id,w"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			whole, wholeErr := readCopy(tt.spec, copyTestCols, []byte(tt.in), 0)
			var got []string
			for _, r := range whole {
				got = append(got, r)
			}
			if wholeErr != tt.wantErr {
				t.Fatalf("error %q, want %q", wholeErr, tt.wantErr)
			}
			if want := formatWant(tt.want); strings.Join(got, "\n") != want {
				t.Fatalf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), want)
			}
			// Any chunking gives the same result.
			for chunk := 1; chunk <= len(tt.in); chunk++ {
				rows, err := readCopy(tt.spec, copyTestCols, []byte(tt.in), chunk)
				if err != wholeErr || strings.Join(rows, "\n") != strings.Join(whole, "\n") {
					t.Fatalf("chunk %d: rows %v err %q; whole input: rows %v err %q", chunk, rows, err, whole, wholeErr)
				}
			}
		})
	}
}

// formatWant renders "id|v" rows the way readCopy does.
func formatWant(rows []string) string {
	var out []string
	for _, r := range rows {
		id, v, _ := strings.Cut(r, "|")
		var n int64
		fmt.Sscan(id, &n)
		row := []any{n, any(v)}
		if v == "<nil>" {
			row[1] = nil
		}
		out = append(out, fmt.Sprintf("%#v", row))
	}
	return strings.Join(out, "\n")
}

func binaryCopy(rows ...[][]byte) []byte {
	b := append([]byte{}, binarySignature...)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	for _, row := range rows {
		b = binary.BigEndian.AppendUint16(b, uint16(len(row)))
		for _, f := range row {
			if f == nil {
				b = binary.BigEndian.AppendUint32(b, 0xFFFFFFFF)
				continue
			}
			b = binary.BigEndian.AppendUint32(b, uint32(len(f)))
			b = append(b, f...)
		}
	}
	return binary.BigEndian.AppendUint16(b, 0xFFFF)
}

func TestCopyReaderBinary(t *testing.T) {
	spec := CopySpec{From: true, Table: "t", Format: CopyBinary}
	in := binaryCopy([][]byte{{0, 0, 0, 7}, []byte("seven")}, [][]byte{{0xff, 0xff, 0xff, 0xff}, nil})
	want := `[]interface {}{7, "seven"}` + "\n" + `[]interface {}{-1, interface {}(nil)}`
	for chunk := 0; chunk <= len(in); chunk++ {
		rows, err := readCopy(spec, copyTestCols, in, chunk)
		if err != "" || strings.Join(rows, "\n") != want {
			t.Fatalf("chunk %d: %v %q", chunk, rows, err)
		}
	}
	bad := []struct {
		name, in, want string
	}{
		{"signature", "PGCOPY\nxxxxxxxxxxxxxxxx", "22P04 COPY file signature not recognized | "},
		{"field count", string(binaryCopy([][]byte{{0, 0, 0, 1}})), "22P04 row field count is 1, expected 2 | COPY t, line 1"},
		{"int size", string(binaryCopy([][]byte{{0, 1}, nil})), "22P03 incorrect binary data format | COPY t, line 1, column id"},
		{"truncated", string(binaryCopy([][]byte{{0, 0, 0, 1}, nil}))[:25], "22P04 unexpected EOF in COPY data | COPY t, line 0"},
		{"after trailer", string(binaryCopy()) + "x", "22P04 received copy data after EOF marker | "},
	}
	for _, tt := range bad {
		if _, err := readCopy(spec, copyTestCols, []byte(tt.in), 0); err != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, err, tt.want)
		}
	}
}

func TestCopyWriter(t *testing.T) {
	cols := []Column{{Name: "a", TypeOID: pgtype.TextOID}, {Name: "b b", TypeOID: pgtype.Int8OID}}
	rows := [][]any{{"x\ty\\z\n", int64(1)}, {nil, nil}, {"", int64(-2)}, {`\.`, int64(3)}, {`q"r,s`, int64(4)}}
	for _, tt := range []struct {
		spec CopySpec
		want string
	}{
		{CopySpec{Delimiter: '\t', Null: `\N`, Header: true}, "a\tb b\nx\\ty\\\\z\\n\t1\n\\N\t\\N\n\t-2\n\\\\.\t3\nq\"r,s\t4\n"},
		{CopySpec{Format: CopyCSV, Delimiter: ',', Quote: '"', Escape: '"', Header: true}, "a,b b\n\"x\ty\\z\n\",1\n,\n\"\",-2\n\"\\.\",3\n\"q\"\"r,s\",4\n"},
	} {
		w := copyWriter{spec: tt.spec, cols: cols, enc: &encoder{loc: time.UTC}}
		buf := w.appendHeader(nil)
		for _, r := range rows {
			var err error
			if buf, err = w.appendRow(buf, r); err != nil {
				t.Fatal(err)
			}
		}
		if string(buf) != tt.want {
			t.Errorf("format %d:\n%q\nwant\n%q", tt.spec.Format, buf, tt.want)
		}
	}
}

// FuzzCopyReader checks that no input crashes the reader and that the
// result never depends on how the input is split into CopyData chunks.
func FuzzCopyReader(f *testing.F) {
	f.Add([]byte("1\ta\n2\t\\N\n"), uint8(0), uint8(3))
	f.Add([]byte("1,\"a\nb\"\n2,\n"), uint8(1), uint8(2))
	f.Add(binaryCopy([][]byte{{0, 0, 0, 7}, []byte("x")}), uint8(2), uint8(5))
	f.Fuzz(func(t *testing.T, data []byte, format, chunk uint8) {
		spec := textSpec()
		switch format % 3 {
		case 1:
			spec = csvSpec()
		case 2:
			spec = CopySpec{From: true, Table: "t", Format: CopyBinary}
		}
		rows, err := readCopy(spec, copyTestCols, data, 0)
		rows2, err2 := readCopy(spec, copyTestCols, data, int(chunk)+1)
		if err != err2 || strings.Join(rows, "\n") != strings.Join(rows2, "\n") {
			t.Fatalf("chunk %d: %v %q; whole: %v %q", chunk, rows2, err2, rows, err)
		}
	})
}

// copyBenchCols are the bench's logs columns (bench.CreateTableSQL).
var copyBenchCols = []Column{{Name: "ts", TypeOID: pgtype.TimestamptzOID}, {Name: "service", TypeOID: pgtype.TextOID},
	{Name: "host", TypeOID: pgtype.TextOID}, {Name: "level", TypeOID: pgtype.TextOID}, {Name: "status", TypeOID: pgtype.Int4OID},
	{Name: "latency_ms", TypeOID: pgtype.Float8OID}, {Name: "trace_id", TypeOID: pgtype.TextOID}, {Name: "message", TypeOID: pgtype.TextOID}}

// benchCopyReader feeds data to a copyReader in 64 KiB CopyData chunks,
// as pgx sends them, and counts the rows.
func benchCopyReader(b *testing.B, spec CopySpec, data []byte, rows int) {
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	n := 0
	emit := func([]copyval.Value) error { n++; return nil }
	for b.Loop() {
		n = 0
		r := newCopyReader(spec, copyBenchCols, &encoder{loc: time.UTC})
		for chunk := data; len(chunk) > 0; {
			k := min(65536, len(chunk))
			if err := r.feed(chunk[:k], emit); err != nil {
				b.Fatal(err)
			}
			chunk = chunk[k:]
		}
		if err := r.finish(emit); err != nil {
			b.Fatal(err)
		}
		if n != rows {
			b.Fatalf("%d rows, want %d", n, rows)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
}

// BenchmarkCopyReaderText parses and decodes log-like rows in text format.
func BenchmarkCopyReaderText(b *testing.B) {
	var data []byte
	for i := range 10000 {
		data = fmt.Appendf(data, "2024-01-01 00:%02d:%02d.%06dZ\tcheckout\tcheckout-%d\tinfo\t200\t%d.25\t%032x\tGET /api/v1/items/%d completed in 12ms\n",
			i/60%60, i%60, i, i%10, i%1000, i, i)
	}
	benchCopyReader(b, textSpec(), data, 10000)
}

// BenchmarkCopyReaderBinary parses and decodes the rows of
// BenchmarkCopyReaderText in binary format.
func BenchmarkCopyReaderBinary(b *testing.B) {
	data := append([]byte(nil), binarySignature...)
	data = append(data, 0, 0, 0, 0, 0, 0, 0, 0)
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro() - pgEpochMicros
	field := func(v []byte) {
		data = binary.BigEndian.AppendUint32(data, uint32(len(v)))
		data = append(data, v...)
	}
	for i := range 10000 {
		data = binary.BigEndian.AppendUint16(data, 8)
		field(binary.BigEndian.AppendUint64(nil, uint64(base+int64(i)*1_000_001)))
		field([]byte("checkout"))
		field(fmt.Appendf(nil, "checkout-%d", i%10))
		field([]byte("info"))
		field(binary.BigEndian.AppendUint32(nil, 200))
		field(binary.BigEndian.AppendUint64(nil, math.Float64bits(float64(i%1000)+0.25)))
		field(fmt.Appendf(nil, "%032x", i))
		field(fmt.Appendf(nil, "GET /api/v1/items/%d completed in 12ms", i))
	}
	data = binary.BigEndian.AppendUint16(data, 0xFFFF)
	benchCopyReader(b, CopySpec{From: true, Table: "logs", Format: CopyBinary}, data, 10000)
}

package kafka

import (
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestConvertMemberOrder converts records whose members change order,
// case and number from one record to the next (the converter remembers
// the previous record's order) and checks every value lands in its
// column, and that the rows built do not alias the records' bytes.
func TestConvertMemberOrder(t *testing.T) {
	t.Parallel()
	c, err := newConverter(benchLogsTable(), PolicyIgnore)
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	defer mem.AssertSize(t, 0)
	b := array.NewRecordBuilder(mem, c.schema)
	defer b.Release()
	recs := []string{
		`{"ts":1717000000,"service":"api","host":"h1","level":"info","status":200,"latency_ms":1.5,"trace_id":"t1","message":"m1"}`,
		`{"ts":1717000001,"service":"web","host":"h2","level":"warn","status":404,"latency_ms":2.5,"trace_id":"t2","message":"m2"}`,
		`{"message":"m3","trace_id":"t3","latency_ms":3.5,"status":500,"level":"error","host":"h3","service":"auth","ts":1717000002}`,
		`{"ts":1717000003,"Service":"cart","extra":1,"host":"h4","LEVEL":"debug","status":201}`,
		`{"ts":1717000004,"service":"api","host":"h\u0035","level":"info","status":200,"latency_ms":5.5,"trace_id":"t5","message":null}`,
		`{"ts":1717000005}`,
	}
	want := []string{
		"api h1 info 200 1.5 t1 m1",
		"web h2 warn 404 2.5 t2 m2",
		"auth h3 error 500 3.5 t3 m3",
		"cart h4 debug 201 (null) (null) (null)",
		"api h5 info 200 5.5 t5 (null)",
		"(null) (null) (null) (null) (null) (null) (null)",
	}
	for _, r := range recs {
		raw := []byte(r)
		if _, err := c.convert(raw); err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		c.appendRow(b)
		clear(raw) // the row must not alias the record
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	for i, w := range want {
		var got string
		for k := 1; k < int(rec.NumCols()); k++ {
			col := rec.Column(k)
			if k > 1 {
				got += " "
			}
			if col.IsNull(i) {
				got += "(null)"
				continue
			}
			got += fmt.Sprint(col.GetOneForMarshal(i))
		}
		if got != w {
			t.Errorf("row %d = %q, want %q", i, got, w)
		}
		if ts := rec.Column(0).(*array.Timestamp).Value(i); int64(ts) != (1717000000+int64(i))*1_000_000 {
			t.Errorf("row %d: ts = %d", i, ts)
		}
	}
}

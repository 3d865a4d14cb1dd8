package kafka

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/prometheus/client_golang/prometheus"

	"openwit/storage/catalog"
)

// listString renders list i of a as [e1 e2 NULL] (for column).
func listString(a *array.List, i int) string {
	start, end := a.ValueOffsets(i)
	vals := a.ListValues()
	var parts []string
	for j := int(start); j < int(end); j++ {
		if vals.IsNull(j) {
			parts = append(parts, "NULL")
			continue
		}
		parts = append(parts, vals.ValueStr(j))
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// TestConsumeArrayColumns consumes JSON arrays into text[] and int4[]
// columns (docs/design/072): elements of any JSON kind the element type
// takes, null elements, empty arrays; a scalar for an array column, an
// element the type does not take, a nested array and an element out of
// range are dead letters. The rows are read back from the Parquet files.
func TestConsumeArrayColumns(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, "spans")
	if _, err := e.cat.CreateTable(context.Background(), &catalog.Table{
		Name: "spans",
		Columns: []catalog.Column{
			{Name: "ts", Type: "timestamptz", NotNull: true},
			{Name: "key", Type: "int8", NotNull: true},
			{Name: "tags", Type: "text[]"},
			{Name: "codes", Type: "int4[]"},
		},
		TimeColumn: "ts", ShardDuration: time.Hour,
	}); err != nil {
		t.Fatal(err)
	}
	good := []string{
		`{"ts":1717000000000,"key":0,"tags":["k8s","a,b",null],"codes":[200,null,-7]}`,
		`{"ts":1717000000001,"key":1,"tags":[],"codes":[]}`,
		`{"ts":1717000000002,"key":2,"tags":null}`,
		`{"ts":1717000000003,"key":3,"tags":[true,1.5,"x"],"codes":[1.0]}`,
	}
	bad := []string{
		`{"ts":1717000000000,"key":4,"tags":"k8s"}`,          // a string for text[]
		`{"ts":1717000000000,"key":5,"codes":[1,"two"]}`,     // a string element for int4[]
		`{"ts":1717000000000,"key":6,"codes":[[1]]}`,         // nested array
		`{"ts":1717000000000,"key":7,"codes":[99999999999]}`, // out of range for int4
	}
	var values [][]byte
	for _, v := range append(slices.Clone(good), bad...) {
		values = append(values, []byte(v))
	}
	e.produce("spans", values)
	reg := prometheus.NewRegistry()
	stop := run(t, e.consumer("g1", reg, Topic{Name: "spans"}))
	e.waitOffsets("g1", "spans", int64(len(values)))
	stop()

	keys, tags, codes := e.column("spans", "key"), e.column("spans", "tags"), e.column("spans", "codes")
	got := map[string]string{}
	for i, k := range keys {
		got[k] = tags[i] + " " + codes[i]
	}
	want := map[string]string{
		"0": "[k8s a,b NULL] [200 NULL -7]",
		"1": "[] []",
		"2": "NULL NULL",
		"3": "[true 1.5 x] [1]",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	if errs := e.column(ErrorsTable, "error"); len(errs) != len(bad) {
		t.Errorf("openwit_errors holds %d rows, want %d: %q", len(errs), len(bad), errs)
	}
	if got := counterValue(t, reg, "openwit_kafka_dead_letters_total"); got != float64(len(bad)) {
		t.Errorf("openwit_kafka_dead_letters_total = %v, want %d", got, len(bad))
	}
}

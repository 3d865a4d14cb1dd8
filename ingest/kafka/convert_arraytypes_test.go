package kafka

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"openwit/storage/catalog"
)

// TestConsumeArrayTypes consumes JSON arrays into the array columns of
// docs/design/083: numeric(6,2)[] (each element rounded to the scale),
// timestamptz[] (epoch milliseconds and RFC 3339 strings, as for a
// timestamptz column) and varchar(3)[]; an element too long for
// varchar(3), an element too large for numeric(6,2) and a bad time are dead
// letters. The rows are read back from the Parquet files.
func TestConsumeArrayTypes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, "hist")
	if _, err := e.cat.CreateTable(context.Background(), &catalog.Table{
		Name: "hist",
		Columns: []catalog.Column{
			{Name: "ts", Type: "timestamptz", NotNull: true},
			{Name: "key", Type: "int8", NotNull: true},
			{Name: "bounds", Type: "numeric(6,2)[]"},
			{Name: "events", Type: "timestamptz[]"},
			{Name: "tags", Type: "varchar(3)[]"},
		},
		TimeColumn: "ts", ShardDuration: time.Hour,
	}); err != nil {
		t.Fatal(err)
	}
	good := []string{
		`{"ts":1717000000000,"key":0,"bounds":[0.005,1,"2.5",null],"events":[1717000000000,"2024-05-01T10:00:00.5Z",null],"tags":["api","ab   ",null]}`,
		`{"ts":1717000000001,"key":1,"bounds":[],"events":[],"tags":[]}`,
		`{"ts":1717000000002,"key":2,"bounds":null}`,
	}
	bad := []string{
		`{"ts":1717000000000,"key":3,"tags":["ok","long"]}`,    // too long for varchar(3)
		`{"ts":1717000000000,"key":4,"bounds":[10000]}`,        // too large for numeric(6,2)
		`{"ts":1717000000000,"key":5,"events":["not a time"]}`, // no time
	}
	var values [][]byte
	for _, v := range append(slices.Clone(good), bad...) {
		values = append(values, []byte(v))
	}
	e.produce("hist", values)
	reg := prometheus.NewRegistry()
	stop := run(t, e.consumer("g1", reg, Topic{Name: "hist"}))
	e.waitOffsets("g1", "hist", int64(len(values)))
	stop()

	keys, bounds, events, tags := e.column("hist", "key"), e.column("hist", "bounds"), e.column("hist", "events"), e.column("hist", "tags")
	got := map[string]string{}
	for i, k := range keys {
		got[k] = bounds[i] + " " + events[i] + " " + tags[i]
	}
	want := map[string]string{
		"0": "[0.01 1 2.5 NULL] [2024-05-29T16:26:40Z 2024-05-01T10:00:00.5Z NULL] [api ab  NULL]",
		"1": "[] [] []",
		"2": "NULL NULL NULL",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows %v, want %v", got, want)
	}
	if errs := e.column(ErrorsTable, "error"); len(errs) != len(bad) {
		t.Errorf("openwit_errors holds %d rows, want %d: %q", len(errs), len(bad), errs)
	}
}

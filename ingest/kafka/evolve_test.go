package kafka

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"openwit/storage/catalog"
)

// columnTypes returns name -> type of the table's columns in the catalog.
func (e *env) columnTypes(table string) map[string]string {
	e.t.Helper()
	t, err := e.cat.GetTable(context.Background(), table)
	if err != nil {
		e.t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range t.Columns {
		out[c.Name] = c.Type
	}
	return out
}

// TestSchemaEvolution: under unknown_fields: add, new JSON fields become
// nullable columns with the documented types before their records land;
// older rows read NULL; null alone makes no column; bad names, case
// clashes and later values of another type are dead letters.
func TestSchemaEvolution(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 1, "logs")
	e.createLogs("logs")
	// A column made with a quoted mixed-case name: a field differing only
	// in case cannot get its own column.
	if _, err := e.cat.AddColumns(context.Background(), "logs", []catalog.Column{{Name: "Region", Type: "text"}}); err != nil {
		t.Fatal(err)
	}
	rec := func(k int, extra string) []byte {
		return fmt.Appendf(nil, `{"ts":%d,"key":%d%s}`, int64(1_717_000_000_000)+int64(k), k, extra)
	}
	values := [][]byte{
		rec(0, ``),
		rec(1, `,"User":"ann","bytes":12,"ratio":0.5,"big":1e3,"flag":true,"tags":{"a":[1]},"list":[1,2],"later":null`),
		rec(2, `,"user":"bob","bytes":"13"`),
		rec(3, `,"later":7`),
		rec(4, ``),
	}
	bad := [][]byte{
		rec(5, `,"bytes":1.5`),                              // bigint column: not an integer
		rec(6, `,"flag":"maybe"`),                           // bool column
		rec(7, `,"REGION":"eu"`),                            // clashes with "Region"
		rec(8, `,"`+strings.Repeat("x", 64)+`":1`),          // name too long
		rec(9, `,"":1`),                                     // empty name
		[]byte(`{"key":10,"fresh":1}`),                      // invalid otherwise: no column made
		rec(11, `,"n\u0000ul":1`),                           // NUL in the name
		rec(12, `,"ok":"not-a-bool","another_new_field":1`), // bad value of a known column
	}
	values = append(values, bad...)
	e.produce("logs", values)
	reg := prometheus.NewRegistry()
	c := e.consumer("g", reg, Topic{Name: "logs", UnknownFields: PolicyAdd})
	stop := run(t, c)
	e.waitOffsets("g", "logs", int64(len(values)))
	stop()

	types := e.columnTypes("logs")
	want := map[string]string{"user": "text", "bytes": "int8", "ratio": "float8", "big": "float8", "flag": "bool",
		"tags": "jsonb", "list": "jsonb", "later": "int8"}
	for n, typ := range want {
		if types[n] != typ {
			t.Errorf("column %s: type %q, want %q", n, types[n], typ)
		}
	}
	for _, n := range []string{"User", "REGION", "region", "fresh", "another_new_field", ""} {
		if _, ok := types[n]; ok {
			t.Errorf("column %q should not exist", n)
		}
	}
	keys := e.column("logs", "key")
	if len(keys) != 5 {
		t.Fatalf("logs has %d rows, want 5: %v", len(keys), keys)
	}
	byKey := func(col string) map[string]string {
		vs := e.column("logs", col)
		m := map[string]string{}
		for i, k := range keys {
			m[k] = vs[i]
		}
		return m
	}
	for _, tc := range []struct {
		col  string
		want map[string]string
	}{
		{"user", map[string]string{"0": "NULL", "1": "ann", "2": "bob", "3": "NULL", "4": "NULL"}},
		{"bytes", map[string]string{"0": "NULL", "1": "12", "2": "13", "3": "NULL", "4": "NULL"}},
		{"later", map[string]string{"0": "NULL", "1": "NULL", "2": "NULL", "3": "7", "4": "NULL"}},
		{"tags", map[string]string{"0": "NULL", "1": `{"a":[1]}`, "2": "NULL", "3": "NULL", "4": "NULL"}},
	} {
		if got := byKey(tc.col); !maps(got, tc.want) {
			t.Errorf("column %s by key: %v, want %v", tc.col, got, tc.want)
		}
	}
	errs := e.column(ErrorsTable, "error")
	if len(errs) != len(bad) {
		t.Fatalf("%d dead letters, want %d: %q", len(errs), len(bad), errs)
	}
	joined := strings.Join(errs, "\n")
	for _, frag := range []string{`field "bytes": not an integer`, `field "flag": not a boolean`, `differs only in case from column "Region"`,
		"longer than 63 bytes", "empty name", `time column "ts" is missing`, "contains NUL", `field "ok": not a boolean`} {
		if !strings.Contains(joined, frag) {
			t.Errorf("no dead letter says %q:\n%s", frag, joined)
		}
	}
	if got := counterValue(t, reg, "openwit_kafka_columns_added_total"); got != float64(len(want)) {
		t.Errorf("openwit_kafka_columns_added_total = %v, want %d", got, len(want))
	}
}

func maps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestSchemaEvolutionConcurrent: two consumers (two nodes) read the two
// partitions of a topic whose records all bring the same new field at
// once; the table ends with ONE such column and every record lands once
// with its value.
func TestSchemaEvolutionConcurrent(t *testing.T) {
	t.Parallel()
	e := newEnv(t, 2, "logs")
	e.createLogs("logs")
	regs := []*prometheus.Registry{prometheus.NewRegistry(), prometheus.NewRegistry()}
	for _, reg := range regs {
		run(t, e.consumer("g", reg, Topic{Name: "logs", UnknownFields: PolicyAdd}))
	}
	// Wait until each consumer owns one partition, so both see the field.
	deadline := time.Now().Add(30 * time.Second)
	for counterValue(t, regs[0], "openwit_kafka_assigned_partitions") != 1 || counterValue(t, regs[1], "openwit_kafka_assigned_partitions") != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the two consumers did not get one partition each")
		}
		time.Sleep(20 * time.Millisecond)
	}
	const n = 400
	var values [][]byte
	for k := range n {
		values = append(values, fmt.Appendf(nil, `{"ts":%d,"key":%d,"Shared_Field":"v%d","n%d":%d}`, int64(1_717_000_000_000)+int64(k), k, k, k%3, k))
	}
	e.produce("logs", values) // round robin: both partitions
	e.waitOffsets("g", "logs", n)
	checkKeys(t, e, "logs", n)
	var names []string
	for _, c := range mustTable(t, e, "logs").Columns {
		names = append(names, c.Name)
	}
	slices.Sort(names)
	if want := []string{"attrs", "key", "latency", "n0", "n1", "n2", "ok", "service", "shared_field", "status", "ts"}; !slices.Equal(names, want) {
		t.Fatalf("columns %v, want %v", names, want)
	}
	keys, vals := e.column("logs", "key"), e.column("logs", "shared_field")
	for i, k := range keys {
		if vals[i] != "v"+k {
			t.Fatalf("key %s: shared_field %q", k, vals[i])
		}
	}
	if d := e.column(ErrorsTable, "error"); len(d) != 0 {
		t.Errorf("dead letters: %q", d)
	}
}

func mustTable(t *testing.T, e *env, name string) *catalog.Table {
	t.Helper()
	tb, err := e.cat.GetTable(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

package planner

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/shopspring/decimal"

	"openwit/storage/catalog"
)

// TestRowKey: two rows have the same key exactly when every value is the
// same (NULL equals NULL), whatever their texts concatenate to.
func TestRowKey(t *testing.T) {
	ts := time.Date(2026, 1, 1, 0, 0, 0, 1000, time.UTC)
	for _, c := range []struct {
		name string
		a, b sql.Row
		same bool
	}{
		{"equal values", sql.Row{int32(1), "x", ts, nil}, sql.Row{int32(1), "x", ts, nil}, true},
		{"text boundaries", sql.Row{"ab", "c"}, sql.Row{"a", "bc"}, false},
		{"NULL and empty text", sql.Row{nil}, sql.Row{""}, false},
		{"int4 and int8", sql.Row{int32(1)}, sql.Row{int64(1)}, false},
		{"minus zero", sql.Row{math.Copysign(0, -1)}, sql.Row{0.0}, false},
		{"NaN", sql.Row{math.NaN()}, sql.Row{math.NaN()}, true},
		{"numeric scale", sql.Row{decimal.RequireFromString("1.5")}, sql.Row{decimal.RequireFromString("1.50")}, false},
		{"numeric equal", sql.Row{decimal.RequireFromString("1.50")}, sql.Row{decimal.RequireFromString("1.50")}, true},
		{"time", sql.Row{ts}, sql.Row{ts.Add(time.Microsecond)}, false},
		{"bytes and text", sql.Row{[]byte("a")}, sql.Row{"a"}, false},
	} {
		if got := rowKey(c.a) == rowKey(c.b); got != c.same {
			t.Errorf("%s: same key %v, want %v", c.name, got, c.same)
		}
	}
}

// TestJoinedPick: only files whose time range holds a changed row's time
// are rewritten; files without a recorded range always are.
func TestJoinedPick(t *testing.T) {
	j := &joined{timed: true, times: []int64{150, 420}}
	files := []*catalog.File{
		{ID: "a", MinTime: 100, MaxTime: 200},
		{ID: "b", MinTime: 201, MaxTime: 400},
		{ID: "c", MinTime: 400, MaxTime: 420},
		{ID: "d"},
	}
	var got []string
	for _, f := range j.pick(files) {
		got = append(got, f.ID)
	}
	if want := "a c d"; strings.Join(got, " ") != want {
		t.Errorf("picked %q, want %q", strings.Join(got, " "), want)
	}
	j.timed = false
	if n := len(j.pick(files)); n != len(files) {
		t.Errorf("untimed: picked %d files, want all %d", n, len(files))
	}
}

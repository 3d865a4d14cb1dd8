package index

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestPostingsDenseMatchesLists: a builder whose frequent terms move to
// bit sets (design 056) writes the same postings, byte for byte, as one
// that keeps every term a list, for terms of every density from a few rows
// to all of them, in runs and scattered, over row groups of several sizes
// (one past a 65,536-row bitmap container), with values repeated through
// addIDs as valueMemo does.
func TestPostingsDenseMatchesLists(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, rows := range []int{100, 3000, 28_000, 70_000} {
		dense, lists := newPostingsBuilder(int64(rows)), newPostingsBuilder(int64(rows))
		lists.denseAt = rows + 1
		moved := 0
		for row := range rows {
			var v []byte
			for k, share := range []float64{1, 0.97, 0.5, 0.1, 0.02, 0.001} {
				if r.Float64() < share {
					v = fmt.Appendf(v, "t%d ", k)
				}
			}
			if row%1000 < 300 { // a run of rows, then none
				v = append(v, "burst "...)
			}
			v = fmt.Appendf(v, "w%d", r.IntN(40))
			s := string(v)
			if row%5 == 4 { // a value seen before: its term ids again
				ids := dense.addValue(s, uint32(row), true)
				dense.addIDs(ids, uint32(row))
				lists.addIDs(lists.addValue(s, uint32(row), true), uint32(row))
				continue
			}
			dense.add(s, uint32(row))
			lists.add(s, uint32(row))
		}
		for _, d := range dense.dense {
			if d != nil {
				moved++
			}
		}
		if moved == 0 {
			t.Fatalf("%d rows: no term moved to a bit set; the test checks nothing", rows)
		}
		got, err := dense.postings(int64(rows))
		if err != nil {
			t.Fatal(err)
		}
		want, err := lists.postings(int64(rows))
		if err != nil {
			t.Fatal(err)
		}
		if got == nil || want == nil || !slices.Equal(got.Terms, want.Terms) {
			t.Fatalf("%d rows: terms %v, want %v", rows, got, want)
		}
		for i := range got.Terms {
			if !bytes.Equal(got.rows[i], want.rows[i]) {
				t.Errorf("%d rows, term %q: postings differ (%d bytes, want %d)", rows, got.Terms[i], len(got.rows[i]), len(want.rows[i]))
			}
		}
	}
}

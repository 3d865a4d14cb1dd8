package catalog

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func garbagePaths(t *testing.T, c Catalog) []string {
	t.Helper()
	gs, err := c.ListGarbage(t.Context(), time.Now().Add(time.Hour), 0)
	if err != nil {
		t.Fatalf("ListGarbage: %v", err)
	}
	ps := []string{}
	for _, g := range gs {
		ps = append(ps, g.Path)
	}
	slices.Sort(ps)
	return ps
}

func testReplaceFiles(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	tbl := mustCreate(t, c, "metrics")
	var in []*File
	for i := range 3 {
		f := sampleFile(tbl.ID, fmt.Sprintf("f%d", i), 0, int64(i*10), uint64(5+i))
		mustPublish(t, c, f)
		in = append(in, f)
	}
	other := sampleFile(tbl.ID, "other", 3600e6, 3600e6, 2)
	mustPublish(t, c, other)
	cpBefore := mustCheckpoints(t, c, tbl.ID)

	merged := sampleFile(tbl.ID, "merged", 0, 0, 7)
	merged.Rows = 30
	before := time.Now()
	if err := c.ReplaceFiles(ctx, tbl.ID, []string{"f0", "f1", "f2"}, []*File{merged}); err != nil {
		t.Fatalf("ReplaceFiles: %v", err)
	}
	if got := fileIDs(mustFiles(t, c, tbl.ID)); !reflect.DeepEqual(got, []string{"merged", "other"}) {
		t.Errorf("files after replace = %v, want [merged other]", got)
	}
	if got := mustCheckpoints(t, c, tbl.ID); !reflect.DeepEqual(got, cpBefore) {
		t.Errorf("checkpoints after replace = %v, want unchanged %v", got, cpBefore)
	}
	want := []string{in[0].Path, in[1].Path, in[2].Path}
	if got := garbagePaths(t, c); !reflect.DeepEqual(got, want) {
		t.Errorf("garbage = %v, want %v", got, want)
	}
	gs, err := c.ListGarbage(ctx, time.Now().Add(time.Hour), 2)
	if err != nil || len(gs) != 2 {
		t.Fatalf("ListGarbage limit 2 = %d rows, %v", len(gs), err)
	}
	if g := gs[0]; g.TableID != tbl.ID || g.Bytes != 4096 || g.RetiredAt.Before(before.Add(-time.Second)) {
		t.Errorf("garbage row = %+v", g)
	}
	if gs, err := c.ListGarbage(ctx, before.Add(-time.Minute), 0); err != nil || len(gs) != 0 {
		t.Errorf("ListGarbage before the retirement = %d rows, %v; want none", len(gs), err)
	}

	// Repeating a committed replace (unknown outcome) is a no-op.
	if err := c.ReplaceFiles(ctx, tbl.ID, []string{"f0", "f1", "f2"}, []*File{merged}); err != nil {
		t.Errorf("repeated ReplaceFiles: %v", err)
	}
	// A file already gone: ErrConflict, nothing changes.
	second := sampleFile(tbl.ID, "second", 3600e6, 3600e6, 2)
	err = c.ReplaceFiles(ctx, tbl.ID, []string{"other", "f1"}, []*File{second})
	if !errors.Is(err, ErrConflict) {
		t.Errorf("replace of a gone file: err = %v, want ErrConflict", err)
	}
	// A file of another table: ErrConflict.
	tbl2 := mustCreate(t, c, "other_table")
	mustPublish(t, c, sampleFile(tbl2.ID, "t2f", 0, 0, 1))
	if err := c.ReplaceFiles(ctx, tbl.ID, []string{"t2f"}, nil); !errors.Is(err, ErrConflict) {
		t.Errorf("replace of another table's file: err = %v, want ErrConflict", err)
	}
	// An output that is already published: ErrExists, nothing changes.
	if err := c.ReplaceFiles(ctx, tbl.ID, []string{"other"}, []*File{merged}); !errors.Is(err, ErrExists) {
		t.Errorf("replace with a published output: err = %v, want ErrExists", err)
	}
	if got := fileIDs(mustFiles(t, c, tbl.ID)); !reflect.DeepEqual(got, []string{"merged", "other"}) {
		t.Errorf("files after failed replaces = %v, want [merged other]", got)
	}
	if got := garbagePaths(t, c); len(got) != 3 {
		t.Errorf("garbage after failed replaces = %v, want the 3 first", got)
	}
	// Retention: remove without add.
	if err := c.ReplaceFiles(ctx, tbl.ID, []string{"other"}, nil); err != nil {
		t.Fatalf("retention drop: %v", err)
	}
	if got := fileIDs(mustFiles(t, c, tbl.ID)); !reflect.DeepEqual(got, []string{"merged"}) {
		t.Errorf("files after retention drop = %v", got)
	}
	if err := c.ReplaceFiles(ctx, 999999, nil, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("replace in a missing table: err = %v, want ErrNotFound", err)
	}
	if err := c.DeleteGarbage(ctx, []string{in[0].Path, in[1].Path, "no/such/key"}); err != nil {
		t.Fatal(err)
	}
	if got := garbagePaths(t, c); !reflect.DeepEqual(got, []string{in[2].Path, other.Path}) {
		t.Errorf("garbage after delete = %v, want [%s %s]", got, in[2].Path, other.Path)
	}
	// Retired names the swapped-out files whose garbage rows remain; a
	// published file, a forgotten one and an unknown key are not.
	paths := []string{in[0].Path, in[2].Path, other.Path, merged.Path, "no/such/key"}
	for i := range 600 { // more than one IN group
		paths = append(paths, fmt.Sprintf("pad/%d", i))
	}
	got, err := c.Retired(ctx, paths)
	if want := map[string]bool{in[2].Path: true, other.Path: true}; err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("Retired = %v, %v; want %v", got, err, want)
	}
	if got, err := c.Retired(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("Retired(nil) = %v, %v", got, err)
	}
}

func testReplaceRacesReplace(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	tbl := mustCreate(t, c, "race")
	for i := range 4 {
		mustPublish(t, c, sampleFile(tbl.ID, fmt.Sprintf("f%d", i), 0, int64(i), uint64(i+1)))
	}
	const n = 4
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			out := sampleFile(tbl.ID, fmt.Sprintf("out%d", i), 0, 0, 4)
			errs[i] = c.ReplaceFiles(ctx, tbl.ID, []string{"f0", "f1", "f2", "f3"}, []*File{out})
		})
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Errorf("replaces %d and %d both succeeded", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, ErrConflict):
			t.Errorf("replace %d: %v, want nil or ErrConflict", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no replace succeeded")
	}
	if got := fileIDs(mustFiles(t, c, tbl.ID)); !reflect.DeepEqual(got, []string{fmt.Sprintf("out%d", won)}) {
		t.Errorf("files = %v, want only out%d", got, won)
	}
	if got := garbagePaths(t, c); len(got) != 4 {
		t.Errorf("garbage = %v, want the 4 inputs", got)
	}
}

func testDropToGarbage(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	tbl := mustCreate(t, c, "dropme")
	var want []string
	for i := range 3 {
		f := sampleFile(tbl.ID, fmt.Sprintf("d%d", i), int64(i), 0, uint64(i))
		mustPublish(t, c, f)
		want = append(want, f.Path)
	}
	if err := c.DropTable(ctx, "dropme"); err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)
	if got := garbagePaths(t, c); !reflect.DeepEqual(got, want) {
		t.Errorf("garbage after drop = %v, want %v", got, want)
	}
}

func testUpdateTableOptions(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	mustCreate(t, c, "opts") // options {"retention": "7d"}
	got, err := c.UpdateTableOptions(ctx, "opts", map[string]string{"retention": "30 days", "x": "1"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"retention": "30 days", "x": "1"}; !reflect.DeepEqual(got.Options, want) {
		t.Errorf("options = %v, want %v", got.Options, want)
	}
	if _, err := c.UpdateTableOptions(ctx, "opts", nil, []string{"retention", "absent"}); err != nil {
		t.Fatal(err)
	}
	tbl, err := c.GetTable(ctx, "opts")
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"x": "1"}; !reflect.DeepEqual(tbl.Options, want) {
		t.Errorf("stored options = %v, want %v", tbl.Options, want)
	}
	if _, err := c.UpdateTableOptions(ctx, "nope", nil, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing table: err = %v, want ErrNotFound", err)
	}
}

func testAddColumns(t *testing.T, open func(t *testing.T) Catalog) {
	c := open(t)
	ctx := t.Context()
	base := mustCreate(t, c, "grow")
	got, err := c.AddColumns(ctx, "grow", []Column{{Name: "user", Type: "text"}, {Name: "n", Type: "int8"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Columns) != len(base.Columns)+2 || got.Columns[len(got.Columns)-1] != (Column{Name: "n", Type: "int8"}) {
		t.Fatalf("columns = %+v", got.Columns)
	}
	// Present under the same name: kept as it is (no error, no change).
	if got, err = c.AddColumns(ctx, "grow", []Column{{Name: "n", Type: "float8"}}); err != nil || len(got.Columns) != len(base.Columns)+2 {
		t.Fatalf("re-add: %v, %d columns", err, len(got.Columns))
	}
	for _, tc := range []struct {
		col  Column
		want error
	}{
		{Column{Name: "N", Type: "text"}, ErrExists},
		{Column{Name: "", Type: "text"}, ErrInvalid},
		{Column{Name: strings.Repeat("x", 64), Type: "text"}, ErrInvalid},
		{Column{Name: "a\x00b", Type: "text"}, ErrInvalid},
		{Column{Name: "bad", Type: "blob"}, ErrInvalid},
		{Column{Name: "nn", Type: "text", NotNull: true}, ErrInvalid},
	} {
		if _, err := c.AddColumns(ctx, "grow", []Column{tc.col}); !errors.Is(err, tc.want) {
			t.Errorf("add %+v: err = %v, want %v", tc.col, err, tc.want)
		}
	}
	if _, err := c.AddColumns(ctx, "nope", []Column{{Name: "x", Type: "text"}}); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing table: err = %v, want ErrNotFound", err)
	}
	// Concurrent adders of one column end with one column.
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = c.AddColumns(ctx, "grow", []Column{{Name: "shared", Type: "bool"}, {Name: fmt.Sprintf("own%d", i), Type: "text"}})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	tbl, err := c.GetTable(ctx, "grow")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, col := range tbl.Columns {
		if col.Name == "shared" {
			n++
		}
	}
	if n != 1 || len(tbl.Columns) != len(base.Columns)+2+1+len(errs) {
		t.Fatalf("after concurrent adds: %d shared columns, %d columns: %+v", n, len(tbl.Columns), tbl.Columns)
	}
}

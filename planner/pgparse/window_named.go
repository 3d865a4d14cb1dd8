package pgparse

import (
	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
)

// windowClause collects a SELECT's WINDOW clause by name; a definition
// may build on an earlier one (WINDOW w1 AS (...), w2 AS (w1 ORDER BY x)).
func (t *translator) windowClause(defs []*pg.Node) map[string]*pg.WindowDef {
	if len(defs) == 0 {
		return nil
	}
	out := map[string]*pg.WindowDef{}
	saved := t.windows
	t.windows = out
	defer func() { t.windows = saved }()
	for _, n := range defs {
		w := n.GetWindowDef()
		if _, dup := out[w.Name]; dup {
			t.fail(pgerror.WindowingError, "window %q is already defined", w.Name)
		}
		out[w.Name] = t.namedWindow(&pg.WindowDef{Refname: w.Refname, PartitionClause: w.PartitionClause,
			OrderClause: w.OrderClause, FrameOptions: w.FrameOptions, StartOffset: w.StartOffset, EndOffset: w.EndOffset})
	}
	return out
}

// namedWindow resolves OVER w (the window w as defined) and
// OVER (w ORDER BY ... frame) (w's partitioning, and its ordering when the
// reference adds none), with PostgreSQL's rules: the reference may not
// repeat PARTITION BY, may not override an ORDER BY, and may not copy a
// window that has a frame (42P20); an unknown name is 42704.
func (t *translator) namedWindow(w *pg.WindowDef) *pg.WindowDef {
	name := w.Refname
	if name == "" {
		name = w.Name
	}
	if name == "" {
		return w
	}
	base, ok := t.windows[name]
	if !ok {
		t.fail(pgerror.UndefinedObject, "window %q does not exist", name)
	}
	if w.Refname == "" {
		return base // OVER w
	}
	if len(w.PartitionClause) > 0 {
		t.fail(pgerror.WindowingError, "cannot override PARTITION BY clause of window %q", name)
	}
	out := &pg.WindowDef{PartitionClause: base.PartitionClause, OrderClause: base.OrderClause,
		FrameOptions: w.FrameOptions, StartOffset: w.StartOffset, EndOffset: w.EndOffset}
	if len(w.OrderClause) > 0 {
		if len(base.OrderClause) > 0 {
			t.fail(pgerror.WindowingError, "cannot override ORDER BY clause of window %q", name)
		}
		out.OrderClause = w.OrderClause
	}
	if base.FrameOptions&frameNonDefault != 0 {
		t.fail(pgerror.WindowingError, "cannot copy window %q because it has a frame clause", name)
	}
	return out
}

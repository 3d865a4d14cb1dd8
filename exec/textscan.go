package exec

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"openwit/storage/pqfile"
)

// Text scans. A fragment that reads one text column and filters it with
// LIKE, ILIKE or match() (count(*) ... WHERE message LIKE '%timeout%')
// spends its time copying every value of the column into an Arrow string
// array only to test it and drop most rows. A text scan tests the values
// where the Parquet reader decoded them (views into the page buffer) and
// builds an array of the rows that pass only; the filter above it still
// evaluates the whole predicate on those rows, so the result does not
// depend on this test being exact, only on it keeping every match (it is
// exact: TestBytesMatchAgreesWithLike).

// textFilter is the pushed text test of a scan.
type textFilter struct {
	col   int               // position in the scan's columns
	match func([]byte) bool // exactly the predicate on a non-NULL value
}

// textConjunct returns the first conjunct of filter that is LIKE, ILIKE
// or match() on column col, or nil.
func textConjunct(filter *Expr, col int) *Expr {
	if filter == nil {
		return nil
	}
	switch filter.Op {
	case OpAnd:
		for _, a := range filter.Args {
			if c := textConjunct(a, col); c != nil {
				return c
			}
		}
	case OpLike, OpMatch:
		if a := filter.Args[0]; a.Op == OpCol && a.Col == col {
			return filter
		}
	}
	return nil
}

// newTextFilter returns the text scan test of a fragment reading cols
// filtered by filter, or nil when the shape does not fit: a single text
// column with a LIKE, ILIKE or match() conjunct on it.
func newTextFilter(schema *arrow.Schema, filter *Expr) *textFilter {
	if schema.NumFields() != 1 || schema.Field(0).Type.ID() != arrow.STRING {
		return nil
	}
	e := textConjunct(filter, 0)
	if e == nil {
		return nil
	}
	m, err := compileBytesMatch(e)
	if err != nil {
		return nil
	}
	return &textFilter{col: 0, match: m}
}

// compileBytesMatch compiles a LIKE, ILIKE (Fold) or match() expression
// into a test of a non-NULL value's bytes that agrees with the string
// matcher compilePredicate builds.
func compileBytesMatch(e *Expr) (func([]byte) bool, error) {
	if e.Op == OpMatch {
		m := matchWords(e.Str)
		return func(v []byte) bool { return m(string(v)) }, nil
	}
	m, err := compileBytesLike(e.Str, e.Escape)
	if err != nil {
		return nil, err
	}
	if !e.Fold {
		return m, nil
	}
	// ILIKE: the pattern is lower case already; lower the value as
	// strings.ToLower does, in place for ASCII (the common case).
	var buf []byte
	return func(v []byte) bool {
		for _, c := range v {
			if c >= 0x80 {
				return m([]byte(strings.ToLower(string(v))))
			}
		}
		buf = append(buf[:0], v...)
		for i, c := range buf {
			if 'A' <= c && c <= 'Z' {
				buf[i] = c + ('a' - 'A')
			}
		}
		return m(buf)
	}, nil
}

// compileBytesLike is compileLike on bytes.
func compileBytesLike(pattern, escape string) (func([]byte) bool, error) {
	toks, err := likeTokens(pattern, escape)
	if err != nil {
		return nil, err
	}
	isPct := func(t likeTok) bool { return t.wild == '%' }
	switch {
	case len(toks) == 0:
		return func(v []byte) bool { return len(v) == 0 }, nil
	case len(toks) == 1 && toks[0].wild == 0:
		l := []byte(toks[0].lit)
		return func(v []byte) bool { return bytes.Equal(v, l) }, nil
	case len(toks) == 1 && isPct(toks[0]):
		return func([]byte) bool { return true }, nil
	case len(toks) == 2 && toks[0].wild == 0 && isPct(toks[1]):
		l := []byte(toks[0].lit)
		return func(v []byte) bool { return bytes.HasPrefix(v, l) }, nil
	case len(toks) == 2 && isPct(toks[0]) && toks[1].wild == 0:
		l := []byte(toks[1].lit)
		return func(v []byte) bool { return bytes.HasSuffix(v, l) }, nil
	case len(toks) == 3 && isPct(toks[0]) && toks[1].wild == 0 && isPct(toks[2]):
		l := []byte(toks[1].lit)
		return func(v []byte) bool { return bytes.Contains(v, l) }, nil
	}
	rx, err := likeRegexp(toks)
	if err != nil {
		return nil, err
	}
	return rx.Match, nil
}

// textBatches reads the text column of row group g, tests every non-NULL
// value where it was decoded and returns the values that pass as string
// batches of at most batchRows rows. NULL rows never pass LIKE or match().
func (s *Scan) textBatches(ctx context.Context, g int) ([]arrow.RecordBatch, error) {
	var out []arrow.RecordBatch
	bld := array.NewStringBuilder(s.p.mem())
	defer bld.Release()
	limit := int(s.p.batchRows())
	flush := func() {
		if bld.Len() == 0 {
			return
		}
		a := bld.NewArray()
		out = append(out, array.NewRecordBatch(s.schema, []arrow.Array{a}, int64(a.Len())))
		a.Release()
	}
	err := s.rd.ScanBytes(ctx, g, s.cols[s.text.col], limit, func(b pqfile.ByteBatch) error {
		s.Rows += int64(b.Rows)
		for _, v := range b.Values {
			if s.text.match(v) {
				bld.BinaryBuilder.Append(v)
				if bld.Len() >= limit {
					flush()
				}
			}
		}
		return nil
	})
	if err != nil {
		for _, r := range out {
			r.Release()
		}
		return nil, fmt.Errorf("read %s: %w", s.src.File.Path, err)
	}
	flush()
	return out, nil
}

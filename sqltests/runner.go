package sqltests

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// DefaultTimeout bounds one record when Runner.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Runner runs scripts against one target server.
type Runner struct {
	// Target is matched by skipif and onlyif: TargetOpenWit or TargetPostgres.
	Target string
	// Timeout bounds each record; DefaultTimeout when zero.
	Timeout time.Duration
	// Repeat runs every query record that succeeded a second time right
	// away and checks that result too (what servers keep between
	// statements, such as OpenWit's memoized index answers, must not
	// change an answer).
	Repeat bool
}

// Failure is a record whose outcome differed from what the script expects.
type Failure struct {
	File string
	Line int
	SQL  string
	Msg  string
}

// Error formats the failure as file:line, the message, then the SQL.
func (f *Failure) Error() string {
	sql := "    " + strings.ReplaceAll(f.SQL, "\n", "\n    ")
	return fmt.Sprintf("%s:%d: %s\n  sql:\n%s", f.File, f.Line, f.Msg, sql)
}

// Run runs the records of s in order on conn, which must hold fresh state,
// and returns the failed records. A failed record does not stop the run; the
// error is non-nil only when the run could not go on (the connection was
// lost or ctx ended), and then the failures so far are returned with it.
func (r Runner) Run(ctx context.Context, conn *pgx.Conn, s *Script) ([]*Failure, error) {
	fails, _, err := r.run(ctx, conn, s, false)
	return fails, err
}

// Rewrite runs s on conn like Run and returns the script's source with the
// expected results of every query that ran replaced by the results conn
// returned, laid out canonically (see ResultLines). Records that failed for
// another reason than their results (a statement's outcome, a query error,
// a column count) keep their text and are returned as failures.
//
// Rewrite is for generating expectations from a reference server
// (PostgreSQL); a person must read what it wrote.
func (r Runner) Rewrite(ctx context.Context, conn *pgx.Conn, s *Script) ([]byte, []*Failure, error) {
	fails, results, err := r.run(ctx, conn, s, true)
	if err != nil {
		return nil, fails, err
	}
	var out []string
	prev := 0
	for i, rec := range s.Records {
		lines, ok := results[i]
		if !ok {
			continue
		}
		out = append(out, s.lines[prev:rec.resultsAt]...)
		out = append(out, "----")
		out = append(out, lines...)
		prev = rec.end
	}
	out = append(out, s.lines[prev:]...)
	return []byte(strings.Join(out, "\n") + "\n"), fails, nil
}

// run runs s; in rewrite mode it returns the canonical result lines of each
// query that ran, by record index, instead of comparing them.
func (r Runner) run(ctx context.Context, conn *pgx.Conn, s *Script, rewrite bool) ([]*Failure, map[int][]string, error) {
	var fails []*Failure
	results := map[int][]string{}
	labels := map[string]labelled{}
	for i := range s.Records {
		rec := &s.Records[i]
		if !rec.Runs(r.Target) {
			continue
		}
		if rec.Kind == KindHalt {
			break
		}
		fail := func(format string, args ...any) {
			fails = append(fails, &Failure{File: s.Name, Line: rec.Line, SQL: rec.SQL, Msg: fmt.Sprintf(format, args...)})
		}
		res, err := r.exec(ctx, conn.PgConn(), rec.SQL)
		if ctx.Err() != nil || conn.PgConn().IsClosed() {
			if err != nil {
				fail("%s", describe(err))
			}
			return fails, nil, fmt.Errorf("%s:%d: connection lost, stopping the file: %w", s.Name, rec.Line, errors.Join(err, ctx.Err()))
		}
		if rec.ExpectError {
			if msg := checkError(rec.Pattern, err); msg != "" {
				fail("%s", msg)
			}
			continue
		}
		if err != nil {
			fail("unexpected error: %s", describe(err))
			continue
		}
		if rec.Kind != KindQuery {
			continue
		}
		rows, err := RenderRows(rec.Types, res.cols, res.rows)
		if err != nil {
			fail("%v", err)
			continue
		}
		got := ResultLines(rows, rec.Sort)
		if r.Repeat && !rewrite {
			if again, err := r.exec(ctx, conn.PgConn(), rec.SQL); err != nil {
				fail("run again: unexpected error: %s", describe(err))
			} else if rows2, err := RenderRows(rec.Types, again.cols, again.rows); err != nil {
				fail("run again: %v", err)
			} else if msg := Compare(rec.Expected, rows2, len(rec.Types), rec.Sort); msg != "" {
				fail("run again: %s", msg)
			}
		}
		if rewrite {
			results[i] = got
		} else if msg := Compare(rec.Expected, rows, len(rec.Types), rec.Sort); msg != "" {
			fail("%s", msg)
		}
		if rec.Label != "" {
			if prev, ok := labels[rec.Label]; ok && !slices.Equal(prev.lines, got) {
				fail("results differ from those of line %d, which has the same label %q", prev.line, rec.Label)
			} else if !ok {
				labels[rec.Label] = labelled{line: rec.Line, lines: got}
			}
		}
	}
	return fails, results, nil
}

type labelled struct {
	line  int
	lines []string
}

// result is the last result set of a simple-protocol query.
type result struct {
	cols int
	rows [][][]byte
}

// exec runs sql with the simple query protocol (text results) and returns
// the last result it produced.
func (r Runner) exec(ctx context.Context, pc *pgconn.PgConn, sql string) (*result, error) {
	timeout := r.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	mrr := pc.Exec(ctx, sql)
	last := &result{}
	var firstErr error
	for mrr.NextResult() {
		rr := mrr.ResultReader()
		res := &result{cols: len(rr.FieldDescriptions())}
		for rr.NextRow() {
			vals := rr.Values()
			row := make([][]byte, len(vals))
			for i, v := range vals {
				if v != nil {
					row[i] = append([]byte{}, v...)
				}
			}
			res.rows = append(res.rows, row)
		}
		if _, err := rr.Close(); err != nil && firstErr == nil {
			firstErr = err
		}
		last = res
	}
	if err := mrr.Close(); err != nil && firstErr == nil {
		firstErr = err
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return last, nil
}

// IsSQLState reports whether an error pattern is a SQLSTATE: exactly five
// characters from [0-9A-Z].
func IsSQLState(pattern string) bool {
	if len(pattern) != 5 {
		return false
	}
	for _, c := range pattern {
		if (c < '0' || c > '9') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// checkError matches err against an error pattern and returns "" when it
// matches, or why not.
func checkError(pattern string, err error) string {
	if err == nil {
		return "expected an error, but it succeeded"
	}
	if pattern == "" {
		return ""
	}
	var pgErr *pgconn.PgError
	isPG := errors.As(err, &pgErr)
	if IsSQLState(pattern) {
		if !isPG {
			return fmt.Sprintf("expected SQLSTATE %s, got an error without one: %v", pattern, err)
		}
		if pgErr.Code != pattern {
			return fmt.Sprintf("expected SQLSTATE %s, got %s", pattern, describe(err))
		}
		return ""
	}
	re, cerr := regexp.Compile(pattern)
	if cerr != nil {
		return fmt.Sprintf("bad error pattern: %v", cerr)
	}
	msg := err.Error()
	if isPG {
		msg = pgErr.Message
	}
	if !re.MatchString(msg) {
		return fmt.Sprintf("expected an error matching %q, got %s", pattern, describe(err))
	}
	return ""
}

// describe formats an error with its SQLSTATE when the server sent one.
func describe(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return fmt.Sprintf("%s (SQLSTATE %s)", pgErr.Message, pgErr.Code)
	}
	return err.Error()
}

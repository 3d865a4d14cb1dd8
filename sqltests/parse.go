package sqltests

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
)

// Targets matched by skipif and onlyif.
const (
	TargetOpenWit  = "openwit"
	TargetPostgres = "postgres"
)

// Kind is the kind of a record.
type Kind int

// Record kinds.
const (
	KindStatement Kind = iota + 1 // statement ok, statement error
	KindQuery                     // query <types>, query error
	KindHalt                      // halt
)

// SortMode says how a query's results are ordered before comparing.
type SortMode int

// Sort modes.
const (
	NoSort    SortMode = iota // rows as the server sent them
	RowSort                   // rows sorted as strings
	ValueSort                 // all values sorted as strings
)

// String returns the mode as scripts spell it.
func (m SortMode) String() string {
	switch m {
	case RowSort:
		return "rowsort"
	case ValueSort:
		return "valuesort"
	default:
		return "nosort"
	}
}

// Record is one record of a script.
type Record struct {
	Kind Kind
	Line int // 1-based line of the header (statement, query or halt)

	SkipIf []string // targets from skipif lines
	OnlyIf []string // targets from onlyif lines

	SQL string

	// ExpectError is set by "statement error" and "query error"; Pattern is
	// the SQLSTATE or regular expression after it, empty for any error.
	ExpectError bool
	Pattern     string

	// Query records that expect results.
	Types    string   // one of T, I, R, B per column
	Sort     SortMode // nosort unless given
	Label    string
	Expected []string // result lines after "----", trimmed

	// Line indexes (0-based) into Script.lines used by Rewrite: the
	// results of a query are lines [resultsAt, end), where resultsAt is
	// the "----" line if there is one.
	resultsAt, end int
}

// Runs reports whether the record runs against target.
func (r *Record) Runs(target string) bool {
	for _, t := range r.SkipIf {
		if t == target {
			return false
		}
	}
	if len(r.OnlyIf) == 0 {
		return true
	}
	for _, t := range r.OnlyIf {
		if t == target {
			return true
		}
	}
	return false
}

// Script is a parsed sqllogictest file.
type Script struct {
	Name    string // file name used in messages
	Records []Record
	lines   []string // source lines, for Rewrite
}

// ParseFile reads and parses the script at path.
func ParseFile(path string) (*Script, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src)
}

// Parse parses a script; name is used in error messages as name:line.
func Parse(name string, src []byte) (*Script, error) {
	text := strings.ReplaceAll(string(src), "\r\n", "\n")
	text = strings.TrimSuffix(text, "\n")
	lines := strings.Split(text, "\n")
	p := &parser{name: name, lines: lines}
	s := &Script{Name: name, lines: lines}
	for {
		rec, err := p.next()
		if err != nil {
			return nil, err
		}
		if rec == nil {
			return s, nil
		}
		s.Records = append(s.Records, *rec)
	}
}

type parser struct {
	name  string
	lines []string
	i     int // index of the next unread line
}

func blank(line string) bool { return strings.Trim(line, " \t") == "" }

func (p *parser) errorf(i int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", p.name, i+1, fmt.Sprintf(format, args...))
}

// next returns the next record, or nil at the end of the script.
func (p *parser) next() (*Record, error) {
	rec := &Record{}
	conditioned := false
	for ; p.i < len(p.lines); p.i++ {
		line := strings.Trim(p.lines[p.i], " \t")
		if line == "" {
			if conditioned {
				return nil, p.errorf(p.i, "blank line between a condition and its record")
			}
			continue
		}
		if strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		switch f[0] {
		case "skipif", "onlyif":
			if len(f) != 2 {
				return nil, p.errorf(p.i, "%s needs exactly one target", f[0])
			}
			if f[1] != TargetOpenWit && f[1] != TargetPostgres {
				return nil, p.errorf(p.i, "unknown target %q (want %s or %s)", f[1], TargetOpenWit, TargetPostgres)
			}
			if f[0] == "skipif" {
				rec.SkipIf = append(rec.SkipIf, f[1])
			} else {
				rec.OnlyIf = append(rec.OnlyIf, f[1])
			}
			conditioned = true
		case "hash-threshold":
			if conditioned {
				return nil, p.errorf(p.i, "hash-threshold cannot have conditions")
			}
			if len(f) != 2 {
				return nil, p.errorf(p.i, "hash-threshold needs one number")
			}
			if _, err := strconv.Atoi(f[1]); err != nil {
				return nil, p.errorf(p.i, "hash-threshold needs one number, got %q", f[1])
			}
		case "halt":
			if len(f) != 1 {
				return nil, p.errorf(p.i, "halt takes no arguments")
			}
			rec.Kind, rec.Line = KindHalt, p.i+1
			p.i++
			if p.i < len(p.lines) && !blank(p.lines[p.i]) {
				return nil, p.errorf(p.i, "halt must be followed by a blank line")
			}
			return rec, nil
		case "statement":
			return rec, p.statement(rec, line, f)
		case "query":
			return rec, p.query(rec, line, f)
		default:
			return nil, p.errorf(p.i, "unknown record type %q (want statement, query, halt, skipif, onlyif or hash-threshold)", f[0])
		}
	}
	if conditioned {
		return nil, p.errorf(p.i-1, "condition at the end of the file has no record")
	}
	return nil, nil
}

// errorPattern parses the pattern of a "<word> error [pattern]" header and
// checks that it is a SQLSTATE or a valid regular expression.
func (p *parser) errorPattern(line, word string) (string, error) {
	rest := strings.TrimSpace(strings.TrimPrefix(line, word))
	pattern := strings.TrimSpace(strings.TrimPrefix(rest, "error"))
	if pattern != "" && !IsSQLState(pattern) {
		if _, err := regexp.Compile(pattern); err != nil {
			return "", p.errorf(p.i, "error pattern is neither a SQLSTATE nor a regular expression: %v", err)
		}
	}
	return pattern, nil
}

func (p *parser) statement(rec *Record, line string, f []string) error {
	rec.Kind, rec.Line = KindStatement, p.i+1
	switch {
	case len(f) == 2 && f[1] == "ok":
	case len(f) >= 2 && f[1] == "error":
		rec.ExpectError = true
		pattern, err := p.errorPattern(line, "statement")
		if err != nil {
			return err
		}
		rec.Pattern = pattern
	default:
		return p.errorf(p.i, "want \"statement ok\" or \"statement error [pattern]\", got %q", line)
	}
	header := p.i
	p.i++
	var sql []string
	for ; p.i < len(p.lines) && !blank(p.lines[p.i]); p.i++ {
		if strings.TrimSpace(p.lines[p.i]) == "----" {
			return p.errorf(p.i, "statement records have no results; use query")
		}
		sql = append(sql, p.lines[p.i])
	}
	if len(sql) == 0 {
		return p.errorf(header, "statement has no SQL")
	}
	rec.SQL = strings.Join(sql, "\n")
	rec.end = p.i
	return nil
}

func (p *parser) query(rec *Record, line string, f []string) error {
	rec.Kind, rec.Line = KindQuery, p.i+1
	if len(f) < 2 {
		return p.errorf(p.i, "query needs a type string, e.g. \"query IT\", or \"query error\"")
	}
	if f[1] == "error" {
		rec.ExpectError = true
		pattern, err := p.errorPattern(line, "query")
		if err != nil {
			return err
		}
		rec.Pattern = pattern
	} else {
		for _, c := range f[1] {
			if !strings.ContainsRune("TIRB", c) {
				return p.errorf(p.i, "type string %q: unknown type %q (want T, I, R or B)", f[1], c)
			}
		}
		rec.Types = f[1]
		if len(f) > 2 {
			switch f[2] {
			case "nosort":
				rec.Sort = NoSort
			case "rowsort":
				rec.Sort = RowSort
			case "valuesort":
				rec.Sort = ValueSort
			default:
				return p.errorf(p.i, "unknown sort mode %q (want nosort, rowsort or valuesort)", f[2])
			}
		}
		if len(f) > 3 {
			rec.Label = f[3]
		}
		if len(f) > 4 {
			return p.errorf(p.i, "too many words in query header %q", line)
		}
	}
	header := p.i
	p.i++
	var sql []string
	rec.resultsAt = -1
	for ; p.i < len(p.lines) && !blank(p.lines[p.i]); p.i++ {
		if strings.TrimSpace(p.lines[p.i]) == "----" {
			rec.resultsAt = p.i
			p.i++
			break
		}
		sql = append(sql, p.lines[p.i])
	}
	if len(sql) == 0 {
		return p.errorf(header, "query has no SQL")
	}
	rec.SQL = strings.Join(sql, "\n")
	if rec.resultsAt >= 0 {
		if rec.ExpectError {
			return p.errorf(rec.resultsAt, "query error records have no results")
		}
		for ; p.i < len(p.lines) && !blank(p.lines[p.i]); p.i++ {
			rec.Expected = append(rec.Expected, strings.Trim(p.lines[p.i], " \t"))
		}
	} else {
		rec.resultsAt = p.i
	}
	rec.end = p.i
	return nil
}

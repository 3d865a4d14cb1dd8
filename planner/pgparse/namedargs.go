package pgparse

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"

	"openwit/internal/pgerror"
)

// paramNames are the parameter names of the functions that declare them in
// PostgreSQL (pg_proc.proargnames), and how many leading parameters have
// no default. Only these functions take named arguments (name => value).
var paramNames = map[string]struct {
	names    []string
	required int
}{
	"make_interval":    {[]string{"years", "months", "weeks", "days", "hours", "mins", "secs"}, 0},
	"make_date":        {[]string{"year", "month", "day"}, 3},
	"make_timestamp":   {[]string{"year", "month", "mday", "hour", "min", "sec"}, 6},
	"make_timestamptz": {[]string{"year", "month", "mday", "hour", "min", "sec", "timezone"}, 6},
}

// namedArgs resolves named arguments (name => value, name := value) to
// positions, PostgreSQL's way: positional arguments first, each named one
// must name a parameter not already given, and the parameters left out
// must have defaults. Parameters with defaults that are left out before
// the last one given are filled with the default (0 for make_interval).
// A call that matches no parameter list is 42883, as PostgreSQL reports a
// function that does not exist.
func (t *translator) namedArgs(name string, args []*pg.Node) []*pg.Node {
	first := -1
	for i, a := range args {
		if a.GetNamedArgExpr() != nil {
			first = i
			break
		}
	}
	if first < 0 {
		return args
	}
	p, ok := paramNames[name]
	noSuch := func() {
		var sig []string
		for _, a := range args {
			if na := a.GetNamedArgExpr(); na != nil {
				sig = append(sig, na.Name+" => ...")
			} else {
				sig = append(sig, "...")
			}
		}
		t.fail(pgerror.UndefinedFunction, "function %s(%s) does not exist", name, strings.Join(sig, ", "))
	}
	if !ok {
		noSuch()
	}
	out := make([]*pg.Node, len(p.names))
	copy(out, args[:first])
	last := first - 1
	for _, a := range args[first:] {
		na := a.GetNamedArgExpr()
		if na == nil {
			t.fail(pgerror.SyntaxError, "positional argument cannot follow named argument")
		}
		pos := -1
		for i, n := range p.names {
			if n == na.Name {
				pos = i
			}
		}
		if pos < 0 || out[pos] != nil {
			// The positions before first are the positional arguments';
			// a later one taken was named before.
			if pos >= first {
				t.fail(pgerror.SyntaxError, "argument name %q used more than once", na.Name)
			}
			noSuch()
		}
		out[pos] = na.Arg
		last = max(last, pos)
	}
	out = out[:last+1]
	for i, a := range out {
		if a == nil {
			if i < p.required {
				noSuch()
			}
			out[i] = &pg.Node{Node: &pg.Node_AConst{AConst: &pg.A_Const{Val: &pg.A_Const_Ival{Ival: &pg.Integer{Ival: 0}}}}}
		}
	}
	if len(out) < p.required {
		noSuch()
	}
	return out
}

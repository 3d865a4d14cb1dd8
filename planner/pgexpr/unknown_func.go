package pgexpr

import (
	"fmt"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"

	"openwit/internal/pgerror"
)

// noFunctionHint is PostgreSQL's hint on 42883 for a call no function
// matches.
const noFunctionHint = "No function matches the given name and argument types. You might need to add explicit type casts."

// InjectableUnknownFunc is a call of a function that does not exist. The
// translator knows the name is unknown but not the arguments' types, which
// PostgreSQL's message lists ("function f(unknown, integer) does not
// exist"); go-mysql-server resolves the arguments first and then calls
// WithResolvedChildren, which fails with that message. Unknown marks the
// arguments that are untyped string literals (PostgreSQL's "unknown");
// Pos is the call's 1-based position in the query (0: none).
type InjectableUnknownFunc struct {
	Name    string
	Unknown []bool
	Pos     int32
}

// WithResolvedChildren implements sqlparser.Injectable: it always fails.
func (f InjectableUnknownFunc) WithResolvedChildren(children []any) (any, error) {
	names := make([]string, len(children))
	for i, c := range children {
		e, ok := c.(sql.Expression)
		if !ok {
			return nil, fmt.Errorf("%s: argument %d is not an expression", f.Name, i+1)
		}
		names[i] = TypeOfName(e.Type())
		if i < len(f.Unknown) && f.Unknown[i] {
			names[i] = "unknown"
		}
	}
	err := pgerror.New(pgerror.UndefinedFunction, "function %s(%s) does not exist", f.Name, strings.Join(names, ", "))
	err.Hint = noFunctionHint
	err.Position = f.Pos
	return nil, err
}

// InjectableError is an expression that fails with Err when it is bound
// (a name PostgreSQL would not resolve, found by the translator, reported
// when the planner reaches it).
type InjectableError struct{ Err error }

// WithResolvedChildren implements sqlparser.Injectable.
func (e InjectableError) WithResolvedChildren([]any) (any, error) { return nil, e.Err }

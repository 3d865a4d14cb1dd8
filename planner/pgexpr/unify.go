package pgexpr

import (
	"fmt"
	"reflect"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/expression"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/planner/pgtypes"
)

// TypeGroup is a set of expressions PostgreSQL resolves to one type per
// column ("10.5 UNION, CASE, and Related Constructs"): the inputs of a set
// operation (input 0 the left, 1 the right), or the rows of a VALUES list.
//
// The front end wraps every member in an InjectableUnify. Binding the
// statement records each member's type; Resolve then picks each column's
// type with PostgreSQL's rules, and the next binding casts every member to
// it, before go-mysql-server, which would unify them with MySQL's rules,
// sees the inputs. A group's types can depend on other groups (a set
// operation over a derived table that is one), so the planner binds and
// resolves until nothing changes. See docs/design/035-set-operation-types.md.
type TypeGroup struct {
	// Construct names the group in errors: UNION, INTERSECT, EXCEPT, VALUES.
	Construct string
	// Distinct says the set operation removes duplicates (no ALL).
	Distinct bool

	mu     sync.Mutex
	seen   map[[2]int]member // (input, column) → what the last binding saw
	target map[int]sql.Type  // column → resolved engine type; nil: none
}

type member struct {
	typ     sql.Type
	unknown bool // a string literal or NULL: PostgreSQL's unknown type
}

// NewTypeGroup returns an empty group.
func NewTypeGroup(construct string) *TypeGroup {
	return &TypeGroup{Construct: construct, seen: map[[2]int]member{}, target: map[int]sql.Type{}}
}

// Reset forgets what earlier bindings recorded (not the resolved types).
func (g *TypeGroup) Reset() {
	g.mu.Lock()
	defer g.mu.Unlock()
	clear(g.seen)
}

func (g *TypeGroup) record(input, col int, m member) sql.Type {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.seen[[2]int{input, col}] = m
	return g.target[col]
}

// Resolve computes each column's type from what the last binding recorded.
// It reports whether a column's type changed (the statement must be bound
// again) and fails with 42804 when the inputs' types cannot be matched. A
// group the binding did not reach (or reached only partly) is left alone.
func (g *TypeGroup) Resolve() (changed bool, err error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	inputs, cols := 0, 0
	for k := range g.seen {
		inputs, cols = max(inputs, k[0]+1), max(cols, k[1]+1)
	}
	if len(g.seen) != inputs*cols {
		return false, nil
	}
	for c := range cols {
		oids := make([]uint32, inputs)
		var same sql.Type // the engine type all typed inputs share, if they do
		mixed := false
		for i := range inputs {
			m := g.seen[[2]int{i, c}]
			if m.unknown {
				continue
			}
			oids[i], _ = pgtypes.OID(m.typ)
			if same == nil {
				same = m.typ
			} else if !reflect.DeepEqual(same, m.typ) {
				mixed = true
			}
		}
		oid, err := pgtypes.CommonType(g.Construct, oids)
		if err != nil {
			return false, err
		}
		var to sql.Type
		if same != nil && !mixed {
			if o, _ := pgtypes.OID(same); o == oid {
				to = same
			}
		}
		if to == nil {
			to = charCommon(oid)
		}
		if to == nil {
			if name := pgtypes.CastName(oid); name != "" {
				to, _ = pgtypes.GMSType(name)
			}
		}
		if old := g.target[c]; !reflect.DeepEqual(old, to) {
			g.target[c] = to
			changed = true
		}
	}
	return changed, nil
}

// InjectableUnify is one member of a TypeGroup: column Col of input Input.
type InjectableUnify struct {
	Group      *TypeGroup
	Input, Col int
}

// WithResolvedChildren implements sqlparser.Injectable: it records the
// member's type and, once the group is resolved, casts it to the group's
// type.
func (u InjectableUnify) WithResolvedChildren(children []any) (any, error) {
	if len(children) != 1 {
		return nil, fmt.Errorf("unify takes one argument")
	}
	e, ok := children[0].(sql.Expression)
	if !ok {
		return nil, fmt.Errorf("unify argument is not an expression")
	}
	unknown := IsUnknownLiteral(e)
	to := u.Group.record(u.Input, u.Col, member{typ: e.Type(), unknown: unknown})
	if to == nil || (!unknown && reflect.DeepEqual(e.Type(), to)) {
		return e, nil
	}
	if u.Group.Distinct {
		e = distinctChar(e, to)
	}
	return coerce(e, to)
}

// IsUnknownLiteral reports PostgreSQL's unknown-typed constants: a string
// literal or NULL, written without a cast. A constant text expression
// folded into a literal (pgtypes.TypedText) is text, not unknown.
func IsUnknownLiteral(e sql.Expression) bool {
	l, ok := e.(*expression.Literal)
	if !ok {
		return false
	}
	if l.Value() == nil {
		return true
	}
	_, isString := l.Value().(string)
	return isString && types.IsText(l.Type()) && !pgtypes.IsTypedText(l.Type())
}

// coerce converts e to the engine type to: numeric values keep their
// digits (a cast to OpenWit's numeric would round them to its scale),
// everything else goes through PostgreSQL's cast.
func coerce(e sql.Expression, to sql.Type) (sql.Expression, error) {
	oid, _ := pgtypes.OID(to)
	if oid == pgtypes.OIDNumeric && types.IsDecimal(e.Type()) {
		return &retyped{e, to}, nil
	}
	if _, ok := pgtypes.CharTypeOf(to); ok && types.IsText(e.Type()) {
		return charAs(e, to), nil
	}
	name := pgtypes.CastName(oid)
	if name == "" {
		return e, nil
	}
	c, err := NewCast(e, name)
	if err != nil {
		return nil, err
	}
	if reflect.DeepEqual(c.Type(), to) {
		return c, nil
	}
	return &retyped{c, to}, nil
}

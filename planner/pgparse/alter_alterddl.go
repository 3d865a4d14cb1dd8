package pgparse

import (
	"strings"

	pg "github.com/pganalyze/pg_query_go/v6"
	"google.golang.org/protobuf/reflect/protoreflect"

	"openwit/internal/pgerror"
)

// ALTER TABLE ... DROP COLUMN / ALTER COLUMN and COMMENT ON
// (docs/design/071).

// AlterColumnKind is what an AlterColumn does.
type AlterColumnKind int

// The ALTER TABLE subcommands on one column.
const (
	DropColumn  AlterColumnKind = iota // DROP [COLUMN] [IF EXISTS] c
	SetDefault                         // ALTER [COLUMN] c SET DEFAULT expr
	DropDefault                        // ALTER [COLUMN] c DROP DEFAULT
	SetNotNull                         // ALTER [COLUMN] c SET NOT NULL
	DropNotNull                        // ALTER [COLUMN] c DROP NOT NULL
	SetType                            // ALTER [COLUMN] c [SET DATA] TYPE t
)

// AlterColumn is one ALTER TABLE subcommand on a column, in statement
// order.
type AlterColumn struct {
	Kind     AlterColumnKind
	Column   string
	IfExists bool   // DROP COLUMN IF EXISTS
	Cascade  bool   // DROP COLUMN ... CASCADE
	Default  string // SET DEFAULT: the expression as PostgreSQL text
	Type     string // TYPE: the canonical type; Using is set with USING
	Using    bool
}

// Comment is COMMENT ON TABLE t / COLUMN t.c IS 'text' | NULL.
type Comment struct {
	Table  string
	Column string // "" for the table
	Text   string // "" removes the comment (IS NULL or IS '')
	// View is COMMENT ON VIEW (Table names the view). COMMENT ON COLUMN
	// names a table's or a view's column.
	View bool
}

// alterColumnCmd translates the column subcommands of ALTER TABLE into
// at.Alter; false for subcommands it does not handle.
func (t *translator) alterColumnCmd(at *AlterTable, cmd *pg.AlterTableCmd) bool {
	ac := AlterColumn{Column: cmd.Name}
	switch cmd.Subtype {
	case pg.AlterTableType_AT_DropColumn:
		ac.Kind, ac.IfExists, ac.Cascade = DropColumn, cmd.MissingOk, cmd.Behavior == pg.DropBehavior_DROP_CASCADE
	case pg.AlterTableType_AT_ColumnDefault:
		ac.Kind = DropDefault
		if cmd.Def != nil {
			ac.Kind, ac.Default = SetDefault, t.defaultExpr(cmd.Def)
		}
	case pg.AlterTableType_AT_SetNotNull:
		ac.Kind = SetNotNull
	case pg.AlterTableType_AT_DropNotNull:
		ac.Kind = DropNotNull
	case pg.AlterTableType_AT_AlterColumnType:
		cd := cmd.Def.GetColumnDef()
		if cd == nil {
			t.unsupported("this ALTER COLUMN TYPE form")
			return true
		}
		ac.Kind, ac.Type, ac.Using = SetType, t.typeName(cd.TypeName), cd.RawDefault != nil
	default:
		return false
	}
	at.Alter = append(at.Alter, ac)
	return true
}

// volatileFuncs are the volatile functions (PostgreSQL's provolatile 'v')
// a DEFAULT may call: an added column with such a DEFAULT needs a table
// rewrite in PostgreSQL (a value per stored row), which OpenWit does not do.
var volatileFuncs = map[string]bool{
	"random": true, "random_normal": true, "setseed": true, "clock_timestamp": true, "timeofday": true,
	"gen_random_uuid": true, "uuid_generate_v4": true, "nextval": true, "currval": true, "lastval": true,
	"pg_sleep": true, "pg_sleep_for": true, "pg_sleep_until": true, "txid_current": true,
}

// volatileCall returns the name of a volatile function expr calls, or "".
func volatileCall(expr *pg.Node) string {
	found := ""
	if expr == nil {
		return ""
	}
	walkMessages(expr.ProtoReflect(), func(m protoreflect.Message) bool {
		if fc, ok := m.Interface().(*pg.FuncCall); ok && found == "" {
			if name := funcCallName(fc); volatileFuncs[name] {
				found = name
			}
		}
		return found == ""
	})
	return found
}

// comment translates COMMENT ON TABLE / VIEW / COLUMN. Comments on other
// objects are not supported.
func (t *translator) comment(s *pg.CommentStmt) *Statement {
	var names []string
	if l := s.Object.GetList(); l != nil {
		for _, it := range l.Items {
			names = append(names, it.GetString_().GetSval())
		}
	}
	c := &Comment{Text: s.Comment}
	switch s.Objtype {
	case pg.ObjectType_OBJECT_TABLE:
		c.Table = t.qualifiedName(names)
	case pg.ObjectType_OBJECT_VIEW:
		c.Table, c.View = t.qualifiedName(names), true
	case pg.ObjectType_OBJECT_COLUMN:
		if len(names) < 2 {
			t.fail(pgerror.SyntaxError, "column name must be qualified")
		}
		c.Table, c.Column = t.qualifiedName(names[:len(names)-1]), names[len(names)-1]
	default:
		t.unsupported("COMMENT ON " + strings.ReplaceAll(strings.TrimPrefix(s.Objtype.String(), "OBJECT_"), "_", " "))
	}
	return &Statement{Kind: KindAlterTable, AlterTable: &AlterTable{Name: c.Table, Set: map[string]string{}, Comment: c}, Tag: "COMMENT"}
}

// NeedsSession reports whether the ALTER TABLE has subcommands of
// design 071 (run by the session, which evaluates expressions and reads
// the table): column changes, an ADD COLUMN with a DEFAULT or NOT NULL,
// or a COMMENT.
func (at *AlterTable) NeedsSession() bool {
	if len(at.Alter) > 0 || at.Comment != nil {
		return true
	}
	for _, a := range at.Add {
		if a.Column.Default != "" || a.Column.NotNull {
			return true
		}
	}
	return false
}

package planner

import (
	"fmt"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// listeningChannels is the set-returning pg_listening_channels() in FROM
// (and, rewritten, in the select list): the channels the session listens
// to (Session.ListeningChannels), one text row each. The front end passes
// the output column name as a hidden first argument.
type listeningChannels struct {
	db  sql.Database
	col string
}

var (
	_ sql.TableFunction = (*listeningChannels)(nil)
	_ sql.ExecSourceRel = (*listeningChannels)(nil)
)

func (l *listeningChannels) NewInstance(ctx *sql.Context, db sql.Database, args []sql.Expression) (sql.Node, error) {
	if len(args) != 1 {
		return nil, fmt.Errorf("pg_listening_channels: want the column name only, got %d arguments", len(args))
	}
	v, err := args[0].Eval(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("pg_listening_channels: bad column name: %w", err)
	}
	return &listeningChannels{db: db, col: fmt.Sprint(v)}, nil
}

func (l *listeningChannels) Name() string           { return "pg_listening_channels" }
func (l *listeningChannels) Database() sql.Database { return l.db }
func (l *listeningChannels) WithDatabase(db sql.Database) (sql.Node, error) {
	n := *l
	n.db = db
	return &n, nil
}
func (l *listeningChannels) Resolved() bool                                      { return true }
func (l *listeningChannels) String() string                                      { return "pg_listening_channels" }
func (l *listeningChannels) Children() []sql.Node                                { return nil }
func (l *listeningChannels) IsReadOnly() bool                                    { return true }
func (l *listeningChannels) Expressions() []sql.Expression                       { return nil }
func (l *listeningChannels) WithChildren(children ...sql.Node) (sql.Node, error) { return l, nil }
func (l *listeningChannels) WithExpressions(e ...sql.Expression) (sql.Node, error) {
	return l, nil
}

func (l *listeningChannels) Schema() sql.Schema {
	return sql.Schema{{Name: l.col, Type: types.LongText, Nullable: true, Source: l.col}}
}

func (l *listeningChannels) RowIter(ctx *sql.Context, _ sql.Row) (sql.RowIter, error) {
	ps, ok := ctx.Session.(*pgSession)
	if !ok || ps.listening == nil {
		return &unnestIter{}, nil
	}
	chans := ps.listening()
	out := make([]any, len(chans))
	for i, c := range chans {
		out[i] = c
	}
	return &unnestIter{vals: out}, nil
}

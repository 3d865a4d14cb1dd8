package planner

import (
	"context"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/planner/pgexpr"
)

// jsonInsertType is a json/jsonb column as an INSERT stores it: text is
// read with PostgreSQL's jsonb input (pgexpr.ParseJSONB: numbers keep
// their numeric text, 22P02 on bad input), where go-mysql-server would
// read numbers as float64. Like float4Type it is only the column type of
// an INSERT's destination (float4Dest).
type jsonInsertType struct{ types.JsonType }

var _ sql.Type = jsonInsertType{}

// Convert implements sql.Type.
func (t jsonInsertType) Convert(ctx context.Context, v any) (any, sql.ConvertInRange, error) {
	switch x := v.(type) {
	case nil:
		return nil, sql.InRange, nil
	case pgexpr.JSONB:
		return pgexpr.JSONB{V: x.V}, sql.InRange, nil
	case string:
		j, err := pgexpr.ParseJSONB(x, false)
		return j, sql.InRange, err
	case []byte:
		j, err := pgexpr.ParseJSONB(string(x), false)
		return j, sql.InRange, err
	}
	return t.JsonType.Convert(ctx, v)
}

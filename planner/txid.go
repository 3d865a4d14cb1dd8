package planner

import (
	"time"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"

	"openwit/planner/pgtypes"
)

// txidFunctions are txid_current() and pg_current_xact_id(): the current
// transaction's id, the same for every call inside one transaction (a
// transaction block, or the statement outside one) and larger for every
// later transaction. OpenWit has no MVCC transaction ids; the ids come
// from a node-wide counter that starts at the node's start time in
// milliseconds, so they grow across restarts too (at under 1,000
// transactions a second) but are not ordered across nodes.
func txidFunctions() []sql.Function {
	id := func(ctx *sql.Context) (any, error) {
		if ps, ok := ctx.Session.(*pgSession); ok && ps.xid != nil {
			return ps.xid(), nil
		}
		return int64(0), nil
	}
	return []sql.Function{
		function0("txid_current", types.Int64, id),
		function0("pg_current_xact_id", pgtypes.Xid8Type, id),
	}
}

// xid is the session's current transaction id, assigned at its first use
// (txidFunctions).
func (s *Session) xid() int64 {
	if s.txid == 0 {
		s.e.xids.CompareAndSwap(0, time.Now().UnixMilli())
		s.txid = s.e.xids.Add(1)
	}
	return s.txid
}

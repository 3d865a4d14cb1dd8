package planner

import (
	"context"

	"openwit/internal/pgerror"
	"openwit/planner/pgparse"
)

// Savepoints (design 059). SAVEPOINT marks the block's settings and staged
// writes; ROLLBACK TO restores both (the staged rows written since are
// dropped), keeps the savepoint and ends the block's failed state; RELEASE
// forgets the savepoint and those after it. Names may repeat: the latest
// one counts. Outside an explicit block all three are 25P01, as in
// PostgreSQL. Cursors opened after the savepoint stay open (PostgreSQL
// closes them).

// SQLSTATEs of savepoint errors.
const (
	codeNoActiveSQLTransaction = "25P01"
	codeInvalidSavepoint       = "3B001"
)

// savepoint is what ROLLBACK TO restores.
type savepoint struct {
	name     string
	settings settingsSnapshot
	writes   txMark
	// notes and listens are how many NOTIFY and LISTEN/UNLISTEN the
	// block had queued at the savepoint (ROLLBACK TO drops the later).
	notes, listens int
	// ddl is how many CREATE and ALTER TABLE the block had run (ROLLBACK TO
	// undoes the later: session_txddl.go).
	ddl int
}

// savepointStatement runs SAVEPOINT, RELEASE and ROLLBACK TO.
func (s *Session) savepointStatement(ctx context.Context, st *pgparse.Statement) error {
	what := map[string]string{"SAVEPOINT": "SAVEPOINT", "RELEASE": "RELEASE SAVEPOINT", "ROLLBACK": "ROLLBACK TO SAVEPOINT"}[st.Tag]
	if !s.tx.active {
		return pgerror.New(codeNoActiveSQLTransaction, "%s can only be used in transaction blocks", what)
	}
	if st.Tag == "SAVEPOINT" {
		s.tx.savepoints = append(s.tx.savepoints, savepoint{name: st.Savepoint, settings: s.base.snapshot(), writes: s.base.txw.mark(),
			notes: len(s.ntx.notes), listens: len(s.ntx.listen), ddl: len(s.ddl)})
		return nil
	}
	i := len(s.tx.savepoints) - 1
	for i >= 0 && s.tx.savepoints[i].name != st.Savepoint {
		i--
	}
	if i < 0 {
		if st.Tag == "ROLLBACK" {
			// A failed ROLLBACK TO leaves the block failed, as in PostgreSQL.
			s.tx.failed = true
		}
		return pgerror.New(codeInvalidSavepoint, "savepoint %q does not exist", st.Savepoint)
	}
	if st.Tag == "RELEASE" {
		s.tx.savepoints = s.tx.savepoints[:i]
		return nil
	}
	sp := s.tx.savepoints[i]
	s.tx.savepoints = s.tx.savepoints[:i+1]
	s.base.restore(sp.settings)
	s.base.txw.rollbackTo(sp.writes)
	s.undoDDL(ctx, sp.ddl)
	s.ntx.notes, s.ntx.listen = s.ntx.notes[:sp.notes], s.ntx.listen[:sp.listens]
	s.tx.failed = false
	return nil
}

package planner

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"

	"openwit/internal/pgerror"
	"openwit/planner/pgparse"
)

// Transaction blocks as far as a session's settings see them (for writes
// see session_txwrites.go). The settings follow PostgreSQL: BEGIN starts a block whose
// characteristics are transaction_isolation, transaction_read_only and
// transaction_deferrable (from the default_transaction_* settings, then
// BEGIN's options and SET TRANSACTION); SET LOCAL lasts until COMMIT or
// ROLLBACK; ROLLBACK (and COMMIT of a failed block) undoes every SET of
// the block. Outside a block, SET LOCAL and SET TRANSACTION have no
// effect, and the transaction_* settings show the defaults.

// SQLSTATEs of transaction state errors.
const (
	codeActiveSQLTransaction   = "25001"
	codeReadOnlySQLTransaction = "25006"
)

// txBlock is the state of a session's transaction block.
type txBlock struct {
	active bool
	// queried is set once a statement other than SET, SHOW or a
	// transaction statement ran in the block: the isolation level and
	// read-write mode can no longer change.
	queried bool
	// failed is set when a statement of the block failed: COMMIT rolls
	// back.
	failed bool
	// begin are the settings when the block began, for ROLLBACK.
	begin settingsSnapshot
	// commit are the values settings SET LOCAL in the block get back at
	// COMMIT (their session value).
	commit map[string]string
	// savepoints are the block's savepoints, oldest first
	// (session_savepoint.go).
	savepoints []savepoint
}

// settingsSnapshot is a copy of a session's settings and what they drive.
type settingsSnapshot struct {
	settings  map[string]string
	loc       *time.Location
	rowEngine bool
	memLimit  int64
	efd       int
}

func (ps *pgSession) snapshot() settingsSnapshot {
	saved := make(map[string]string, len(ps.settings))
	for k, v := range ps.settings {
		saved[k] = v
	}
	return settingsSnapshot{settings: saved, loc: ps.loc, rowEngine: ps.rowEngine, memLimit: ps.memLimit, efd: ps.efd}
}

func (ps *pgSession) restore(s settingsSnapshot) {
	clear(ps.settings)
	for k, v := range s.settings {
		ps.settings[k] = v
	}
	ps.loc, ps.rowEngine, ps.memLimit, ps.efd = s.loc, s.rowEngine, s.memLimit, s.efd
}

// txCharacteristics are the settings of one transaction; outside a block
// they show their default_ counterparts.
var txCharacteristics = []string{"transaction_isolation", "transaction_read_only", "transaction_deferrable"}

func isTxCharacteristic(name string) bool {
	for _, n := range txCharacteristics {
		if n == name {
			return true
		}
	}
	return false
}

// resetTxCharacteristics sets the transaction_* settings to their defaults.
func (s *Session) resetTxCharacteristics() {
	for _, n := range txCharacteristics {
		s.settings[n] = s.settings["default_"+n]
	}
}

// transaction runs BEGIN, START TRANSACTION, COMMIT and ROLLBACK. BEGIN
// starts staging writes; COMMIT writes them (one WAL record, fsynced
// before it returns) unless the block failed, and ROLLBACK drops them
// (session_txwrites.go).
func (s *Session) transaction(ctx context.Context, st *pgparse.Statement) error {
	if st.Savepoint != "" || st.Tag == "SAVEPOINT" || st.Tag == "RELEASE" {
		return s.savepointStatement(ctx, st)
	}
	switch st.Tag {
	case "BEGIN", "START TRANSACTION":
		if s.tx.active {
			notice(ctx, severityWarning, codeActiveSQLTransaction, "there is already a transaction in progress")
			return nil
		}
		s.tx = txBlock{active: true, begin: s.base.snapshot(), commit: map[string]string{}}
		s.resetTxCharacteristics()
		for i := range st.Begin {
			if err := s.assign(st.Begin[i].Name, &st.Begin[i]); err != nil {
				s.base.restore(s.tx.begin)
				s.tx = txBlock{}
				return err
			}
		}
		s.beginWrites()
	case "COMMIT":
		if !s.tx.active {
			notice(ctx, severityWarning, codeNoActiveSQLTransaction, "there is no transaction in progress")
		}
		failed := s.tx.active && s.tx.failed
		if err := s.endWrites(ctx, !failed); err != nil {
			// A failed commit rolls the block back, as in PostgreSQL.
			s.endNotifyBlock(false)
			if s.tx.active {
				s.base.restore(s.tx.begin)
			}
			s.undoDDL(ctx, 0)
			s.tx = txBlock{}
			s.resetTxCharacteristics()
			return err
		}
		// Notifications go out once the block's writes are durable.
		s.endNotifyBlock(s.tx.active && !failed)
		if failed {
			s.base.restore(s.tx.begin)
			s.undoDDL(ctx, 0)
		} else {
			s.commitDDL(ctx)
		}
		if !failed && s.tx.active {
			for name, v := range s.tx.commit {
				if s.settings[name] != v {
					_ = s.assign(name, &pgparse.Set{Name: name, Value: v})
				}
			}
		}
		s.tx = txBlock{}
		s.resetTxCharacteristics()
	case "ROLLBACK":
		if !s.tx.active {
			notice(ctx, severityWarning, codeNoActiveSQLTransaction, "there is no transaction in progress")
		}
		s.endNotifyBlock(false)
		_ = s.endWrites(ctx, false)
		if s.tx.active {
			s.base.restore(s.tx.begin)
		}
		s.undoDDL(ctx, 0)
		s.tx = txBlock{}
		s.resetTxCharacteristics()
	}
	return nil
}

// failed records a failed statement: a block it ran in is failed.
func (s *Session) failed() {
	if s.tx.active {
		s.tx.failed = true
	}
}

// checkWritable refuses a write in a read-only transaction.
func (s *Session) checkWritable(what string) error {
	if s.settings["transaction_read_only"] == "on" {
		return pgerror.New(codeReadOnlySQLTransaction, "cannot execute %s in a read-only transaction", what)
	}
	return nil
}

// discard runs DISCARD: ALL closes cursors and resets every setting (the
// gateway drops the connection's prepared statements and portals); OpenWit
// has no plan cache, temporary tables or sequences for PLANS, TEMP and
// SEQUENCES to drop.
func (s *Session) discard(tag string) error {
	if tag != "DISCARD ALL" {
		return nil
	}
	if s.tx.active {
		return pgerror.New(codeActiveSQLTransaction, "DISCARD ALL cannot run inside a transaction block")
	}
	s.closeCursors(true)
	clear(s.sqlPrepared)
	s.unlistenAll()
	return s.set(&pgparse.Set{All: true, Default: true})
}

// checkTxSetting refuses changing the isolation level or making the
// transaction read-write after its first query.
func (s *Session) checkTxSetting(name string, st *pgparse.Set) error {
	if !s.tx.active || !s.tx.queried {
		return nil
	}
	switch name {
	case "transaction_isolation":
		return pgerror.New(codeActiveSQLTransaction, "SET TRANSACTION ISOLATION LEVEL must be called before any query")
	case "transaction_read_only":
		if b, err := parseBoolSetting(st.Value); st.Default || err == nil && !b {
			return pgerror.New(codeActiveSQLTransaction, "transaction read-write mode must be set before any query")
		}
	case "transaction_deferrable":
		return pgerror.New(codeActiveSQLTransaction, "SET TRANSACTION [NOT] DEFERRABLE must be called before any query")
	}
	return nil
}

// parseBoolSetting parses a boolean setting as PostgreSQL does (a unique
// prefix of true, false, yes, no, on, off, or 1 / 0).
func parseBoolSetting(v string) (bool, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	if v != "" {
		for _, c := range []struct {
			word string
			min  int
			val  bool
		}{{"true", 1, true}, {"false", 1, false}, {"yes", 1, true}, {"no", 1, false}, {"on", 2, true}, {"off", 2, false}, {"1", 1, true}, {"0", 1, false}} {
			if len(v) >= c.min && strings.HasPrefix(c.word, v) {
				return c.val, nil
			}
		}
	}
	return false, strconv.ErrSyntax
}

// isolationLevels are the values of transaction_isolation.
var isolationLevels = []string{"serializable", "repeatable read", "read committed", "read uncommitted"}

// validateSetting checks and canonicalizes the value of the settings this
// file owns; ok is false for other settings.
func validateSetting(name, v string) (string, bool, error) {
	switch name {
	case "transaction_isolation", "default_transaction_isolation":
		l := strings.ToLower(strings.TrimSpace(v))
		for _, lvl := range isolationLevels {
			if l == lvl {
				return lvl, true, nil
			}
		}
		return "", true, &pgerror.Error{Code: pgerror.InvalidParameterValue,
			Message: "invalid value for parameter \"" + name + "\": \"" + v + "\"",
			Hint:    "Available values: serializable, repeatable read, read committed, read uncommitted."}
	case "transaction_read_only", "default_transaction_read_only", "transaction_deferrable", "default_transaction_deferrable":
		b, err := parseBoolSetting(v)
		if err != nil {
			return "", true, pgerror.New(pgerror.InvalidParameterValue, "parameter %q requires a Boolean value", name)
		}
		if b {
			return "on", true, nil
		}
		return "off", true, nil
	case "extra_float_digits":
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsNaN(f) {
			return "", true, pgerror.New(pgerror.InvalidParameterValue, "invalid value for parameter \"extra_float_digits\": %q", v)
		}
		n := math.RoundToEven(f)
		if n < -15 || n > 3 {
			return "", true, pgerror.New(pgerror.InvalidParameterValue, "%s is outside the valid range for parameter \"extra_float_digits\" (-15 .. 3)", strconv.FormatFloat(n, 'f', -1, 64))
		}
		return strconv.Itoa(int(n)), true, nil
	case "datestyle":
		return validateDateStyle(v)
	}
	return v, false, nil
}

// validateDateStyle accepts PostgreSQL's DateStyle keywords; OpenWit
// prints and reads dates in ISO, MDY only, so other output styles and
// orders are not supported.
func validateDateStyle(v string) (string, bool, error) {
	iso := false
	for _, w := range strings.Split(v, ",") {
		switch k := strings.ToLower(strings.TrimSpace(w)); k {
		case "iso", "mdy", "us", "noneuro", "noneuropean", "default":
			iso = iso || k == "iso"
		case "sql", "postgres", "german", "ymd", "dmy", "euro", "european":
		default:
			return "", true, &pgerror.Error{Code: pgerror.InvalidParameterValue,
				Message: "invalid value for parameter \"DateStyle\": \"" + v + "\"",
				Detail:  "Unrecognized key word: \"" + k + "\"."}
		}
	}
	if !iso {
		return "", true, pgerror.New(pgerror.FeatureNotSupported, "DateStyle %q is not supported; OpenWit uses ISO, MDY", v)
	}
	for _, w := range strings.Split(v, ",") {
		switch strings.ToLower(strings.TrimSpace(w)) {
		case "sql", "postgres", "german", "ymd", "dmy", "euro", "european":
			return "", true, pgerror.New(pgerror.FeatureNotSupported, "DateStyle %q is not supported; OpenWit uses ISO, MDY", v)
		}
	}
	return "ISO, MDY", true, nil
}

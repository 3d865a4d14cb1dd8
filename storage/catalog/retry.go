package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// RetryPolicy bounds the retries of transient PostgreSQL failures: lost or
// refused connections, server shutdown, a read-only server after failover,
// serialization failures and deadlocks.
type RetryPolicy struct {
	Attempts  int           // tries per operation, >= 1 (1: no retry)
	BaseDelay time.Duration // wait before the second try; doubles for each further one
	MaxDelay  time.Duration // cap on one wait
}

// DefaultRetryPolicy tries 10 times over about 8 seconds, long enough for a
// standby promotion.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{Attempts: 10, BaseDelay: 50 * time.Millisecond, MaxDelay: 2 * time.Second}
}

// Validate reports whether the policy is usable.
func (p RetryPolicy) Validate() error {
	if p.Attempts < 1 || p.BaseDelay < 0 || p.MaxDelay < p.BaseDelay {
		return fmt.Errorf("retry policy %+v: want Attempts >= 1 and 0 <= BaseDelay <= MaxDelay: %w", p, ErrInvalid)
	}
	return nil
}

// delay is the wait after the n-th failed try (n >= 1): BaseDelay·2^(n-1)
// capped at MaxDelay, jittered uniformly into its upper half so that nodes
// retrying together spread out.
func (p RetryPolicy) delay(n int) time.Duration {
	d := p.BaseDelay
	for i := 1; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	d = min(d, p.MaxDelay)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// transient reports whether err is worth retrying: the failed try left the
// database unchanged or the operation is idempotent, and another try (on a
// fresh connection, maybe to another host) may succeed.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "57P01", // admin_shutdown
			"57P02", // crash_shutdown
			"57P03", // cannot_connect_now (starting up, or a standby being promoted)
			"25006", // read_only_sql_transaction: connected to a standby after failover
			"40001", // serialization_failure
			"40P01", // deadlock_detected
			"53300": // too_many_connections
			return true
		}
		return len(pgErr.Code) == 5 && pgErr.Code[:2] == "08" // connection_exception class
	}
	if pgconn.SafeToRetry(err) {
		return true
	}
	var netErr net.Error
	var connectErr *pgconn.ConnectError
	return errors.As(err, &netErr) || errors.As(err, &connectErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// readOnly reports whether err says the server no longer accepts writes.
func readOnly(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "25006"
}

// commitUnknown wraps an error from COMMIT after which the transaction may
// or may not have been committed (typically: the connection was lost).
type commitUnknown struct{ err error }

func (e *commitUnknown) Error() string { return "commit: " + e.err.Error() }
func (e *commitUnknown) Unwrap() error { return e.err }

// commitFailed classifies an error returned by COMMIT: it returns err as is
// when the server reported that the transaction rolled back, and wraps it
// in commitUnknown otherwise.
func commitFailed(err error) error {
	if errors.Is(err, pgx.ErrTxCommitRollback) {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Severity == "ERROR" {
		// An ERROR (not FATAL) response to COMMIT: the server is alive
		// and aborted the transaction (e.g. serialization failure).
		return err
	}
	return &commitUnknown{err}
}

package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Postgres is a Catalog in a PostgreSQL database, shared by every node of a
// cluster. Operations failing with a transient error are retried with
// bounded exponential backoff (see RetryPolicy); see the package
// documentation for which operations may be retried after a commit whose
// outcome is unknown.
type Postgres struct {
	store
	pool  *pgxpool.Pool
	retry RetryPolicy
	log   *slog.Logger
}

var _ Catalog = (*Postgres)(nil)

// PostgresConfig configures OpenPostgresConfig.
type PostgresConfig struct {
	// DSN is a pgx connection string: URL or keyword/value form, with
	// multi-host lists and target_session_attrs as pgx supports them.
	DSN    string
	Retry  RetryPolicy
	Logger *slog.Logger // retries are logged at warn level; nil discards
}

// DefaultPostgresConfig returns the configuration OpenPostgres uses.
func DefaultPostgresConfig(dsn string) PostgresConfig {
	return PostgresConfig{DSN: dsn, Retry: DefaultRetryPolicy()}
}

// Validate reports whether the configuration is usable.
func (c PostgresConfig) Validate() error {
	if c.DSN == "" {
		return fmt.Errorf("empty postgres dsn: %w", ErrInvalid)
	}
	return c.Retry.Validate()
}

// OpenPostgres opens the catalog in the PostgreSQL database named by dsn
// with DefaultPostgresConfig and applies pending migrations.
func OpenPostgres(ctx context.Context, dsn string) (*Postgres, error) {
	return OpenPostgresConfig(ctx, DefaultPostgresConfig(dsn))
}

// OpenPostgresConfig opens the catalog with an explicit configuration and
// applies pending migrations under a transaction-scoped advisory lock, so
// nodes opening the same database at once do not race.
func OpenPostgresConfig(ctx context.Context, cfg PostgresConfig) (*Postgres, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("open postgres catalog: %w", err)
	}
	pcfg, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		// The error text may quote the DSN; pgx redacts the password.
		return nil, fmt.Errorf("open postgres catalog: parse dsn: %w: %w", ErrInvalid, err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres catalog: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Postgres{pool: pool, retry: cfg.Retry, log: log}
	p.store = store{d: postgresDialect(), run: p.runTx}
	err = p.runTx(ctx, txIdempotent, func(q querier) error {
		if _, err := q.exec(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLockKey); err != nil {
			return fmt.Errorf("take migration lock: %w", err)
		}
		_, err := migrate(ctx, q, p.d, time.Now())
		return err
	})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres catalog: migrate: %w", err)
	}
	return p, nil
}

// runTx runs fn in a transaction, retrying transient failures. Reads run
// in a read-only REPEATABLE READ transaction (one snapshot); writes in READ
// COMMITTED with explicit row locks.
func (p *Postgres) runTx(ctx context.Context, mode txMode, fn func(q querier) error) error {
	opts := pgx.TxOptions{}
	if mode == txRead {
		opts = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	}
	for try := 1; ; try++ {
		err := p.tryTx(ctx, opts, fn)
		if err == nil {
			return nil
		}
		var cu *commitUnknown
		unknown := errors.As(err, &cu)
		if !transient(err) || (unknown && mode == txOnce) || try >= p.retry.Attempts {
			if try > 1 {
				err = fmt.Errorf("try %d: %w", try, err)
			}
			if unknown {
				return fmt.Errorf("%w: %w", ErrUnknownOutcome, err)
			}
			return err
		}
		if readOnly(err) {
			// After a failover the pool's connections may lead to a
			// demoted server; drop them so new ones find the primary
			// (target_session_attrs=read-write).
			p.pool.Reset()
		}
		d := p.retry.delay(try)
		p.log.WarnContext(ctx, "catalog retry", "attempt", try, "delay", d, "err", err)
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("try %d: %w (then: %w)", try, err, ctx.Err())
		}
	}
}

func (p *Postgres) tryTx(ctx context.Context, opts pgx.TxOptions, fn func(q querier) error) error {
	tx, err := p.pool.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	if err := fn(pgxQuerier{tx}); err != nil {
		_ = tx.Rollback(ctx) // on failure pgx closes the connection, which rolls back
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return commitFailed(err)
	}
	return nil
}

// Close closes the connection pool. It is idempotent.
func (p *Postgres) Close() error {
	p.pool.Close()
	return nil
}

// pgxQuerier adapts a pgx transaction to querier.
type pgxQuerier struct{ tx pgx.Tx }

func (q pgxQuerier) exec(ctx context.Context, stmt string, args ...any) (int64, error) {
	tag, err := q.tx.Exec(ctx, stmt, args...)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}

func (q pgxQuerier) queryRow(ctx context.Context, stmt string, args ...any) row {
	return q.tx.QueryRow(ctx, stmt, args...)
}

func (q pgxQuerier) query(ctx context.Context, stmt string, args ...any) (rows, error) {
	return q.tx.Query(ctx, stmt, args...)
}

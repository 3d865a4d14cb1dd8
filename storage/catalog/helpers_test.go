package catalog

import (
	"fmt"
	"testing"
)

// Test-only access to the database under a Catalog, for checks the API
// cannot make (orphan rows, the migrations table).

func rawCount(t *testing.T, c Catalog, query string, args ...any) int64 {
	t.Helper()
	var n int64
	var err error
	switch c := c.(type) {
	case *SQLite:
		err = c.db.QueryRowContext(t.Context(), query, args...).Scan(&n)
	case *Postgres:
		err = c.pool.QueryRow(t.Context(), query, args...).Scan(&n)
	default:
		t.Fatalf("unknown catalog type %T", c)
	}
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func rawExec(t *testing.T, c Catalog, stmt string, args ...any) {
	t.Helper()
	var err error
	switch c := c.(type) {
	case *SQLite:
		_, err = c.db.ExecContext(t.Context(), stmt, args...)
	case *Postgres:
		_, err = c.pool.Exec(t.Context(), stmt, args...)
	default:
		t.Fatalf("unknown catalog type %T", c)
	}
	if err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// appliedMigrations returns the rows of openwit_schema_migrations as
// "version name applied_at_us" strings, in version order.
func appliedMigrations(t *testing.T, c Catalog) []string {
	t.Helper()
	const q = `SELECT version, name, applied_at_us FROM openwit_schema_migrations ORDER BY version`
	var out []string
	add := func(v int64, name string, at int64) { out = append(out, fmt.Sprintf("%d %q %d", v, name, at)) }
	switch c := c.(type) {
	case *SQLite:
		rs, err := c.db.QueryContext(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		for rs.Next() {
			var v, at int64
			var name string
			if err := rs.Scan(&v, &name, &at); err != nil {
				t.Fatal(err)
			}
			add(v, name, at)
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
	case *Postgres:
		rs, err := c.pool.Query(t.Context(), q)
		if err != nil {
			t.Fatal(err)
		}
		defer rs.Close()
		for rs.Next() {
			var v, at int64
			var name string
			if err := rs.Scan(&v, &name, &at); err != nil {
				t.Fatal(err)
			}
			add(v, name, at)
		}
		if err := rs.Err(); err != nil {
			t.Fatal(err)
		}
	default:
		t.Fatalf("unknown catalog type %T", c)
	}
	return out
}

// reopen opens a second catalog on the database of c and returns Open's
// error instead of failing the test.
func reopen(t *testing.T, c Catalog) (Catalog, error) {
	t.Helper()
	switch c := c.(type) {
	case *SQLite:
		return Open(t.Context(), "sqlite:"+c.path)
	case *Postgres:
		return Open(t.Context(), c.pool.Config().ConnString())
	}
	t.Fatalf("unknown catalog type %T", c)
	return nil, nil
}

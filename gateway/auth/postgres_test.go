package auth

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
)

// TestPostgreSQLVerifiers checks the verifier format against a real
// PostgreSQL: verifiers it computes are parsed and checked here, and a
// verifier made here is stored by it unchanged (it recognizes the format
// as already hashed).
func TestPostgreSQLVerifiers(t *testing.T) {
	pg := testpg.Start(t)
	ctx := context.Background()
	c, err := pgx.Connect(ctx, pg.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctx)
	for _, pw := range []string{"pencil", "with space and ümlaut", "a\u00a0b"} {
		if _, err := c.Exec(ctx, "SET password_encryption = 'scram-sha-256'"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, "DROP ROLE IF EXISTS verifier_test"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Exec(ctx, "CREATE ROLE verifier_test PASSWORD "+quote(pw)); err != nil {
			t.Fatal(err)
		}
		var stored string
		if err := c.QueryRow(ctx, "SELECT rolpassword FROM pg_authid WHERE rolname = 'verifier_test'").Scan(&stored); err != nil {
			t.Fatal(err)
		}
		v, err := ParseVerifier(stored)
		if err != nil {
			t.Fatalf("parse PostgreSQL's verifier %q: %v", stored, err)
		}
		if !v.Check(pw) || v.Check(pw+"x") {
			t.Errorf("PostgreSQL's verifier for %q does not check as expected", pw)
		}

		ours := NewVerifier(pw).String()
		if _, err := c.Exec(ctx, "ALTER ROLE verifier_test PASSWORD "+quote(ours)); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRow(ctx, "SELECT rolpassword FROM pg_authid WHERE rolname = 'verifier_test'").Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored != ours {
			t.Errorf("PostgreSQL re-hashed our verifier: stored %q, gave %q", stored, ours)
		}
	}
}

func quote(s string) string {
	out := "'"
	for _, r := range s {
		if r == '\'' {
			out += "'"
		}
		out += string(r)
	}
	return out + "'"
}

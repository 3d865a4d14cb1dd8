// Package testpg starts a real PostgreSQL server for tests from the installed
// PostgreSQL 15 binaries (initdb, pg_ctl), on a free loopback port in a
// temporary directory, and stops it when the test ends.
//
// The server itself is internal/pgserver's (usable outside of tests, e.g. by
// `openwit bench`); this package adds the testing.TB helpers. When the test
// process is root the server runs as the Debian "postgres" user through
// runuser. The binaries are looked up in $OPENWIT_PG_BIN, then
// /usr/lib/postgresql/15/bin, then $PATH. A missing binary fails the test:
// it is never silently skipped (.ci/run installs postgresql-15).
package testpg

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"openwit/internal/pgserver"
)

// Server is a running PostgreSQL test server (Port, Dir, DSN and Stop come
// from pgserver.Server).
type Server struct {
	*pgserver.Server
}

// BinDir returns the directory holding the PostgreSQL server binaries.
func BinDir() (string, error) { return pgserver.BinDir() }

// FreePort returns a currently free TCP port on 127.0.0.1.
func FreePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Start initializes and starts a server; it is stopped by tb.Cleanup.
func Start(tb testing.TB) *Server {
	tb.Helper()
	s, err := StartServer()
	if err != nil {
		tb.Fatalf("start postgresql: %v", err)
	}
	tb.Cleanup(s.Stop)
	return s
}

// StartServer initializes and starts a server outside of a test (e.g. from
// TestMain). The caller must call Stop.
func StartServer() (*Server, error) {
	s, err := pgserver.Start()
	if err != nil {
		return nil, err
	}
	return &Server{s}, nil
}

// CreateDB creates a new database and returns its DSN.
func (s *Server) CreateDB(tb testing.TB, name string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := pgx.Connect(ctx, s.DSN(""))
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	defer c.Close(ctx)
	if _, err := c.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil && !strings.Contains(err.Error(), "already exists") {
		tb.Fatalf("create database: %v", err)
	}
	return s.DSN(name)
}

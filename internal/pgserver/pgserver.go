// Package pgserver starts a throwaway PostgreSQL server from the installed
// PostgreSQL 15 binaries (initdb, pg_ctl), on a free loopback port in a
// temporary directory, for tests (through internal/testpg) and for
// `openwit bench`.
//
// initdb refuses to run as root, so when the process is root the server
// runs as the Debian "postgres" user through runuser. The binaries are looked
// up in $OPENWIT_PG_BIN, then /usr/lib/postgresql/15/bin, then $PATH. The
// server trusts every local connection and runs with fsync=off: it is for
// scratch data only.
package pgserver

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
)

// Server is a running scratch PostgreSQL server.
type Server struct {
	Port    int
	Dir     string
	binDir  string
	asUser  string
	stopped sync.Once
}

// BinDir returns the directory holding the PostgreSQL server binaries.
func BinDir() (string, error) {
	for _, d := range []string{os.Getenv("OPENWIT_PG_BIN"), "/usr/lib/postgresql/15/bin"} {
		if d == "" {
			continue
		}
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	p, err := exec.LookPath("initdb")
	if err != nil {
		return "", fmt.Errorf("postgresql server binaries not found (install postgresql-15): %w", err)
	}
	return filepath.Dir(p), nil
}

// Start initializes and starts a server in a new temporary directory. The
// caller must call Stop, which also removes the directory.
func Start() (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "openwit-pg-")
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, binDir: bin}
	if u, err := user.Current(); err == nil && u.Uid == "0" {
		s.asUser = "postgres"
		pu, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root needs the postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(pu.Uid)
		gid, _ := strconv.Atoi(pu.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if out, err := s.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	// A port can be taken between choosing it and pg_ctl start: retry a few times.
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		s.Port = l.Addr().(*net.TCPAddr).Port
		l.Close()
		opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c fsync=off -c max_connections=200", s.Port, dir)
		out, err := s.run("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "-o", opts, "start")
		if err == nil {
			lastErr = nil
			break
		}
		lastErr = fmt.Errorf("pg_ctl start: %v: %s", err, out)
	}
	if lastErr != nil {
		os.RemoveAll(dir)
		return nil, lastErr
	}
	return s, nil
}

func (s *Server) run(name string, args ...string) ([]byte, error) {
	path := filepath.Join(s.binDir, name)
	var cmd *exec.Cmd
	if s.asUser != "" {
		cmd = exec.Command("runuser", append([]string{"-u", s.asUser, "--", path}, args...)...)
	} else {
		cmd = exec.Command(path, args...)
	}
	return cmd.CombinedOutput()
}

// DSN returns a connection string for database db (default "postgres").
func (s *Server) DSN(db string) string {
	if db == "" {
		db = "postgres"
	}
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// Stop stops the server (immediate mode) and removes its directory. It is
// safe to call more than once.
func (s *Server) Stop() {
	s.stopped.Do(func() {
		s.run("pg_ctl", "-D", filepath.Join(s.Dir, "data"), "-m", "immediate", "-w", "stop")
		os.RemoveAll(s.Dir)
	})
}

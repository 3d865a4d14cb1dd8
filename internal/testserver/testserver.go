// Package testserver builds the real openwit binary once per test process and
// runs `openwit serve` as a child process on free loopback ports, so
// end-to-end tests talk to exactly what users run.
package testserver

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// Main runs a package's tests (call it from TestMain) and then removes the
// binary Binary built, which is otherwise left in the temp dir (about
// 200 MB per test run).
func Main(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// Binary returns the path of an openwit binary built from this checkout.
// $OPENWIT_BIN overrides it (CI builds once and shares it across packages).
func Binary(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("OPENWIT_BIN"); p != "" {
		return p
	}
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		dir, err := os.MkdirTemp("", "openwit-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "openwit")
		args := []string{"build", "-o", binPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, "./cmd/openwit")...)
		cmd.Dir = root
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return binPath
}

// Server is a running `openwit serve` child process.
type Server struct {
	DataDir    string
	PGPort     int
	FlightPort int
	HTTPPort   int
	// EtcdPort and EtcdPeerPort are the embedded etcd's ports (used unless
	// Args name --etcd-endpoints).
	EtcdPort     int
	EtcdPeerPort int
	Args         []string // extra flags
	Env          []string // extra environment variables (KEY=VALUE)
	LogPath      string

	tb     testing.TB
	cmd    *exec.Cmd
	log    *os.File
	waitCh chan error

	portRetries int
}

// Options configure Start.
type Options struct {
	DataDir string   // default: tb.TempDir()
	Args    []string // extra serve flags
	Env     []string // extra environment variables (KEY=VALUE), e.g. AWS credentials
}

// Start runs a server and waits until /readyz answers 200. It is stopped
// (SIGTERM) when the test ends.
func Start(tb testing.TB, opts Options) *Server {
	tb.Helper()
	s := Launch(tb, opts)
	s.WaitReady()
	return s
}

// Launch starts a server without waiting for it: several servers started
// with Launch come up in parallel. Call WaitReady before using it.
func Launch(tb testing.TB, opts Options) *Server {
	tb.Helper()
	if opts.DataDir == "" {
		opts.DataDir = tb.TempDir()
	}
	s := &Server{DataDir: opts.DataDir, Args: opts.Args, Env: opts.Env, tb: tb}
	s.PGPort, s.FlightPort, s.HTTPPort = FreePort(tb), FreePort(tb), FreePort(tb)
	s.EtcdPort, s.EtcdPeerPort = FreePort(tb), FreePort(tb)
	s.LogPath = filepath.Join(tb.TempDir(), "openwit.log")
	s.spawn()
	tb.Cleanup(func() {
		if s.cmd != nil {
			s.Stop()
		}
	})
	return s
}

func (s *Server) start() {
	s.tb.Helper()
	s.spawn()
	s.WaitReady()
}

// spawn starts the process.
func (s *Server) spawn() {
	tb := s.tb
	tb.Helper()
	args := append([]string{"serve",
		"--data-dir", s.DataDir,
		"--pg-addr", fmt.Sprintf("127.0.0.1:%d", s.PGPort),
		"--flight-addr", fmt.Sprintf("127.0.0.1:%d", s.FlightPort),
		"--http-addr", fmt.Sprintf("127.0.0.1:%d", s.HTTPPort),
		"--etcd-embed-addr", fmt.Sprintf("127.0.0.1:%d", s.EtcdPort),
		"--etcd-embed-peer-addr", fmt.Sprintf("127.0.0.1:%d", s.EtcdPeerPort),
	}, s.Args...)
	f, err := os.OpenFile(s.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		tb.Fatal(err)
	}
	s.log = f
	s.cmd = exec.Command(Binary(tb), args...)
	s.cmd.Stdout, s.cmd.Stderr = f, f
	if len(s.Env) > 0 {
		s.cmd.Env = append(os.Environ(), s.Env...)
	}
	if err := s.cmd.Start(); err != nil {
		tb.Fatalf("start openwit: %v", err)
	}
	exited := make(chan error, 1)
	go func(c *exec.Cmd) { exited <- c.Wait() }(s.cmd)
	s.waitCh = exited
}

// WaitReady waits until the server started by Launch or Relaunch answers
// 200 on /readyz; it fails the test if the process exits first.
func (s *Server) WaitReady() {
	tb := s.tb
	tb.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-s.waitCh:
			s.cmd = nil
			s.log.Close()
			// FreePort cannot reserve a port: another process may take it
			// before the server binds. Retry on fresh ports.
			if strings.Contains(s.Log(), "address already in use") && s.portRetries < 3 {
				s.portRetries++
				s.PGPort, s.FlightPort, s.HTTPPort = FreePort(tb), FreePort(tb), FreePort(tb)
				s.EtcdPort, s.EtcdPeerPort = FreePort(tb), FreePort(tb)
				s.start()
				return
			}
			tb.Fatalf("openwit exited during startup: %v\n%s", err, s.Log())
		default:
		}
		resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/readyz", s.HTTPPort))
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("openwit not ready after 90s\n%s", s.Log())
}

// Restart starts the server again on the same ports and data directory
// after Stop or Kill.
func (s *Server) Restart() {
	s.tb.Helper()
	s.start()
}

// Relaunch is Restart without waiting: call WaitReady.
func (s *Server) Relaunch() {
	s.tb.Helper()
	s.spawn()
}

// DSN is a pgx connection string for the server's PostgreSQL endpoint.
func (s *Server) DSN() string {
	return fmt.Sprintf("postgres://openwit@127.0.0.1:%d/openwit?sslmode=disable", s.PGPort)
}

// HTTPURL returns the base URL of the HTTP endpoint.
func (s *Server) HTTPURL() string { return fmt.Sprintf("http://127.0.0.1:%d", s.HTTPPort) }

// Log returns what the server has printed so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.LogPath)
	return string(b)
}

// Stop sends SIGTERM and waits for a clean exit; a non-zero exit fails the test.
func (s *Server) Stop() {
	s.tb.Helper()
	if s.cmd == nil {
		return
	}
	p := s.cmd.Process
	_ = p.Signal(syscall.SIGTERM)
	s.wait(func(err error) {
		if err != nil {
			s.tb.Errorf("openwit did not exit cleanly on SIGTERM: %v\n%s", err, s.Log())
		}
	})
}

// Kill sends SIGKILL and waits for the process to die.
func (s *Server) Kill() {
	s.tb.Helper()
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	s.wait(func(error) {})
}

func (s *Server) wait(check func(error)) {
	select {
	case err := <-s.waitCh:
		check(err)
	case <-time.After(60 * time.Second):
		// SIGQUIT makes the Go runtime print every goroutine's stack to
		// the log: what the process was stuck on.
		_ = s.cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-s.waitCh:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Signal(syscall.SIGKILL)
			<-s.waitCh
		}
		s.tb.Errorf("openwit did not exit within 60s (goroutine dump at the end)\n%s", s.Log())
	}
	s.cmd = nil
	s.log.Close()
}

// handedOut holds the ports FreePort returned in this process: the kernel
// may offer a closed port again, and two servers launched together would
// then be given the same one (seen as a gossip port taken by a sibling).
var handedOut sync.Map

// FreePort returns a free TCP port on 127.0.0.1, never the same one twice
// in one test process.
func FreePort(tb testing.TB) int {
	tb.Helper()
	for {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			tb.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if _, seen := handedOut.LoadOrStore(port, true); !seen {
			return port
		}
	}
}

// WaitTCP waits until addr accepts connections or ctx ends.
func WaitTCP(ctx context.Context, addr string) error {
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Connect opens a pgx connection (default mode: extended protocol with a
// statement cache) that is closed when the test ends.
func Connect(tb testing.TB, dsn string) *pgx.Conn {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect %s: %v", dsn, err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

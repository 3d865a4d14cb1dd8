package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"openwit/internal/testserver"
)

// serveProc is an `openwit serve` started directly (not by testserver), for
// tests whose ports come from a config file.
type serveProc struct {
	cmd     *exec.Cmd
	logPath string
	done    chan struct{}
	err     error // valid after done is closed
}

func startServe(tb testing.TB, args ...string) *serveProc {
	tb.Helper()
	p := &serveProc{logPath: filepath.Join(tb.TempDir(), "serve.log"), done: make(chan struct{})}
	f, err := os.Create(p.logPath)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	// No control plane: its embedded etcd's fixed default ports would clash
	// between parallel tests (the control tests give it free ports).
	p.cmd = exec.Command(testserver.Binary(tb), append([]string{"serve", "--etcd-embed-addr", "off"}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	tb.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
			<-p.done
		}
	})
	return p
}

func (p *serveProc) log() string {
	b, _ := os.ReadFile(p.logPath)
	return string(b)
}

// waitReady polls /readyz until it answers 200. The bound only keeps a broken
// server from hanging the test.
func (p *serveProc) waitReady(tb testing.TB, httpAddr string) {
	tb.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-p.done:
			tb.Fatalf("openwit exited during startup: %v\n%s", p.err, p.log())
		default:
		}
		if resp, err := c.Get("http://" + httpAddr + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("openwit not ready on %s after 60s\n%s", httpAddr, p.log())
}

// exitCode waits for the process to end (SIGKILL after 60s) and returns its
// exit code.
func (p *serveProc) exitCode(tb testing.TB) int {
	tb.Helper()
	select {
	case <-p.done:
	case <-time.After(60 * time.Second):
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		<-p.done
		tb.Fatalf("openwit did not exit within 60s\n%s", p.log())
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		tb.Fatalf("wait: %v", p.err)
	}
	return 0
}

func loopbackAddr(tb testing.TB) string {
	return fmt.Sprintf("127.0.0.1:%d", testserver.FreePort(tb))
}

func writeConfig(tb testing.TB, text string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "openwit.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		tb.Fatal(err)
	}
	return path
}

func TestConfigFile(t *testing.T) {
	t.Parallel()

	t.Run("serve from file", func(t *testing.T) {
		t.Parallel()
		pg, httpAddr, flight, dataDir := loopbackAddr(t), loopbackAddr(t), loopbackAddr(t), filepath.Join(t.TempDir(), "data")
		cfg := writeConfig(t, fmt.Sprintf("pg_addr: %s\nhttp_addr: %s\nflight_addr: %s\ndata_dir: %s\n", pg, httpAddr, flight, dataDir))
		p := startServe(t, "--config", cfg)
		p.waitReady(t, httpAddr)

		conn := testserver.Connect(t, "postgres://openwit@"+pg+"/openwit?sslmode=disable")
		mustExec(t, conn, "CREATE TABLE c (ts timestamptz NOT NULL, v int)")
		mustExec(t, conn, "INSERT INTO c VALUES ('2024-01-01 00:00:00+00', 7)")
		var v int32
		if err := conn.QueryRow(t.Context(), "SELECT v FROM c").Scan(&v); err != nil || v != 7 {
			t.Errorf("SELECT v FROM c = %d, %v; want 7", v, err)
		}
		conn.Close(t.Context())

		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := p.exitCode(t); code != 0 {
			t.Errorf("exit code after SIGTERM = %d, want 0\n%s", code, p.log())
		}
		// The data went to the data_dir named in the file.
		if files, rows := parquetFiles(t, dataDir); len(files) == 0 || rows != 1 {
			t.Errorf("%s/objects holds %d Parquet files with %d rows after SIGTERM, want the 1 row flushed", dataDir, len(files), rows)
		}
	})

	t.Run("flags override the file", func(t *testing.T) {
		t.Parallel()
		filePG, flagPG, httpAddr, flight := loopbackAddr(t), loopbackAddr(t), loopbackAddr(t), loopbackAddr(t)
		cfg := writeConfig(t, fmt.Sprintf("pg_addr: %s\nhttp_addr: %s\nflight_addr: %s\ndata_dir: %s\n", filePG, httpAddr, flight, t.TempDir()))
		p := startServe(t, "--config", cfg, "--pg-addr", flagPG)
		p.waitReady(t, httpAddr)
		conn := testserver.Connect(t, "postgres://openwit@"+flagPG+"/openwit?sslmode=disable")
		var one int32
		if err := conn.QueryRow(t.Context(), "SELECT 1").Scan(&one); err != nil || one != 1 {
			t.Errorf("SELECT 1 on the --pg-addr port = %d, %v", one, err)
		}
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if code := p.exitCode(t); code != 0 {
			t.Errorf("exit code after SIGTERM = %d, want 0\n%s", code, p.log())
		}
	})

	bad := []struct {
		name    string
		yaml    string // "" means: a path that does not exist
		wantLog []string
	}{
		{"unknown key", "pg_addr: %s\nflush_agee: 1s\ndata_dir: %s\n", []string{"flush_agee"}},
		{"bad duration", "pg_addr: %s\nflush_age: soon\ndata_dir: %s\n", []string{"soon"}},
		{"missing file", "", []string{"no-such-config.yaml"}},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "no-such-config.yaml")
			if tt.yaml != "" {
				path = writeConfig(t, fmt.Sprintf(tt.yaml, loopbackAddr(t), t.TempDir()))
			}
			bin := testserver.Binary(t) // built before the clock starts
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			out, err := exec.CommandContext(ctx, bin, "serve", "--etcd-embed-addr", "off", "--config", path).CombinedOutput()
			if ctx.Err() != nil {
				t.Fatalf("serve with a bad config did not exit within 30s\n%s", out)
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() == 0 {
				t.Errorf("serve with a bad config: %v, want a non-zero exit\n%s", err, out)
			}
			for _, w := range tt.wantLog {
				if !strings.Contains(string(out), w) {
					t.Errorf("output does not name %q:\n%s", w, out)
				}
			}
		})
	}
}

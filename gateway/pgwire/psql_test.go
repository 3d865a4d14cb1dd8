package pgwire

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"
)

const psqlPath = "/usr/bin/psql"

// runPsql runs psql against the test server with a clean environment (so
// sslmode and gssencmode keep their defaults, "prefer").
func runPsql(t *testing.T, ts *testServer, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	if _, err := os.Stat(psqlPath); err != nil {
		t.Skip("psql not installed")
	}
	host, port, _ := net.SplitHostPort(ts.addr)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	all := append([]string{"-h", host, "-p", port, "-U", "openwit", "openwit", "-X", "-A", "-t"}, args...)
	cmd := exec.CommandContext(ctx, psqlPath, all...)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "HOME=" + t.TempDir(), "PGCONNECT_TIMEOUT=10", "LC_ALL=C.UTF-8"}
	var out, errb bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

func TestPsql(t *testing.T) {
	ts := startServer(t)
	tests := []struct {
		name       string
		args       []string
		wantOut    string
		wantErr    string
		wantStatus int
	}{
		{"select 1", []string{"-c", "select 1"}, "1\n", "", 0},
		{"multiple statements", []string{"-c", "select 1; select series 3"}, "1\n1\n2\n3\n", "", 0},
		{"types", []string{"-c", "select types"},
			"t|-12|123456|1099511627776|1.5|3.25|12345.6789|hello|world|pg_catalog|x|\\x000102ff|2024-02-29|2024-02-29 13:14:15.123456|2024-02-29 13:14:15.5+00|1 day 02:03:04|{\"a\":1}|{\"b\": 2}|26|a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|{a,\"b c\",\"\"}\n||||||||||||||||||||\n",
			"", 0},
		{"error with position", []string{"-v", "ON_ERROR_STOP=1", "-c", "error in here"}, "",
			"ERROR:  division by zero\nLINE 1: error in here\n               ^\nDETAIL:  the detail\nHINT:  the hint\n", 1},
		{"set then show", []string{"-c", "set TimeZone 'Europe/Paris'", "-c", "show TimeZone"}, "SET\nEurope/Paris\n", "", 0},
		{"transaction", []string{"-c", "begin", "-c", "select 1", "-c", "commit"}, "BEGIN\n1\nCOMMIT\n", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, err := runPsql(t, ts, tt.args...)
			status := 0
			if ee, ok := err.(*exec.ExitError); ok {
				status = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			if out != tt.wantOut || status != tt.wantStatus || stderr != tt.wantErr {
				t.Errorf("psql %v:\nstdout %q\nstderr %q\nstatus %d\nwant %q / %q / %d", tt.args, out, stderr, status, tt.wantOut, tt.wantErr, tt.wantStatus)
			}
		})
	}
}

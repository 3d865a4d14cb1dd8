package sqltests

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Connector returns a connection with fresh state (an empty database) for
// running one script file. Anything it starts should be stopped through
// tb.Cleanup; the Harness closes the connection when the file is done.
type Connector func(tb testing.TB, file string) *pgx.Conn

// Harness runs script files as subtests of a Go test.
type Harness struct {
	Runner
	Connect Connector
	// Rewrite writes each file back with the target's results instead of
	// comparing (see Runner.Rewrite). It is refused for any target but
	// TargetPostgres.
	Rewrite bool
	// Parallel runs the files of RunDir as parallel subtests (each has its
	// own server or database, so they share nothing).
	Parallel bool
}

// validate refuses rewriting from OpenWit: its output is what the scripts
// test, so it must never become their expectation.
func (h Harness) validate() error {
	if h.Rewrite && h.Target != TargetPostgres {
		return fmt.Errorf("rewrite against %q refused: expectations are generated from %s only", h.Target, TargetPostgres)
	}
	if h.Connect == nil {
		return errors.New("harness has no Connect function")
	}
	return nil
}

// Files returns the .slt files under dir, recursively, sorted.
func Files(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(path, ".slt") {
			files = append(files, path)
		}
		return nil
	})
	slices.Sort(files)
	return files, err
}

// RunDir runs every .slt file under dir as a subtest of t named by the
// file's path relative to dir, without the extension.
func (h Harness) RunDir(t *testing.T, dir string) {
	t.Helper()
	files, err := Files(dir)
	if err != nil {
		t.Fatalf("list scripts: %v", err)
	}
	if len(files) == 0 {
		t.Fatalf("no .slt files under %s", dir)
	}
	for _, file := range files {
		rel, err := filepath.Rel(dir, file)
		if err != nil {
			rel = file
		}
		t.Run(strings.TrimSuffix(filepath.ToSlash(rel), ".slt"), func(t *testing.T) {
			if h.Parallel {
				t.Parallel()
			}
			h.RunFile(t, file)
		})
	}
}

// RunFile runs one script file on a fresh connection from h.Connect and
// reports each failed record as a test error.
func (h Harness) RunFile(t *testing.T, path string) {
	t.Helper()
	if err := h.validate(); err != nil {
		t.Fatal(err)
	}
	s, err := ParseFile(path)
	if err != nil {
		t.Fatal(err)
	}
	conn := h.Connect(t, path)
	defer conn.Close(context.Background())
	if !h.Rewrite {
		fails, err := h.Run(t.Context(), conn, s)
		for _, f := range fails {
			t.Error(f)
		}
		if err != nil {
			t.Fatal(err)
		}
		return
	}
	out, fails, err := h.Runner.Rewrite(t.Context(), conn, s)
	for _, f := range fails {
		t.Error(f)
	}
	if err != nil {
		t.Fatal(err)
	}
	old, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(old, out) {
		return
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, out, info.Mode().Perm()); err != nil {
		t.Fatal(err)
	}
	t.Logf("rewrote %s from %s; read the new results before keeping them", path, h.Target)
}

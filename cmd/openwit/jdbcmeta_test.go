package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// jdbcMetaAllowed are the lines of the metadata dump (testdata/jdbcmeta)
// that may differ between PostgreSQL and openwit: a line whose text starts
// with one of these prefixes is dropped from both dumps before they are
// compared. Every entry says why the difference is legitimate.
var jdbcMetaAllowed = []struct{ prefix, reason string }{
	{"version=", "getDatabaseProductVersion names the build: \"15.18 (Debian ...)\" against \"15.0 (OpenWit ...)\"; the major version is compared"},
}

// runJdbcMeta runs the metadata dump program against a server and returns
// its output.
func runJdbcMeta(t *testing.T, src string, port int, user string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "java", "-cp", "/usr/share/java/postgresql.jar", src)
	cmd.Env = []string{"PATH=/usr/bin:/bin:/usr/local/bin", "HOME=" + t.TempDir(), "TZ=UTC",
		"PGPORT=" + strconv.Itoa(port), "PGDATABASE=openwit", "PGUSER=" + user}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("java against port %d: %v\nstdout:\n%s\nstderr:\n%s", port, err, out.String(), errb.String())
	}
	return out.String()
}

func jdbcMetaLines(dump string) []string {
	var out []string
	for _, l := range strings.Split(strings.TrimRight(dump, "\n"), "\n") {
		allowed := false
		for _, a := range jdbcMetaAllowed {
			if strings.HasPrefix(l, a.prefix) {
				allowed = true
			}
		}
		if !allowed {
			out = append(out, l)
		}
	}
	return out
}

// TestClientPgjdbcMetadata runs the same pgjdbc program (CREATE TABLE, then
// DatabaseMetaData: getTables, getColumns, getSchemas, getCatalogs,
// getTableTypes, getPrimaryKeys, getIndexInfo, getTypeInfo,
// getProcedures, getFunctions, and a query's ResultSetMetaData) against a
// real PostgreSQL 15 and against openwit, and requires the same dump but
// for jdbcMetaAllowed.
func TestClientPgjdbcMetadata(t *testing.T) {
	t.Parallel()
	const jar = "/usr/share/java/postgresql.jar"
	if _, err := os.Stat(jar); err != nil {
		t.Fatal("pgjdbc missing (bash .ci/run installs libpostgresql-jdbc-java)")
	}
	src, err := filepath.Abs(filepath.Join("testdata", "jdbcmeta", "M.java"))
	if err != nil {
		t.Fatal(err)
	}
	pg := testpg.Start(t)
	pg.CreateDB(t, "openwit")
	s := testserver.Start(t, testserver.Options{})

	want := runJdbcMeta(t, src, pg.Port, "postgres")
	got := runJdbcMeta(t, src, s.PGPort, "openwit")
	// The dump must hold what it claims to check, on both sides.
	for _, must := range []string{"## columns", "COLUMN_NAME=price | DATA_TYPE=2 | TYPE_NAME=numeric | COLUMN_SIZE=12 | DECIMAL_DIGITS=2",
		"TABLE_NAME=md_logs | TABLE_TYPE=TABLE", "label=price | type=2 | typeName=numeric | precision=12 | scale=2",
		"TABLE_NAME=md_errors | TABLE_TYPE=VIEW", "COLUMN_DEF='-1'::integer", "COLUMN_DEF='x'::character varying"} {
		if !strings.Contains(want, must) || !strings.Contains(got, must) {
			t.Errorf("dumps lack %q\npostgres:\n%s\nopenwit:\n%s", must, want, got)
		}
	}
	wl, gl := jdbcMetaLines(want), jdbcMetaLines(got)
	var diff strings.Builder
	for i := 0; i < max(len(wl), len(gl)); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			diff.WriteString("- " + w + "\n+ " + g + "\n")
		}
	}
	if diff.Len() > 0 {
		t.Errorf("pgjdbc metadata differs (- postgres, + openwit):\n%s\nopenwit log:\n%s", diff.String(), s.Log())
	}
}

package sqltests

import (
	"flag"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

var (
	targetFlag  = flag.String("target", "", "server to run the scripts against: openwit or postgres (default $OPENWIT_SLT_TARGET, else openwit)")
	rewriteFlag = flag.Bool("rewrite", false, "rewrite the expected results of the scripts from the target's output (postgres only); read the results before keeping them")
)

// targets returns the servers chosen by -target or $OPENWIT_SLT_TARGET;
// both by default, so every run proves the expectations are PostgreSQL's
// and that OpenWit meets them.
func targets(tb testing.TB) []string {
	t := *targetFlag
	if t == "" {
		t = os.Getenv("OPENWIT_SLT_TARGET")
	}
	if t == "" {
		return []string{TargetPostgres, TargetOpenWit}
	}
	if t != TargetOpenWit && t != TargetPostgres {
		tb.Fatalf("unknown target %q: want %s or %s", t, TargetOpenWit, TargetPostgres)
	}
	return []string{t}
}

// openWitModes are the ways the OpenWit target runs every script, so the
// executors are checked against each other and against PostgreSQL:
// vectorized over the ingest buffers (rows stay buffered: the flush age is
// an hour), the row engine (SET openwit.vectorize = off), and vectorized
// over Parquet files (buffers flushed every few milliseconds).
var openWitModes = []struct {
	name  string
	args  []string
	setup string
}{
	{name: TargetOpenWit, args: []string{"--flush-age=1h"}},
	{name: TargetOpenWit + "-row", args: []string{"--flush-age=1h"}, setup: "SET openwit.vectorize = off"},
	{name: TargetOpenWit + "-parquet", args: []string{"--flush-age=1ms"}},
}

// TestSLT runs every testdata/**/*.slt script against each target, one
// fresh database (PostgreSQL) or server (OpenWit) per file. Files and
// targets share nothing, so they run in parallel (go test's -parallel, the
// number of CPUs by default, bounds how many at once).
func TestSLT(t *testing.T) {
	for _, tgt := range targets(t) {
		if tgt == TargetPostgres {
			t.Run(tgt, func(t *testing.T) {
				t.Parallel()
				runTarget(t, tgt, nil, "")
			})
			continue
		}
		for _, m := range openWitModes {
			t.Run(m.name, func(t *testing.T) {
				t.Parallel()
				runTarget(t, tgt, m.args, m.setup)
			})
		}
	}
}

func runTarget(t *testing.T, tgt string, args []string, setup string) {
	if *rewriteFlag && tgt != TargetPostgres {
		t.Fatalf("-rewrite needs -target=%s: expectations are generated from PostgreSQL, never from OpenWit", TargetPostgres)
	}
	h := Harness{Runner: Runner{Target: tgt}, Rewrite: *rewriteFlag, Parallel: true}
	switch tgt {
	case TargetPostgres:
		pg := testpg.Start(t)
		h.Connect = func(tb testing.TB, file string) *pgx.Conn {
			return testserver.Connect(tb, pg.CreateDB(tb, dbName(file)))
		}
	case TargetOpenWit:
		testserver.Binary(t) // build once: a broken build fails here, not in every file
		h.Connect = func(tb testing.TB, file string) *pgx.Conn {
			srv := testserver.Start(tb, testserver.Options{Args: args})
			conn := testserver.Connect(tb, srv.DSN())
			if setup != "" {
				if _, err := conn.Exec(tb.Context(), setup); err != nil {
					tb.Fatalf("%s: %v", setup, err)
				}
			}
			return conn
		}
	}
	h.RunDir(t, "testdata")
}

// TestPendingRecordsAreDocumented checks that every record OpenWit skips
// says why: a "# pending: <reason>" line directly above its "skipif openwit"
// (or "# postgres variant: <reason>" for PostgreSQL's spelling of a record
// that OpenWit runs with its own options, onlyif openwit).
// The records still run against PostgreSQL, so their expectations stay
// proven; the count is the size of the known gap.
func TestPendingRecordsAreDocumented(t *testing.T) {
	files, err := Files("testdata")
	if err != nil {
		t.Fatal(err)
	}
	pending := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(b), "\n")
		for i, l := range lines {
			if strings.TrimSpace(l) != "skipif openwit" {
				continue
			}
			if i > 0 && strings.HasPrefix(lines[i-1], "# postgres variant: ") {
				continue // PostgreSQL's spelling of the onlyif-openwit record before it
			}
			if i == 0 || !strings.HasPrefix(lines[i-1], "# pending: ") {
				t.Errorf("%s:%d: skipif openwit without a \"# pending: <reason>\" (or \"# postgres variant: <reason>\") line above it", f, i+1)
			}
			pending++
		}
	}
	t.Logf("%d records pending for openwit (run against PostgreSQL only)", pending)
}

var nonIdent = regexp.MustCompile(`[^a-z0-9]+`)

// dbName derives a database name from a script path: testdata/a/b.slt is
// slt_testdata_a_b.
func dbName(file string) string {
	name := "slt_" + nonIdent.ReplaceAllString(strings.ToLower(strings.TrimSuffix(file, ".slt")), "_")
	if len(name) > 63 {
		name = name[:63]
	}
	return name
}

package sqltests

import (
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testserver"
)

// TestSLTRepeated runs corpus files against OpenWit with every query
// record run twice in a row on the same session (Runner.Repeat), over
// Parquet files with their index artifacts (flushed every few
// milliseconds): the second run takes the index's answers from the
// coordinator's memo and each run's plan is the one its describe made
// (design 063), and both must give PostgreSQL's results.
func TestSLTRepeated(t *testing.T) {
	testserver.Binary(t)
	for _, name := range []string{"index_pruning", "observability", "dashboards", "where", "select_basic", "multistatement", "session"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := Harness{Runner: Runner{Target: TargetOpenWit, Repeat: true}, Connect: func(tb testing.TB, file string) *pgx.Conn {
				srv := testserver.Start(tb, testserver.Options{Args: []string{"--flush-age=1ms"}})
				return testserver.Connect(tb, srv.DSN())
			}}
			h.RunFile(t, filepath.Join("testdata", name+".slt"))
		})
	}
}

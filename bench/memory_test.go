package bench

import (
	"strings"
	"testing"

	"openwit/internal/testserver"
)

// TestRunMemory runs the memory scenario small: every group comes back
// with every row, RSS is read, and a tiny --query-memory-limit turns the
// query into SQLSTATE 53200 instead of a crash.
func TestRunMemory(t *testing.T) {
	bin := testserver.Binary(t)
	rep, err := RunMemory(t.Context(), MemoryConfig{Rows: 60_000, Groups: 6_000, Bin: bin, WorkDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Err != "" || rep.GroupsReturned != 6_000 || rep.RowsCounted != 60_000 {
		t.Fatalf("got %+v", rep)
	}
	if rep.BaselineRSSBytes <= 0 || rep.PeakRSSBytes < rep.BaselineRSSBytes {
		t.Errorf("RSS: baseline %d, peak %d", rep.BaselineRSSBytes, rep.PeakRSSBytes)
	}
	rep, err = RunMemory(t.Context(), MemoryConfig{Rows: 60_000, Groups: 6_000, Bin: bin, WorkDir: t.TempDir(),
		Args: []string{"--query-memory-limit", "64kB"}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.Err, "53200") {
		t.Errorf("with a 64kB limit: error %q, want SQLSTATE 53200", rep.Err)
	}
}

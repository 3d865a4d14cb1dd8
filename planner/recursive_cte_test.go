package planner_test

import (
	"strings"
	"testing"

	"openwit/internal/pgerror"
)

// TestRecursiveCTEIterationLimit: go-mysql-server stops a recursive CTE
// after 10001 iterations. PostgreSQL has no such limit (it answers 20000
// below), so this is not a corpus record: the query fails with 54000 and a
// message that names the limit, not XX000, and the session goes on.
func TestRecursiveCTEIterationLimit(t *testing.T) {
	h := newHarness(t)
	_, err := h.query(`WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM r WHERE n < 20000) SELECT count(*) FROM r`)
	if pgerror.Code(err) != pgerror.ProgramLimitExceeded || !strings.Contains(err.Error(), "10001 iterations") {
		t.Fatalf("want 54000 naming the iteration limit, got %v", err)
	}
	if got := h.mustQuery(`WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n+1 FROM r WHERE n < 10000) SELECT count(*) FROM r`); !strings.Contains(got, "10000") {
		t.Fatalf("10000 iterations: got %q", got)
	}
}

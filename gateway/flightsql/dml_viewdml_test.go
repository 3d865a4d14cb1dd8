package flightsql_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"openwit/internal/testserver"
)

// TestFlightSQLViewDML: ExecuteUpdate writes through a view
// (docs/design/076-view-dml.md): UPDATE and DELETE act on the rows the
// view shows, and a view that is not updatable is refused.
func TestFlightSQLViewDML(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	cl := newClient(t, addr(srv))
	exec(t, cl, "CREATE TABLE vev (ts timestamptz NOT NULL, host text, code int4)")
	var sb strings.Builder
	sb.WriteString("INSERT INTO vev VALUES ")
	for i := range 30 {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "('2026-01-01 00:%02d:00+00', 'h%d', %d)", i, i%3, i)
	}
	exec(t, cl, sb.String())
	exec(t, cl, "CREATE VIEW vev_h1 AS SELECT ts, host AS h, code AS c FROM vev WHERE host = 'h1'")
	if n := exec(t, cl, "UPDATE vev_h1 SET c = -1 WHERE c < 15"); n != 5 {
		t.Errorf("UPDATE through the view: %d rows, want 5", n)
	}
	if _, rows := query(t, cl, "SELECT count(*) FROM vev WHERE code = -1 AND host = 'h1'"); fmt.Sprint(rows[0][0]) != "5" {
		t.Errorf("after the UPDATE: %v rows with code -1, want 5", rows[0][0])
	}
	if n := exec(t, cl, "DELETE FROM vev_h1"); n != 10 {
		t.Errorf("DELETE through the view: %d rows, want 10", n)
	}
	if _, rows := query(t, cl, "SELECT count(*) FROM vev"); fmt.Sprint(rows[0][0]) != "20" {
		t.Errorf("after the DELETE: %v rows, want 20 (the rows the view does not show)", rows[0][0])
	}
	exec(t, cl, "CREATE VIEW vev_n AS SELECT host, count(*) AS n FROM vev GROUP BY host")
	if _, err := cl.ExecuteUpdate(context.Background(), "DELETE FROM vev_n"); status.Code(err) == codes.OK ||
		!strings.Contains(err.Error(), "55000") {
		t.Errorf("DELETE from a view with GROUP BY: %v, want 55000", err)
	}
}

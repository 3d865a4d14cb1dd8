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

// TestFlightSQLDelete: DELETE and TRUNCATE through ExecuteUpdate report
// the rows removed (0 for TRUNCATE, which has no count), and refusals
// carry their SQLSTATE.
func TestFlightSQLDelete(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	cl := newClient(t, addr(srv))
	exec(t, cl, "CREATE TABLE ev (ts timestamptz NOT NULL, host text, code int4)")
	var sb strings.Builder
	sb.WriteString("INSERT INTO ev VALUES ")
	for i := range 60 {
		if i > 0 {
			sb.WriteString(", ")
		}
		fmt.Fprintf(&sb, "('2026-01-01 00:%02d:00+00', 'h%d', %d)", i, i%3, i)
	}
	exec(t, cl, sb.String())
	if n := exec(t, cl, "DELETE FROM ev WHERE host = 'h1'"); n != 20 {
		t.Errorf("DELETE by host: %d rows, want 20", n)
	}
	if n := exec(t, cl, "DELETE FROM ev WHERE code >= 30"); n != 20 {
		t.Errorf("DELETE by code: %d rows, want 20", n)
	}
	if _, rows := query(t, cl, "SELECT count(*) FROM ev"); fmt.Sprint(rows[0][0]) != "20" {
		t.Errorf("after the DELETEs: %v rows, want 20", rows[0][0])
	}
	if n := exec(t, cl, "UPDATE ev SET code = -1"); n != 20 {
		t.Errorf("UPDATE: %d rows, want 20", n)
	}
	if _, rows := query(t, cl, "SELECT count(*) FROM ev WHERE code = -1"); fmt.Sprint(rows[0][0]) != "20" {
		t.Errorf("after the UPDATE: %v rows with code -1, want 20", rows[0][0])
	}
	if _, err := cl.ExecuteUpdate(context.Background(), "UPDATE ev SET code = 1 FROM ev e2"); status.Code(err) != codes.Unimplemented ||
		!strings.Contains(err.Error(), "0A000") {
		t.Errorf("UPDATE ... FROM: %v", err)
	}
	exec(t, cl, "TRUNCATE ev")
	if _, rows := query(t, cl, "SELECT count(*) FROM ev"); fmt.Sprint(rows[0][0]) != "0" {
		t.Errorf("after TRUNCATE: %v rows, want 0", rows[0][0])
	}
}

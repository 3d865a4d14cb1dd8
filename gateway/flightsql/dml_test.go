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
	exec(t, cl, "CREATE TABLE codes (ts timestamptz NOT NULL, host text, code int4)")
	exec(t, cl, "INSERT INTO codes VALUES ('2026-01-01 00:00:00+00', 'h0', 7), ('2026-01-01 00:00:00+00', 'h9', 9)")
	if n := exec(t, cl, "UPDATE ev SET code = c.code FROM codes c WHERE ev.host = c.host"); n != 10 {
		t.Errorf("UPDATE ... FROM: %d rows, want 10", n)
	}
	if _, rows := query(t, cl, "SELECT count(*) FROM ev WHERE code = 7"); fmt.Sprint(rows[0][0]) != "10" {
		t.Errorf("after the UPDATE ... FROM: %v rows with code 7, want 10", rows[0][0])
	}
	if n := exec(t, cl, "DELETE FROM ev USING codes c WHERE ev.code = c.code"); n != 10 {
		t.Errorf("DELETE ... USING: %d rows, want 10", n)
	}
	if _, err := cl.ExecuteUpdate(context.Background(), "UPDATE ev SET code = (SELECT code FROM codes)"); status.Code(err) == codes.OK ||
		!strings.Contains(err.Error(), "21000") {
		t.Errorf("UPDATE with a subquery of two rows: %v", err)
	}
	exec(t, cl, "TRUNCATE ev")
	if _, rows := query(t, cl, "SELECT count(*) FROM ev"); fmt.Sprint(rows[0][0]) != "0" {
		t.Errorf("after TRUNCATE: %v rows, want 0", rows[0][0])
	}
}

package flightsql_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	fsql "openwit/gateway/flightsql"
)

func TestPasswordAuth(t *testing.T) {
	st := newStack(t)
	a := st.serve(t, fsql.Config{Trust: false, Password: "s3cret"})
	cl := newClient(t, a)
	ctx := context.Background()

	if _, err := cl.Execute(ctx, "SELECT 1"); status.Code(err) != codes.Unauthenticated {
		t.Errorf("call without a token: %v", err)
	}
	if _, err := cl.GetSqlInfo(ctx, nil); status.Code(err) != codes.Unauthenticated {
		t.Errorf("metadata call without a token: %v", err)
	}
	if _, err := cl.Client.AuthenticateBasicToken(ctx, "openwit", "wrong"); status.Code(err) != codes.Unauthenticated ||
		!strings.Contains(err.Error(), "28P01") {
		t.Errorf("wrong password: %v", err)
	}
	if _, err := cl.Client.AuthenticateBasicToken(ctx, "mallory", "s3cret"); status.Code(err) != codes.Unauthenticated {
		t.Errorf("unknown user: %v", err)
	}
	authed, err := cl.Client.AuthenticateBasicToken(ctx, "openwit", "s3cret")
	if err != nil {
		t.Fatal(err)
	}
	info, err := cl.Execute(authed, "SELECT current_user, 1 + 1")
	if err != nil {
		t.Fatal(err)
	}
	// DoGet needs the token too.
	if _, _, err := fetch(t, ctx, cl, info); status.Code(err) != codes.Unauthenticated {
		t.Errorf("DoGet without the token: %v", err)
	}
	_, recs, err := fetch(t, authed, cl, info)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(rowsOf(recs)); got != "[[openwit 2]]" {
		t.Errorf("rows %s", got)
	}

	// A tampered token is refused.
	md, _ := metadata.FromOutgoingContext(authed)
	tok := md.Get("authorization")[0]
	forged := metadata.AppendToOutgoingContext(ctx, "authorization", tok[:len(tok)-2]+"AA")
	if _, err := cl.Execute(forged, "SELECT 1"); status.Code(err) != codes.Unauthenticated {
		t.Errorf("tampered token: %v", err)
	}
	wrong := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer not-a-token")
	if _, err := cl.Execute(wrong, "SELECT 1"); status.Code(err) != codes.Unauthenticated {
		t.Errorf("wrong token: %v", err)
	}

	// ADBC logs in with username and password options.
	cn := adbcConn(t, adbcDB(t, a, map[string]string{adbc.OptionKeyUsername: "openwit", adbc.OptionKeyPassword: "s3cret"}))
	s, _ := cn.NewStatement()
	defer s.Close()
	_ = s.SetSqlQuery("SELECT 7")
	rdr, _, err := s.ExecuteQuery(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(readerRows(t, rdr)); got != "[[7]]" {
		t.Errorf("ADBC rows %s", got)
	}
	db := adbcDB(t, a, map[string]string{adbc.OptionKeyUsername: "openwit", adbc.OptionKeyPassword: "nope"})
	_, err = db.Open(ctx)
	var ae adbc.Error
	if !errors.As(err, &ae) || ae.Code != adbc.StatusUnauthenticated {
		t.Errorf("ADBC wrong password: %v", err)
	}
}

func TestTokenExpiry(t *testing.T) {
	a := newStack(t).serve(t, fsql.Config{Password: "pw", TokenTTL: time.Nanosecond})
	cl := newClient(t, a)
	ctx, err := cl.Client.AuthenticateBasicToken(context.Background(), "openwit", "pw")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cl.Execute(ctx, "SELECT 1"); status.Code(err) != codes.Unauthenticated {
		t.Errorf("expired token: %v", err)
	}
}

func TestNoPasswordConfigured(t *testing.T) {
	a := newStack(t).serve(t, fsql.Config{})
	cl := newClient(t, a)
	if _, err := cl.Client.AuthenticateBasicToken(context.Background(), "openwit", ""); status.Code(err) != codes.Unauthenticated ||
		!strings.Contains(err.Error(), "not configured") {
		t.Errorf("login without a configured password: %v", err)
	}
}

func TestTrust(t *testing.T) {
	a := newStack(t).serve(t, fsql.Config{Trust: true})
	cl := newClient(t, a)
	if _, rows := query(t, cl, "SELECT current_user"); fmt.Sprint(rows) != "[[openwit]]" {
		t.Errorf("anonymous user: %v", rows)
	}
	// Credentials are accepted and name the session user.
	ctx, err := cl.Client.AuthenticateBasicToken(context.Background(), "alice", "anything")
	if err != nil {
		t.Fatal(err)
	}
	info, err := cl.Execute(ctx, "SELECT current_user")
	if err != nil {
		t.Fatal(err)
	}
	_, recs, err := fetch(t, ctx, cl, info)
	if err != nil || fmt.Sprint(rowsOf(recs)) != "[[alice]]" {
		t.Errorf("user from Basic credentials: %v, %v", rowsOf(recs), err)
	}
	cn := adbcConn(t, adbcDB(t, a, map[string]string{adbc.OptionKeyUsername: "bob", adbc.OptionKeyPassword: "x"}))
	tt, err := cn.GetTableTypes(context.Background())
	if err != nil {
		t.Fatalf("ADBC with credentials in trust mode: %v", err)
	}
	if got := fmt.Sprint(readerRows(t, tt)); got != "[[TABLE]]" {
		t.Errorf("table types %s", got)
	}
}

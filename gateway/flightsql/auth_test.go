package flightsql_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-adbc/go/adbc"
	adbcfsql "github.com/apache/arrow-adbc/go/adbc/driver/flightsql"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"openwit/gateway/auth"
	fsql "openwit/gateway/flightsql"
	"openwit/internal/testcert"
)

// testUsers are openwit/s3cret (a plaintext password in the config) and
// alice/wonderland (a stored verifier).
func testUsers(tb testing.TB) *auth.Users {
	tb.Helper()
	u, err := auth.NewUsers([]auth.Entry{
		{Name: "openwit", Password: "s3cret"},
		{Name: "alice", Verifier: auth.NewVerifier("wonderland").String()},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

func TestPasswordAuth(t *testing.T) {
	st := newStack(t)
	a := st.serve(t, fsql.Config{Trust: false, Users: testUsers(t)})
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
	if _, err := cl.Client.AuthenticateBasicToken(ctx, "mallory", "s3cret"); status.Code(err) != codes.Unauthenticated ||
		!strings.Contains(err.Error(), `password authentication failed for user "mallory" (SQLSTATE 28P01)`) {
		t.Errorf("unknown user: %v", err)
	}
	if _, err := cl.Client.AuthenticateBasicToken(ctx, "alice", "s3cret"); status.Code(err) != codes.Unauthenticated {
		t.Errorf("another user's password: %v", err)
	}
	// The user a token names is the session user.
	actx, err := cl.Client.AuthenticateBasicToken(ctx, "alice", "wonderland")
	if err != nil {
		t.Fatal(err)
	}
	ainfo, err := cl.Execute(actx, "SELECT current_user")
	if err != nil {
		t.Fatal(err)
	}
	if _, recs, err := fetch(t, actx, cl, ainfo); err != nil || fmt.Sprint(rowsOf(recs)) != "[[alice]]" {
		t.Errorf("current_user with alice's token: %v, %v", rowsOf(recs), err)
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
	// Change a character whose six bits all count (the last one may
	// carry unused bits, and the token may already end in "AA").
	i, c := len(tok)-3, "A"
	if tok[i] == 'A' {
		c = "B"
	}
	forged := metadata.AppendToOutgoingContext(ctx, "authorization", tok[:i]+c+tok[i+1:])
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
	a := newStack(t).serve(t, fsql.Config{Users: testUsers(t), TokenTTL: time.Nanosecond})
	cl := newClient(t, a)
	ctx, err := cl.Client.AuthenticateBasicToken(context.Background(), "openwit", "s3cret")
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

// TestSharedTokenKey shows that gateways configured with the same token
// key accept each other's tokens, and others do not.
func TestSharedTokenKey(t *testing.T) {
	st := newStack(t)
	key := []byte(strings.Repeat("k", 32))
	a := st.serve(t, fsql.Config{Users: testUsers(t), TokenKey: key})
	b := st.serve(t, fsql.Config{Users: testUsers(t), TokenKey: key})
	c := st.serve(t, fsql.Config{Users: testUsers(t)})
	ctx, err := newClient(t, a).Client.AuthenticateBasicToken(context.Background(), "alice", "wonderland")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newClient(t, b).Execute(ctx, "SELECT 1"); err != nil {
		t.Errorf("token from a gateway with the same key: %v", err)
	}
	if _, err := newClient(t, c).Execute(ctx, "SELECT 1"); status.Code(err) != codes.Unauthenticated {
		t.Errorf("token from a gateway with another key: %v", err)
	}
	if _, err := fsql.New(fsql.Config{Engine: st.eng, Ingester: st.ing, Catalog: st.cat, TokenKey: []byte("short")}); err == nil {
		t.Error("a 5-byte token key was accepted")
	}
}

// TestTLS runs arrow-go's client and ADBC over TLS with passwords.
func TestTLS(t *testing.T) {
	certs := testcert.New(t)
	a := newStack(t).serve(t, fsql.Config{Users: testUsers(t), TLS: certs.ServerConfig()})
	ctx := context.Background()

	cl := newTLSClient(t, a, certs.ClientConfig())
	actx, err := cl.Client.AuthenticateBasicToken(ctx, "alice", "wonderland")
	if err != nil {
		t.Fatal(err)
	}
	info, err := cl.Execute(actx, "SELECT current_user, 40 + 2")
	if err != nil {
		t.Fatal(err)
	}
	if _, recs, err := fetch(t, actx, cl, info); err != nil || fmt.Sprint(rowsOf(recs)) != "[[alice 42]]" {
		t.Errorf("query over TLS: %v, %v", rowsOf(recs), err)
	}
	if _, err := cl.Client.AuthenticateBasicToken(ctx, "alice", "nope"); status.Code(err) != codes.Unauthenticated {
		t.Errorf("wrong password over TLS: %v", err)
	}

	// A plain-text client cannot talk to a TLS server.
	if _, err := newClient(t, a).Client.AuthenticateBasicToken(ctx, "alice", "wonderland"); status.Code(err) != codes.Unavailable {
		t.Errorf("plain-text client: %v", err)
	}
	// A client that trusts another CA refuses the server.
	if _, err := newTLSClient(t, a, testcert.New(t).ClientConfig()).Client.AuthenticateBasicToken(ctx, "alice", "wonderland"); status.Code(err) != codes.Unavailable ||
		!strings.Contains(err.Error(), "certificate") {
		t.Errorf("client trusting another CA: %v", err)
	}
	// TLS 1.1 is refused.
	old := certs.ClientConfig()
	old.MinVersion, old.MaxVersion = tls.VersionTLS10, tls.VersionTLS11
	if _, err := newTLSClient(t, a, old).Client.AuthenticateBasicToken(ctx, "alice", "wonderland"); status.Code(err) != codes.Unavailable {
		t.Errorf("TLS 1.1 client: %v", err)
	}

	// ADBC: grpc+tls with the test CA's certificate as root.
	caPEM, err := os.ReadFile(certs.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	tlsOpts := func(user, password string) map[string]string {
		return map[string]string{
			adbc.OptionKeyURI:           "grpc+tls://localhost:" + a[strings.LastIndexByte(a, ':')+1:],
			adbcfsql.OptionSSLRootCerts: string(caPEM),
			adbc.OptionKeyUsername:      user,
			adbc.OptionKeyPassword:      password,
		}
	}
	cn := adbcConn(t, adbcDB(t, a, tlsOpts("alice", "wonderland")))
	s, _ := cn.NewStatement()
	defer s.Close()
	_ = s.SetSqlQuery("SELECT current_user")
	rdr, _, err := s.ExecuteQuery(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(readerRows(t, rdr)); got != "[[alice]]" {
		t.Errorf("ADBC over TLS: %s", got)
	}
	_, err = adbcDB(t, a, tlsOpts("alice", "wrong")).Open(ctx)
	var ae adbc.Error
	if !errors.As(err, &ae) || ae.Code != adbc.StatusUnauthenticated {
		t.Errorf("ADBC wrong password over TLS: %v", err)
	}
	// Without the root certificate ADBC does not trust the server.
	noCA := tlsOpts("alice", "wonderland")
	delete(noCA, adbcfsql.OptionSSLRootCerts)
	if _, err := adbcDB(t, a, noCA).Open(ctx); err == nil {
		t.Error("ADBC trusted an unknown CA")
	}
}

// newTLSClient connects arrow-go's Flight SQL client over TLS.
func newTLSClient(tb testing.TB, address string, cfg *tls.Config) *flightsql.Client {
	tb.Helper()
	cl, err := flightsql.NewClient(address, nil, nil, grpc.WithTransportCredentials(credentials.NewTLS(cfg)))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { cl.Close() })
	return cl
}

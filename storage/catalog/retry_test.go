package catalog

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

func TestTransient(t *testing.T) {
	pg := func(code string) error { return &pgconn.PgError{Severity: "ERROR", Code: code} }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"admin shutdown", pg("57P01"), true},
		{"crash shutdown", pg("57P02"), true},
		{"cannot connect now", pg("57P03"), true},
		{"read-only transaction", fmt.Errorf("insert: %w", pg("25006")), true},
		{"serialization failure", pg("40001"), true},
		{"deadlock", pg("40P01"), true},
		{"too many connections", pg("53300"), true},
		{"connection failure", pg("08006"), true},
		{"unique violation", pg("23505"), false},
		{"undefined table", pg("42P01"), false},
		{"connect error", &pgconn.ConnectError{}, true},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), true},
		{"unexpected eof", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), true},
		{"lost commit", &commitUnknown{io.ErrUnexpectedEOF}, true},
		{"canceled", context.Canceled, false},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), false},
		{"not found", ErrNotFound, false},
		{"exists", fmt.Errorf("publish: %w", ErrExists), false},
		{"invalid", ErrInvalid, false},
		{"nil", nil, false},
	}
	for _, tc := range tests {
		if got := transient(tc.err); got != tc.want {
			t.Errorf("transient(%s: %v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestCommitFailed(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		unknown bool
	}{
		{"connection lost", io.ErrUnexpectedEOF, true},
		{"fatal admin shutdown", &pgconn.PgError{Severity: "FATAL", Code: "57P01"}, true},
		{"serialization failure at commit", &pgconn.PgError{Severity: "ERROR", Code: "40001"}, false},
		{"transaction was aborted", pgx.ErrTxCommitRollback, false},
	}
	for _, tc := range tests {
		err := commitFailed(tc.err)
		var cu *commitUnknown
		if got := errors.As(err, &cu); got != tc.unknown {
			t.Errorf("commitFailed(%s): unknown = %v, want %v", tc.name, got, tc.unknown)
		}
		if !errors.Is(err, tc.err) {
			t.Errorf("commitFailed(%s) = %v, does not wrap the cause", tc.name, err)
		}
	}
}

func TestRetryPolicy(t *testing.T) {
	if err := DefaultRetryPolicy().Validate(); err != nil {
		t.Errorf("default policy: %v", err)
	}
	for _, p := range []RetryPolicy{
		{Attempts: 0, BaseDelay: time.Millisecond, MaxDelay: time.Second},
		{Attempts: 3, BaseDelay: -time.Millisecond, MaxDelay: time.Second},
		{Attempts: 3, BaseDelay: time.Second, MaxDelay: time.Millisecond},
	} {
		if err := p.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("Validate(%+v) = %v, want ErrInvalid", p, err)
		}
	}
	p := RetryPolicy{Attempts: 20, BaseDelay: 10 * time.Millisecond, MaxDelay: 300 * time.Millisecond}
	tests := []struct {
		try      int
		min, max time.Duration
	}{
		{1, 5 * time.Millisecond, 10 * time.Millisecond},
		{2, 10 * time.Millisecond, 20 * time.Millisecond},
		{3, 20 * time.Millisecond, 40 * time.Millisecond},
		{5, 80 * time.Millisecond, 160 * time.Millisecond},
		{6, 150 * time.Millisecond, 300 * time.Millisecond}, // capped
		{19, 150 * time.Millisecond, 300 * time.Millisecond},
	}
	for _, tc := range tests {
		for range 100 {
			if d := p.delay(tc.try); d < tc.min || d > tc.max {
				t.Fatalf("delay(%d) = %v, want in [%v, %v]", tc.try, d, tc.min, tc.max)
			}
		}
	}
	if d := (RetryPolicy{Attempts: 2}).delay(3); d != 0 {
		t.Errorf("zero policy delay = %v, want 0", d)
	}
}

func TestPostgresConfigValidate(t *testing.T) {
	if err := DefaultPostgresConfig("postgres://h/db").Validate(); err != nil {
		t.Errorf("default config: %v", err)
	}
	if err := DefaultPostgresConfig("").Validate(); !errors.Is(err, ErrInvalid) {
		t.Errorf("empty DSN: %v, want ErrInvalid", err)
	}
	if _, err := OpenPostgres(t.Context(), "postgres://h:notaport/db"); !errors.Is(err, ErrInvalid) {
		t.Errorf("OpenPostgres(bad dsn) err = %v, want ErrInvalid", err)
	}
}

package flightsql

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"openwit/internal/pgerror"
)

func TestStatusError(t *testing.T) {
	for _, tt := range []struct {
		err  error
		code codes.Code
		msg  string
	}{
		{pgerror.New("42601", "syntax error at or near \"SELEC\""), codes.InvalidArgument, `ERROR: syntax error at or near "SELEC" (SQLSTATE 42601)`},
		{pgerror.New("42703", "column \"x\" does not exist"), codes.InvalidArgument, `ERROR: column "x" does not exist (SQLSTATE 42703)`},
		{pgerror.New("42P01", "relation \"t\" does not exist"), codes.NotFound, `ERROR: relation "t" does not exist (SQLSTATE 42P01)`},
		{pgerror.New("0A000", "FOR UPDATE is not supported"), codes.Unimplemented, "ERROR: FOR UPDATE is not supported (SQLSTATE 0A000)"},
		{pgerror.New("22012", "division by zero"), codes.InvalidArgument, "ERROR: division by zero (SQLSTATE 22012)"},
		{pgerror.New("53200", "out of memory"), codes.ResourceExhausted, "ERROR: out of memory (SQLSTATE 53200)"},
		{pgerror.New("57014", "canceling statement due to user request"), codes.Canceled, "ERROR: canceling statement due to user request (SQLSTATE 57014)"},
		{pgerror.New("28P01", "password authentication failed"), codes.Unauthenticated, "ERROR: password authentication failed (SQLSTATE 28P01)"},
		{pgerror.New("23502", "null value"), codes.InvalidArgument, "ERROR: null value (SQLSTATE 23502)"},
		{pgerror.New("XX000", "boom"), codes.Internal, "ERROR: boom (SQLSTATE XX000)"},
		{fmt.Errorf("wrapped: %w", pgerror.New("42883", "function f() does not exist")), codes.InvalidArgument, "ERROR: function f() does not exist (SQLSTATE 42883)"},
		{errors.New("disk on fire"), codes.Internal, "ERROR: disk on fire (SQLSTATE XX000)"},
		{context.Canceled, codes.Canceled, "ERROR: canceling statement due to user request (SQLSTATE 57014)"},
		{status.Error(codes.PermissionDenied, "as is"), codes.PermissionDenied, "as is"},
	} {
		st, _ := status.FromError(statusError(tt.err))
		if st.Code() != tt.code || st.Message() != tt.msg {
			t.Errorf("%v: %s %q, want %s %q", tt.err, st.Code(), st.Message(), tt.code, tt.msg)
		}
	}
}

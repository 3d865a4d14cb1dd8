package grpcserve

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

func TestStatusError(t *testing.T) {
	errA, errB := errors.New("a"), errors.New("b")
	table := []ErrorCode{{errA, codes.InvalidArgument}, {errB, codes.NotFound}}
	for _, c := range []struct {
		err  error
		want codes.Code
	}{
		{fmt.Errorf("wrapped: %w", errA), codes.InvalidArgument},
		{errB, codes.NotFound},
		// A cancelled call is Canceled whatever else it wraps.
		{fmt.Errorf("%w: %w", errB, context.Canceled), codes.Canceled},
		{fmt.Errorf("%w: %w", errA, errB), codes.InvalidArgument},
		{fmt.Errorf("read: %w", context.Canceled), codes.Canceled},
		{context.DeadlineExceeded, codes.DeadlineExceeded},
		{errors.New("other"), codes.Internal},
		{status.Error(codes.Unavailable, "down"), codes.Unavailable},
	} {
		got := StatusError(c.err, table...)
		if status.Code(got) != c.want {
			t.Errorf("%v: code %v, want %v", c.err, status.Code(got), c.want)
		}
		if s, _ := status.FromError(got); s.Message() != c.err.Error() && status.Code(c.err) == codes.Unknown {
			t.Errorf("%v: message %q", c.err, s.Message())
		}
	}
}

package grpcserve

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// ErrorCode pairs a sentinel error with the gRPC code a server answers it
// with.
type ErrorCode struct {
	Err  error
	Code codes.Code
}

// StatusError maps err to the gRPC status a client branches on: a status
// passes unchanged; a cancelled or expired context is Canceled or
// DeadlineExceeded whatever else err wraps; otherwise the first entry of
// table that err matches (errors.Is) gives the code, else Internal.
func StatusError(err error, table ...ErrorCode) error {
	if _, ok := status.FromError(err); ok {
		return err
	}
	code := codes.Internal
	switch {
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	default:
		for _, e := range table {
			if errors.Is(err, e.Err) {
				code = e.Code
				break
			}
		}
	}
	return status.Error(code, err.Error())
}

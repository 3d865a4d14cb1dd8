package flightsql

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"openwit/internal/pgerror"
)

// statusError turns err into a gRPC status error carrying the PostgreSQL
// style message "ERROR: <message> (SQLSTATE xxxxx)". Errors that already
// are gRPC statuses pass through unchanged; errors without a SQLSTATE are
// internal (XX000).
func statusError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := status.FromError(err); ok {
		return err
	}
	switch {
	case errors.Is(err, context.Canceled):
		err = &pgerror.Error{Code: pgerror.QueryCanceled, Message: "canceling statement due to user request", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return status.Error(codes.DeadlineExceeded, "ERROR: canceling statement due to statement timeout (SQLSTATE 57014)")
	}
	pe := pgerror.As(err)
	return status.Error(grpcCode(pe.Code), formatError(pe))
}

// pgStatus builds a status error from a SQLSTATE and a message.
func pgStatus(code, format string, args ...any) error {
	return statusError(pgerror.New(code, format, args...))
}

func formatError(pe *pgerror.Error) string {
	sev := pe.Severity
	if sev == "" {
		sev = "ERROR"
	}
	msg := fmt.Sprintf("%s: %s (SQLSTATE %s)", sev, pe.Message, pe.Code)
	if pe.Detail != "" {
		msg += "\nDETAIL: " + pe.Detail
	}
	if pe.Hint != "" {
		msg += "\nHINT: " + pe.Hint
	}
	return msg
}

// grpcCode maps a SQLSTATE to the gRPC status code Flight SQL clients
// branch on. The brief's table, plus a few classes it leaves to Internal
// that are plainly the client's doing (see doc.go).
func grpcCode(sqlstate string) codes.Code {
	switch sqlstate {
	case pgerror.UndefinedTable, pgerror.InvalidCatalogName, pgerror.InvalidSchemaName:
		return codes.NotFound
	case pgerror.FeatureNotSupported:
		return codes.Unimplemented
	case pgerror.QueryCanceled:
		return codes.Canceled
	case pgerror.AdminShutdown:
		return codes.Unavailable
	case pgerror.DuplicateTable:
		return codes.AlreadyExists
	case pgerror.ProtocolViolation, pgerror.InvalidSQLStatementName:
		return codes.InvalidArgument
	}
	switch {
	case strings.HasPrefix(sqlstate, "42"), strings.HasPrefix(sqlstate, "22"), strings.HasPrefix(sqlstate, "23"):
		return codes.InvalidArgument
	case strings.HasPrefix(sqlstate, "53"), strings.HasPrefix(sqlstate, "54"):
		return codes.ResourceExhausted
	case strings.HasPrefix(sqlstate, "28"):
		return codes.Unauthenticated
	case strings.HasPrefix(sqlstate, "25"), strings.HasPrefix(sqlstate, "55"):
		return codes.FailedPrecondition
	}
	return codes.Internal
}

package pgwire

import (
	"github.com/jackc/pgx/v5/pgproto3"

	"openwit/internal/pgerror"
)

// SQLSTATE codes the protocol layer raises that internal/pgerror does not
// name.
const (
	codeDuplicatePreparedStatement  = "42P05"
	codeDuplicateCursor             = "42P03"
	codeInFailedSQLTransaction      = "25P02"
	codeInvalidBinaryRepresentation = "22P03"
	codeCannotConnectNow            = "57P03"
	codeObjectNotInPrerequisite     = "55000"
	codeUndefinedParameter          = "42P02"
)

// Severities used in ErrorResponse.
const (
	severityError = "ERROR"
	severityFatal = "FATAL"
)

// errorResponse converts err into an ErrorResponse. Errors without a
// SQLSTATE become XX000.
func errorResponse(err error) *pgproto3.ErrorResponse {
	pe := pgerror.As(err)
	sev := pe.Severity
	if sev == "" {
		sev = severityError
	}
	code := pe.Code
	if code == "" {
		code = pgerror.InternalError
	}
	return &pgproto3.ErrorResponse{
		Severity:            sev,
		SeverityUnlocalized: sev,
		Code:                code,
		Message:             pe.Message,
		Detail:              pe.Detail,
		Hint:                pe.Hint,
		Where:               pe.Where,
		Position:            max(pe.Position, 0),
	}
}

// noticeResponse converts a WARNING or NOTICE into a NoticeResponse.
func noticeResponse(n *pgerror.Error) *pgproto3.NoticeResponse {
	return &pgproto3.NoticeResponse{
		Severity:            n.Severity,
		SeverityUnlocalized: n.Severity,
		Code:                n.Code,
		Message:             n.Message,
		Detail:              n.Detail,
		Hint:                n.Hint,
	}
}

// fatal returns a FATAL error with code and message.
func fatal(code, format string, args ...any) *pgerror.Error {
	e := pgerror.New(code, format, args...)
	e.Severity = severityFatal
	return e
}

// errAdminShutdown terminates a session on Shutdown or server stop.
func errAdminShutdown() *pgerror.Error {
	return fatal(pgerror.AdminShutdown, "terminating connection due to administrator command")
}

// errQueryCanceled reports a statement stopped by a CancelRequest.
func errQueryCanceled() *pgerror.Error {
	return pgerror.New(pgerror.QueryCanceled, "canceling statement due to user request")
}

// errProtocol is a protocol violation that keeps the connection open.
func errProtocol(format string, args ...any) *pgerror.Error {
	return pgerror.New(pgerror.ProtocolViolation, format, args...)
}

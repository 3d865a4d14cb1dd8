// Package pgerror defines the error type that carries a PostgreSQL SQLSTATE
// from the planner, executor and storage layers to the gateways. The
// PostgreSQL wire gateway sends its fields in an ErrorResponse; the Flight SQL
// gateway maps the SQLSTATE class to a gRPC status code.
package pgerror

import (
	"errors"
	"fmt"
)

// SQLSTATE codes used across OpenWit.
const (
	SyntaxError                      = "42601"
	UndefinedTable                   = "42P01"
	UndefinedColumn                  = "42703"
	UndefinedFunction                = "42883"
	DuplicateTable                   = "42P07"
	DuplicateColumn                  = "42701"
	DatatypeMismatch                 = "42804"
	AmbiguousColumn                  = "42702"
	InvalidTableDefinition           = "42P16"
	GroupingError                    = "42803"
	InvalidTextRepr                  = "22P02"
	InvalidEscapeSequence            = "22025"
	IndeterminateDatatype            = "42P18"
	DivisionByZero                   = "22012"
	NumericOutOfRange                = "22003"
	InvalidDatetimeFormat            = "22007"
	InvalidTimeZoneDisplacementValue = "22009"
	DatetimeOverflow                 = "22008"
	NotNullViolation                 = "23502"
	FeatureNotSupported              = "0A000"
	ProtocolViolation                = "08P01"
	InvalidParameterValue            = "22023"
	NullValueNotAllowed              = "22004"
	UndefinedObject                  = "42704"
	InvalidSQLStatementName          = "26000"
	InvalidCursorName                = "34000"
	QueryCanceled                    = "57014"
	AdminShutdown                    = "57P01"
	InsufficientResources            = "53000"
	OutOfMemory                      = "53200"
	ProgramLimitExceeded             = "54000"
	InvalidAuthorization             = "28000"
	InvalidPassword                  = "28P01"
	InvalidCatalogName               = "3D000"
	InternalError                    = "XX000"
	IOError                          = "58030"
	CantChangeRuntimeParam           = "55P02"
	ActiveSQLTransaction             = "25001"
	InvalidTransactionState          = "25000"
	InvalidParameterType             = "42P18"
	WrongObjectType                  = "42809"
	CardinalityViolation             = "21000"
	InvalidSchemaName                = "3F000"
	WindowingError                   = "42P20"
	InvalidColumnReference           = "42P10"
	InFailedTransaction              = "25P02"
	DuplicatePStatement              = "42P05"
	DuplicateCursor                  = "42P03"
	ObjectNotInState                 = "55000"
	LockNotAvailable                 = "55P03"
	AmbiguousFunction                = "42725"
)

// Error is an error with a PostgreSQL SQLSTATE.
type Error struct {
	Severity string // "ERROR" when empty
	Code     string // SQLSTATE, e.g. "42601"
	Message  string
	Detail   string
	Hint     string
	// Where is the context the error arose in (PostgreSQL's CONTEXT line,
	// e.g. "COPY logs, line 3, column status: \"x\"").
	Where    string
	Position int32 // 1-based character offset into the query; 0 = none
	Err      error // optional cause
}

func (e *Error) Error() string { return e.Message }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an error with code and a formatted message.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithPosition returns e with a 1-based cursor position set.
func (e *Error) WithPosition(pos int32) *Error {
	e.Position = pos
	return e
}

// As extracts an *Error from err's chain. When err carries none it returns an
// internal error (XX000) with err's text, so callers always get a code.
func As(err error) *Error {
	if err == nil {
		return nil
	}
	var pe *Error
	if errors.As(err, &pe) {
		return pe
	}
	return &Error{Code: InternalError, Message: err.Error(), Err: err}
}

// Code returns err's SQLSTATE, XX000 when it carries none, "" for nil.
func Code(err error) string {
	if err == nil {
		return ""
	}
	return As(err).Code
}

package search

import (
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"openwit/internal/pgerror"
)

// A data exception a worker raises while running a fragment (SQLSTATE
// class 22: a cast of bad text, 22P02) travels as InvalidArgument with the
// SQLSTATE in front of the message, so that the coordinator's client
// reports the error a single process reports (design 073).
const sqlstatePrefix = "sqlstate "

// pgStatus is the status of a data exception, or nil.
func pgStatus(err error) error {
	pe := pgerror.As(err)
	if pe == nil || !strings.HasPrefix(pe.Code, "22") {
		return nil
	}
	return status.Error(codes.InvalidArgument, sqlstatePrefix+pe.Code+": "+pe.Message)
}

// pgFromStatus is the data exception a status carries, or nil.
func pgFromStatus(st *status.Status) error {
	if st.Code() != codes.InvalidArgument {
		return nil
	}
	msg, ok := strings.CutPrefix(st.Message(), sqlstatePrefix)
	if !ok || len(msg) < 7 || msg[5:7] != ": " {
		return nil
	}
	return pgerror.New(msg[:5], "%s", msg[7:])
}

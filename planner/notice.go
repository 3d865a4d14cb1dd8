package planner

import (
	"context"

	"openwit/internal/pgerror"
)

// Notices (NoticeResponse): the WARNINGs and NOTICEs PostgreSQL sends with
// a statement's result, such as "there is no transaction in progress" for
// a COMMIT outside a block or "table ... does not exist, skipping" for
// DROP TABLE IF EXISTS. Code that runs a statement raises them with
// notice(ctx, ...); Prepared.Execute collects them into the Rows, which
// the wire server sends before CommandComplete, filtered by the session's
// client_min_messages as PostgreSQL filters them.

// Severities of notices, and the SQLSTATEs of a plain NOTICE and WARNING.
const (
	severityWarning = "WARNING"
	severityNotice  = "NOTICE"
	codeSuccess     = "00000"
	codeWarning     = "01000"
)

type noticeKey struct{}

// noticeSink collects the notices of one statement.
type noticeSink struct{ list []*pgerror.Error }

// withNotices returns ctx carrying a new sink.
func withNotices(ctx context.Context) (context.Context, *noticeSink) {
	s := &noticeSink{}
	return context.WithValue(ctx, noticeKey{}, s), s
}

// notice raises a notice of severity sev with SQLSTATE code (successful
// completion "00000" for plain NOTICEs) on ctx's statement; nothing
// happens without a sink.
func notice(ctx context.Context, sev, code, format string, args ...any) {
	s, _ := ctx.Value(noticeKey{}).(*noticeSink)
	if s == nil {
		return
	}
	e := pgerror.New(code, format, args...)
	e.Severity = sev
	s.list = append(s.list, e)
}

// messageLevels ranks severities for client_min_messages, as PostgreSQL
// ranks them for the client (LOG below NOTICE).
var messageLevels = map[string]int{
	"debug5": 1, "debug4": 2, "debug3": 3, "debug2": 4, "debug1": 5, "debug": 5,
	"log": 6, "notice": 7, "warning": 8, "error": 9,
}

// sendable returns the notices of list the session's client_min_messages
// lets through.
func (s *Session) sendable(list []*pgerror.Error) []*pgerror.Error {
	if len(list) == 0 {
		return nil
	}
	min, ok := messageLevels[s.settings["client_min_messages"]]
	if !ok {
		min = messageLevels["notice"]
	}
	var out []*pgerror.Error
	for _, n := range list {
		lvl := messageLevels["notice"]
		if n.Severity == severityWarning {
			lvl = messageLevels["warning"]
		}
		if lvl >= min {
			out = append(out, n)
		}
	}
	return out
}

// Notices returns the notices the statement raised that the session's
// client_min_messages lets through, to be sent before its CommandComplete.
func (r *Rows) Notices() []*pgerror.Error {
	if r == nil {
		return nil
	}
	return r.notices
}

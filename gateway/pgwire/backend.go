package pgwire

import (
	"context"
	"net"

	"openwit/internal/pgerror"
)

// Backend is what the PostgreSQL wire server talks to: the planner and
// executor behind one session. The server owns the protocol (framing, formats,
// portals, error recovery); the backend owns SQL.
type Backend interface {
	// OpenSession starts a session for an authenticated client. params are the
	// startup parameters the client sent (user, database, application_name,
	// options, ...).
	OpenSession(ctx context.Context, params map[string]string) (Session, error)
}

// Session is one client's SQL session. A session is used by one connection
// goroutine at a time; it is not safe for concurrent use.
type Session interface {
	// Parse parses a query string into statements. The simple query protocol
	// may hold several statements; the extended protocol allows at most one
	// (the server reports 42601 otherwise). paramOIDs are the parameter types
	// the client declared (0 = unspecified); they may be shorter than the
	// number of parameters. An empty query yields no statements.
	Parse(ctx context.Context, query string, paramOIDs []uint32) ([]Statement, error)
	// Settings returns the session's current value of a GUC-style setting
	// (e.g. "TimeZone", "DateStyle") and whether it is known; the server uses
	// it to format values and to send ParameterStatus after SET.
	Setting(name string) (string, bool)
	// Close releases the session.
	Close() error
}

// QueryPart is one statement of a simple query string: its text and the
// number of characters before it (error positions are shifted by it).
type QueryPart struct {
	SQL string
	Pos int32
}

// QuerySplitter is implemented by sessions that can cut a simple query
// holding several statements into its statements (after checking the
// whole string's syntax). The server then parses and runs them one at a
// time, so a statement sees what the ones before it did (CREATE TABLE t;
// INSERT INTO t ...), as in PostgreSQL.
type QuerySplitter interface {
	SplitQuery(query string) ([]QueryPart, error)
}

// Transactional is implemented by sessions whose writes follow transaction
// blocks. The server tells them about what only the protocol knows: the
// statements of one simple query holding several of them, and the
// Executes up to a Sync outside a block, form one implicit transaction,
// and any error it reports (also those that never reached the session,
// such as bad COPY data) fails the block.
type Transactional interface {
	// BeginImplicit starts an implicit transaction (a no-op inside an
	// explicit block).
	BeginImplicit()
	// EndImplicit ends it: commit (when no statement failed) makes its
	// writes durable before it returns; otherwise they are dropped. The
	// server calls it before the last statement's CommandComplete of a
	// simple query, at Sync before ReadyForQuery, or after the error that
	// stopped a simple query.
	EndImplicit(ctx context.Context, commit bool) error
	// FailTransaction records that a statement failed.
	FailTransaction()
	// InTransaction reports whether an explicit block is still open
	// (after an error: a failed COMMIT ends the block).
	InTransaction() bool
}

// Column describes one result column as RowDescription reports it.
type Column struct {
	Name         string
	TableOID     uint32
	TableAttrNum uint16
	TypeOID      uint32
	TypeSize     int16
	TypeModifier int32
}

// Statement is one parsed statement, possibly with $n parameters.
type Statement interface {
	// ParamOIDs are the resolved parameter types ($1 is index 0). Parameters
	// whose type cannot be inferred are reported as text (25).
	ParamOIDs() []uint32
	// Columns describes the result rows; nil means the statement returns no
	// rows (NoData).
	Columns() []Column
	// Execute runs the statement with decoded parameter values (nil, bool,
	// int64, float64, string, []byte, time.Time; text-format parameters of
	// unresolved type arrive as string). The returned Rows must be closed.
	Execute(ctx context.Context, params []any) (Rows, error)
}

// Errors: backends return *pgerror.Error (possibly wrapped) so the server can
// send the right ErrorResponse fields; other errors are reported as XX000.

// Rows is the result of one execution.
type Rows interface {
	// Next returns the next row, or io.EOF at the end. Values are nil (NULL),
	// bool, int64, float64, string, []byte, time.Time, or a
	// fmt.Stringer/decimal (formatted with String()); the column's TypeOID
	// says how to encode them. The slice is valid until the next call.
	Next(ctx context.Context) ([]any, error)
	// Tag is the command tag sent in CommandComplete, valid after Next has
	// returned io.EOF ("SELECT n" is computed by the server when Tag returns
	// "" for a statement with Columns).
	Tag() string
	// Close releases resources; it is idempotent.
	Close() error
}

// Noticer is implemented by Rows whose statement raised WARNINGs or
// NOTICEs: the server sends them as NoticeResponse messages after the
// statement has executed, before its rows and CommandComplete. Severity
// and Code are PostgreSQL's.
type Noticer interface {
	Notices() []*pgerror.Error
}

type clientAddrKey struct{}

// ClientAddr returns the client's address in the context OpenSession is
// called with (nil elsewhere).
func ClientAddr(ctx context.Context) net.Addr {
	a, _ := ctx.Value(clientAddrKey{}).(net.Addr)
	return a
}

type serverAddrKey struct{}

// ServerAddr returns the server's end of the connection in the context
// OpenSession is called with (nil elsewhere).
func ServerAddr(ctx context.Context) net.Addr {
	a, _ := ctx.Value(serverAddrKey{}).(net.Addr)
	return a
}

// Notification is a NOTIFY delivered to a session that listens to its
// channel.
type Notification struct {
	PID     uint32 // the sending session's process id
	Channel string
	Payload string
}

// Notifier is implemented by sessions that receive LISTEN/NOTIFY
// notifications. The server sends what TakeNotifications returns as
// NotificationResponse messages when the session is outside a transaction
// block: before ReadyForQuery, and at once while the connection waits for
// the client (wake is called from any goroutine when a notification is
// queued).
type Notifier interface {
	SetNotifyWake(wake func())
	TakeNotifications() []Notification
}

// ProcessIDer is implemented by sessions that have their own process id
// (what pg_backend_pid() returns): the server reports it in BackendKeyData
// instead of its own connection counter, so that a client can tell its
// own notifications (and its row in pg_stat_activity) by the pid.
type ProcessIDer interface {
	ProcessID() uint32
}

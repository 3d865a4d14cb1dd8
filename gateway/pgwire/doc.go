// Package pgwire serves the PostgreSQL frontend/backend protocol, version
// 3.0, in front of a Backend (planner and executor). psql, pgx, pgjdbc,
// psycopg2 and node-postgres connect to it without special options.
//
// The server owns the protocol: framing, startup, the extended-query state
// machine (prepared statements, portals, row limits), value formats, error
// recovery, cancellation and shutdown. The Backend owns SQL: it parses query
// strings into Statements, which describe their parameters and result
// columns and execute into Rows.
//
// # Connections
//
// Serve runs one goroutine per accepted connection; a panic in it is
// recovered, logged, answered with FATAL XX000 and the connection closed.
// A panic inside any Backend, Session, Statement or Rows call is recovered
// at the call and becomes an ERROR XX000 for that statement; the protocol
// state stays consistent, so the connection keeps working.
//
// # Startup
//
// The first packet is a length-prefixed startup packet, 8 to 10000 bytes
// (anything else: FATAL 08P01 "invalid length of startup packet").
//
//   - SSLRequest is answered 'S' when Config.TLS is set: the TLS handshake
//     follows at once (TLS 1.2 at least) and every later byte, the
//     StartupMessage included, travels inside TLS. Bytes sent behind the
//     SSLRequest without waiting for 'S' go into the handshake and fail it
//     (the connection closes; plaintext is never taken as part of the
//     session). Without Config.TLS it is answered 'N' and the client goes
//     on in plain text. GSSENCRequest is always answered 'N'. Each may come
//     once, and neither after TLS is up (FATAL 08P01 "invalid encryption
//     negotiation request").
//   - Direct TLS (PostgreSQL 17's sslnegotiation=direct): with Config.TLS,
//     a connection whose first byte is a TLS handshake record (0x16; no
//     valid startup packet starts with it) gets the TLS handshake at once.
//     The client must negotiate the ALPN protocol "postgresql" (else FATAL
//     08P01, sent inside TLS); the server offers it on every handshake.
//   - CancelRequest (process id, 4-byte secret) is looked up among live
//     connections; on an exact match that connection's running statement is
//     cancelled. Nothing is sent back and the cancel connection is closed,
//     whether or not the key matched.
//   - StartupMessage: protocol major version 3 is required (else FATAL
//     08P01). A minor version above 0 or "_pq_." protocol options are
//     answered with NegotiateProtocolVersion (3.0, the options unrecognized)
//     and the connection proceeds in 3.0. "user" is required (28000);
//     "database" defaults to the user; "replication" is refused (0A000).
//
// With Config.TLSRequired a connection that did not negotiate TLS gets
// FATAL 28000 (PostgreSQL's hostssl). With Config.Trust the server then
// sends AuthenticationOk. Otherwise the client proves its user's password
// with SCRAM-SHA-256 (package auth) as PostgreSQL runs it:
// AuthenticationSASL offering SCRAM-SHA-256 (and first
// SCRAM-SHA-256-PLUS with tls-server-end-point channel binding when the
// connection has TLS and Config.TLS's certificate allows it),
// SASLInitialResponse, AuthenticationSASLContinue, SASLResponse,
// AuthenticationSASLFinal, then AuthenticationOk. A wrong password and an
// unknown user both get FATAL 28P01 "password authentication failed for
// user "<name>"", after a complete exchange (no user enumeration); a
// malformed SASL message or an unknown mechanism is FATAL 08P01; SASL
// messages are limited to 65535 bytes (54000). With no Users every
// connection is refused with 28000 "password authentication is not
// configured".
//
// The server then calls Backend.OpenSession with all startup parameters
// (an error is sent as FATAL with its SQLSTATE) and sends ParameterStatus
// for
// application_name, client_encoding (UTF8), DateStyle ("ISO, MDY"),
// default_transaction_read_only (off), in_hot_standby (off),
// integer_datetimes (on), IntervalStyle (postgres), is_superuser (on),
// server_encoding (UTF8), server_version (Config.ServerVersion),
// session_authorization (the user), standard_conforming_strings (on) and
// TimeZone (UTC): the session's Setting value wins where it has one. Then
// BackendKeyData (a per-server process id and a random 4-byte secret) and
// ReadyForQuery.
//
// # Messages after startup
//
// Query (simple protocol): Session.Parse splits the string into statements,
// each run in turn: RowDescription (text formats) when it has columns,
// DataRows, CommandComplete. The first error is sent as ErrorResponse and
// the remaining statements are skipped. No statements: EmptyQueryResponse.
// Always followed by ReadyForQuery. A Query also drops the unnamed
// statement and portal.
//
// Parse creates a prepared statement (named, or the unnamed one, which is
// replaced silently); re-using a name is 42P05, more than one statement is
// 42601. Parameter types the client declares in Parse are final, as in
// PostgreSQL: they replace the Statement's ParamOIDs at those positions
// (and add parameters when more are declared), and any type still 0 is
// reported as text (25). ParameterDescription and Bind decoding use the
// result. Bind creates a portal: the parameter count must match the
// statement's ParamOIDs, parameter and result format codes follow the
// 0/1/N rule (otherwise 08P01) and must be 0 or 1 (22023); a binary result
// for a type without a binary encoding is 42883; a named portal that exists
// is 42P03. Describe 'S' sends ParameterDescription then RowDescription (text
// formats) or NoData; Describe 'P' sends RowDescription with the portal's
// result formats or NoData. Execute runs a portal, sending at most MaxRows
// rows (0 = all) followed by CommandComplete, or PortalSuspended when the
// limit was reached (there is no look-ahead, as in PostgreSQL: a portal with
// exactly MaxRows rows left is suspended and the next Execute completes it
// with "SELECT 0"). A suspended portal keeps its Rows open for the next
// Execute. Close 'S'/'P' removes a statement or portal; a missing one is not
// an error. Flush writes buffered output. Sync ends the cycle with
// ReadyForQuery. Terminate closes the connection. CopyData, CopyDone and
// CopyFail are ignored outside COPY (as PostgreSQL does: they arrive after
// a COPY that failed); FunctionCall is answered 0A000 and ReadyForQuery.
//
// Portals live until Close, re-Bind of the same (unnamed) name, or the end
// of their transaction: outside a transaction block every Sync and every
// simple Query ends the implicit transaction and closes all portals; inside
// a block (after BEGIN) they survive Sync until COMMIT/ROLLBACK.
//
// Writes follow transactions for a session implementing Transactional
// (the planner's, design 059): outside a block, the Executes up to a Sync
// are one implicit transaction, committed (written and fsynced) at Sync
// before ReadyForQuery, or dropped when one of them failed; so are the
// statements of a simple Query holding several, committed before the last
// one's CommandComplete. A commit that fails is reported before
// ReadyForQuery.
//
// CommandComplete carries Rows.Tag(), or "SELECT n" (n = rows sent by that
// Execute) when the tag is empty and the statement has columns. A row with
// the wrong number of values, or any row for a statement without columns,
// fails the statement with XX000.
//
// Rows that implement RecordRows (the vectorized executor's results) are
// read as Arrow record batches when every result column has an Arrow type
// the server encodes: DataRows are then written straight from the
// batches' columns, with the same bytes the values of Next would give (the
// common pairs of Arrow type and result type in text format, and ints,
// float8 and text in binary, have direct encoders; the others go through
// the value Next would return). A batch whose column types differ from
// the announced schema fails the statement with XX000.
//
// RowDescription takes the statement's Columns as they are, except that a
// zero TypeSize is filled in from the type (-1 for variable-length types)
// and a zero TypeModifier is sent as -1 ("no modifier").
//
// # Error recovery
//
// An error while handling an extended-protocol message is sent as
// ErrorResponse and every following message is discarded until Sync, which
// is answered with ReadyForQuery. A Query message is also discarded in that
// state. Protocol violations that break framing (bad length, unknown
// message type, undecodable body, unexpected password message) are FATAL
// 08P01 and close the connection; a frame longer than Config.MaxMessageSize
// is FATAL 54000 and the connection closes before the body is read, so the
// declared size is never allocated.
//
// ErrorResponse carries severity (S and V), SQLSTATE (C), message (M) and,
// when set, detail (D), hint (H) and position (P). Backend errors are taken
// from *pgerror.Error in the error chain; other errors are XX000.
// WARNINGs and NOTICEs of a statement whose Rows implement Noticer go out as
// NoticeResponse (the same fields) after Execute returns, before its rows.
//
// # COPY
//
// A Statement that implements CopyStatement is a COPY; its Columns is nil,
// so Describe answers NoData and no RowDescription is sent, as in
// PostgreSQL. It runs in the simple and the extended protocol alike (at
// Execute); the backend parses the statement and its options into a
// CopySpec (format text, csv or binary; HEADER [MATCH]; DELIMITER, NULL,
// QUOTE, ESCAPE with PostgreSQL's defaults and checks).
//
// COPY ... FROM STDIN: BeginCopyFrom resolves the table and columns
// (42P01, 42703, 23502 for an unlisted NOT NULL column) before
// CopyInResponse (overall format 0, or 1 for binary, and that code per
// column). CopyData chunks of any size follow; only an incomplete row is
// kept between chunks (at most 256 MiB), complete rows are decoded and
// handed to the CopySink at once (unboxed, into one reused []copyval.Value,
// when the sink implements CopyValueSink). Flush and Sync are ignored during COPY;
// CopyFail fails it with 57014 "COPY from stdin failed: <message>"; any
// other message is 08P01. A CancelRequest ends it with 57014 "canceling
// statement due to user request" even while the server waits for data. At CopyDone the sink commits every row as one
// atomic write and CommandComplete says "COPY n". Any error ends the COPY at once
// with an ErrorResponse (and ReadyForQuery in the simple protocol, or
// skip-to-Sync in the extended one); the sink is aborted, nothing is
// written, and the CopyData still in flight is ignored by the message
// loop, so the connection keeps working.
//
//   - text: lines end in \n, \r\n or \r; the first line fixes the style,
//     and a different one later is 22P04 ("literal carriage return found in
//     data"). Fields are split on the delimiter; a field whose raw text
//     equals the NULL string (`\N`) is NULL; backslash escapes \b \f \n \r
//     \t \v, \ooo (octal), \xhh (hex) and \c (any other byte c, e.g. the
//     delimiter or a newline) are undone. `\.` followed by the end of a line
//     ends the data (what precedes it on the line is the last row, the rest
//     is ignored); `\.` followed by anything else is 22P04 "end-of-copy
//     marker corrupt".
//   - csv: fields are split on the delimiter outside quotes; quotes may open
//     anywhere in a field, newlines inside quotes belong to the value, and
//     inside quotes the escape byte (default: the quote) followed by the
//     quote or itself stands for that byte. An unquoted field equal to the
//     NULL string (default: empty) is NULL; a quoted one never is. A line
//     that is exactly `\.` ends the data. An unclosed quote at the end is
//     22P04 "unterminated CSV quoted field".
//   - binary: the 11-byte PGCOPY signature, flags (OIDs refused), the header
//     extension, then per tuple an int16 field count (which must equal the
//     column count, else 22P04) and per field an int32 length (-1 NULL) and
//     the value in the type's binary send format; the trailer (count -1)
//     ends the data, and CopyData after it is 22P04.
//
// With HEADER the first line is skipped; HEADER MATCH checks it against the
// column names (22P04 on a different count or name). A row with more
// fields than columns is 22P04 "extra data after last expected column",
// with fewer 22P04 `missing data for column "c"`. Values are decoded by the
// column's type with the Bind parameter rules (see Values): bad input is
// 22P02, 22003, 22007 or 22008 (text) or 22P03 "incorrect binary data
// format" (binary), invalid UTF-8 22021. Errors carry PostgreSQL's context
// in the Where field (psql's CONTEXT line): `COPY t, line N, column c:
// "value"` for a value, `COPY t, line N: "line"` for the shape of a line.
// Lines are counted from 1, the header included; binary tuples likewise.
// Strings handed to CopySink.Append alias the input buffers: the sink
// copies what it keeps.
//
// COPY ... TO STDOUT: the statement executes like a query; the server
// sends CopyOutResponse, one CopyData per row, CopyDone and CommandComplete
// "COPY n". Text rows use the text output of each type (as in DataRow)
// with the backslash escapes above for control bytes, backslash and the
// delimiter, and the NULL string for NULL; csv quotes a value that contains
// the delimiter, the quote, \r or \n, equals the NULL string, or is `\.` in
// the first column (the quote and escape bytes inside are escaped); binary
// writes the signature header, the binary send format of each value and the
// trailer (a type without binary output is 42883). HEADER writes the column
// names first.
//
// # Transaction status
//
// The session runs the blocks (its writes are staged until COMMIT, design
// 059); the status byte in ReadyForQuery follows the tags. A
// CommandComplete tag of BEGIN or START TRANSACTION moves 'I' to 'T';
// COMMIT, ROLLBACK, END, ABORT or PREPARE TRANSACTION moves to 'I', except
// that a ROLLBACK (TO SAVEPOINT) after which a Transactional session is
// still in its block moves to 'T'; an error in 'T' moves to 'E', or to 'I'
// when it ended the block (a failed COMMIT). In 'E' only statements whose first keyword is
// ROLLBACK, COMMIT, END or ABORT run (others get 25P02 at Parse, Bind,
// Execute or Query), and a COMMIT there reports ROLLBACK.
//
// # Settings
//
// After a statement whose tag is SET, RESET, DISCARD, SELECT (set_config),
// COMMIT or ROLLBACK (the end of a block undoes SET LOCAL) the server reads
// the reported settings back through Session.Setting and sends
// ParameterStatus for each changed one; extra_float_digits is read back
// too (not reported): at 0 or less float4 and float8 text output has 6 or
// 15 plus it significant digits (%g-style), above 0 the shortest exact text.
// DISCARD ALL also drops the connection's prepared statements and portals. TimeZone also changes how timestamptz values are
// printed (IANA names, ISO offsets like "+05:30", POSIX "UTC+3"; unknown
// names fall back to UTC), and IntervalStyle how interval values are printed
// in text format: postgres ("1 day 02:00:00"), postgres_verbose
// ("@ 1 day 2 hours"), sql_standard ("1 2:00:00") or iso_8601 ("P1DT2H"),
// as PostgreSQL's EncodeInterval writes them (intervalstyle.go). Binary
// format does not depend on it.
//
// # Values
//
// Result values are encoded by their column's TypeOID in the format the
// client asked for. Backends may return nil (NULL), bool, any Go integer,
// float32/float64, string, []byte, time.Time, time.Duration, [16]byte,
// []string, fmt.Stringer (decimals) or driver.Valuer (including pgtype
// values); named types and pointers are reduced to these. A string in a
// column of another type is passed through as its text (and parsed for
// binary output).
//
//	type                      text                                       binary
//	bool 16                   t / f                                      1 byte
//	int2 21, int4 23, int8 20 decimal                                    big-endian
//	oid 26                    decimal                                    uint32
//	float4 700, float8 701    shortest round-trip digits, %e-style       IEEE 754
//	                          outside 1e-4 <= |x| < 1e6 (float4) or 1e15
//	                          (float8); NaN, Infinity, -Infinity
//	numeric 1700              String() / the string as is                base-10000 digits, normalized
//	text 25, varchar 1043,    the string                                 the string
//	name 19, bpchar 1042,
//	json 114
//	jsonb 3802                the string                                 version 1 + the string
//	bytea 17                  \x hex                                     raw bytes
//	date 1082                 2006-01-02                                 int32 days since 2000-01-01
//	timestamp 1114            2006-01-02 15:04:05.999999 (wall clock)    int64 µs since 2000-01-01
//	timestamptz 1184          same + offset in the session TimeZone:     int64 µs since 2000-01-01 UTC
//	                          -07, +05:30, +00:19:32
//	interval 1186             string as is; Duration as HH:MM:SS[.f]     µs, days, months
//	                          (other IntervalStyles: reformatted)
//	uuid 2950                 8-4-4-4-12 hex                             16 bytes
//	inet 869, cidr 650        the string (10.0.0.1, 10.0.0.0/8)          family (2 IPv4, 3 IPv6), bits,
//	                                                                     is_cidr, length, address
//	text[] 1009 (and varchar, {a,"b c"}                                  one-dimensional array
//	name, bpchar arrays)
//	bool, int, float, numeric, the array literal as is ({1,NULL,"b c"})   one-dimensional array,
//	date, timestamp[tz],                                                 elements in their binary
//	interval arrays (values                                              format, -1 for NULL
//	are their text form)
//
// Years before 1 print with a " BC" suffix; fractional seconds are rounded
// to microseconds. Other type OIDs are printed generically in text and
// encoded through pgx's pgtype in binary when it knows the OID.
//
// Bind parameters are decoded by the statement's parameter OID, from text
// or binary, into int64 (int2/int4/int8/oid, range-checked), float64
// (float4/float8), bool (PostgreSQL's spellings), string (text-like, json,
// jsonb, numeric, uuid and inet/cidr in canonical form, interval, and unknown types in
// text), []byte (bytea: hex or escape text format), time.Time in UTC (date,
// timestamp as wall clock, timestamptz; text without a zone is read in the
// session TimeZone) and, for one-dimensional arrays of those types (bool,
// integer, float, numeric, text-like, date, timestamp[tz], interval), the
// array literal as a string: text input as sent (braces checked here, the
// elements by the planner), binary input rendered as PostgreSQL prints it
// ({1,NULL,"b c"}; timestamptz elements in UTC). Unknown types in binary
// arrive as []byte. Bad input is 22P02/22003/22007/22008 (text) or 22P03
// (binary), and invalid UTF-8 is 22021.
//
// # Cancellation and shutdown
//
// Each portal executes under a context derived from the connection's; a
// matching CancelRequest cancels the running one, and the statement fails
// with 57014 "canceling statement due to user request" while the connection
// stays usable. A cancel that arrives while nothing runs does nothing.
//
// Shutdown closes the listeners, terminates idle sessions (waiting for a
// message after ReadyForQuery) with FATAL 57P01, lets running statements
// and unfinished pipelines reach ReadyForQuery and then terminates them the
// same way; new connections that still get through are refused with 57P03.
// When its context ends first, remaining statements are cancelled and their
// connections closed. Cancelling Serve's context stops everything at once:
// statements are cancelled and every session gets FATAL 57P01.
//
// # Limits
//
//   - Startup packet: 10000 bytes; time from accepting the connection to
//     the end of authentication (TLS handshake and SCRAM included): one
//     minute.
//   - Frontend message body: Config.MaxMessageSize (default 64 MiB).
//   - Parameters per statement: 65535; result columns: 1664.
//   - Output is buffered and written at ReadyForQuery, at Flush, and every
//     64 KiB while rows stream, so large results are not accumulated.
//
// # Metrics
//
//   - openwit_pgwire_connections: open connections (gauge).
//   - openwit_pgwire_auth_failures_total{reason="password|tls_handshake|no_tls"}:
//     connections refused during startup for a wrong password or unknown
//     user, a failed TLS handshake, or no TLS where it is required.
//   - openwit_pgwire_queries_total{result="ok|error"}: statements completed
//     or failed (parse, bind and execution errors count as error).
//   - openwit_pgwire_query_duration_seconds: execution time per statement,
//     summed over the Executes of a suspended portal (histogram).
package pgwire

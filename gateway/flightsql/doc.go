// Package flightsql serves OpenWit over Arrow Flight SQL (gRPC), on
// arrow-go's flightsql.BaseServer, for ADBC, JDBC and other Flight SQL
// clients. It is the second front door to the same planner the PostgreSQL
// gateway uses: same SQL dialect, same sessions, same errors (SQLSTATEs),
// with results and bulk loads as Arrow record batches.
//
// # What is supported
//
//   - CommandStatementQuery: GetFlightInfo plans the query and returns one
//     endpoint with no location (the client redeems the ticket on the same
//     connection) and the result schema; DoGet runs it and streams record
//     batches of at most Config.BatchRows rows (64Ki) or about
//     Config.BatchBytes (2 MiB), whichever comes first. A string of several
//     statements runs in order in one session and streams the last one's
//     rows. A statement without a result (DDL, INSERT, SET) runs during
//     GetFlightInfo, which then returns no endpoints and an empty schema.
//     GetSchema describes without running.
//   - Results straight from the executor: when the last statement's plan is
//     fully vectorized (planner.Prepared.ExecuteArrow: a vectorized filter,
//     aggregation or top-k, or a plain scan of one table, under at most a
//     projection that picks, reorders or renames columns and a constant
//     LIMIT) and no more than one parameter row is bound, DoGet streams the
//     executor's record batches as they are: no row conversion. Columns are
//     only relabelled where the advertised type differs without changing
//     values (a timestamp's zone, a decimal's precision) and dictionary
//     strings are decoded; batches are cut to the limits above. The schema
//     is the one GetFlightInfo returned, and the values are those of the
//     row path (TestArrowStreamMatchesRows). A plain scan over several files
//     returns rows in arrival order (the row path reads files in snapshot
//     order; neither order is promised without ORDER BY). Other plans, jsonb
//     columns (the row path renders JSON text) and several bound parameter
//     rows take the row path (SET openwit.vectorize = off forces it).
//     Metric openwit_flightsql_arrow_results_total counts the former.
//   - CancelFlightInfo, and the deprecated CancelQuery action (which
//     BaseServer routes to it): each statement ticket carries a random id;
//     the server keeps, per process, the running DoGet calls of each id and
//     cancels them (the stream ends with Canceled, SQLSTATE 57014, executor
//     work and distributed fragments stop with the query's context). The
//     id is remembered as cancelled for 10 minutes, so a DoGet started
//     afterwards fails the same way. The answer is CANCELLED for a
//     statement ticket, NOT_CANCELLABLE for a FlightInfo without endpoints
//     (the statement ran in GetFlightInfo), prepared statements and other
//     tickets. The registry is local: a ticket redeemed on another node
//     (the endpoints carry no location, so clients normally stay on one) is
//     not reached. Cancelling the DoGet call itself also stops the query.
//   - CommandStatementUpdate: DDL and DML; the record count is the sum of
//     the row counts of the statements' command tags ("INSERT 0 5" → 5;
//     CREATE/DROP → 0).
//   - Prepared statements: CreatePreparedStatement (one statement) returns
//     the dataset schema, the parameter schema (fields "$1", "$2", ... typed
//     from the planner's inferred parameter types) and the IsUpdate hint.
//     DoPut binds parameter rows and returns a new handle carrying them;
//     GetFlightInfo/DoGet on that handle run the query once per bound row
//     (results concatenated); DoPut of CommandPreparedStatementUpdate runs
//     DML once per row and sums the counts. ClosePreparedStatement checks
//     the handle and releases nothing (there is nothing to release).
//   - Metadata with the Flight SQL reference schemas (schema_ref):
//     GetCatalogs ("openwit"), GetDbSchemas ("public"), GetTables (catalog
//     tables; include_schema gives storage.ArrowSchema of each table with
//     ARROW:FLIGHT:SQL:* column metadata), GetTableTypes ("TABLE"),
//     GetPrimaryKeys, GetExportedKeys, GetImportedKeys and
//     GetCrossReference (no rows: tables have no keys), GetXdbcTypeInfo (the
//     column types of OpenWit tables) and GetSqlInfo (sqlinfo.go; unknown
//     ids are omitted rather than failing the call).
//   - CommandStatementIngest into an existing table, and plain Flight DoPut
//     of Arrow streams into a table (below).
//   - Handshake with Basic credentials returning a Bearer token (below).
//
// Every call runs in a fresh planner session as the caller's user (see
// Authentication) and closes it when done: SET lasts for the statements of
// one call (one ticket, one update string), not for the connection.
//
// Not supported (Unimplemented or a clear error): transactions and
// savepoints (every statement commits on its own; GetSqlInfo says
// SQL_SUPPORTED_TRANSACTION_NONE), Substrait plans, PollFlightInfo,
// session options, cancelling prepared statement tickets.
//
// # Result types
//
// Result columns map from PostgreSQL type OIDs: bool → Boolean, int2 →
// Int16, int4 → Int32, int8 → Int64, float4 → Float32, float8 → Float64,
// numeric → Decimal128(38, s) with s the scale the planner gives the column
// (planner.Prepared.NumericTypmods; values are rounded half away from zero
// to it), or Utf8 holding the exact decimal text when the planner cannot
// tell the scale or its type is wider than 38 digits (avg and division
// give decimal(65,30)), text/varchar/jsonb/interval → Utf8, timestamptz →
// Timestamp(µs, "UTC"), timestamp → Timestamp(µs), date → Date32, bytea →
// Binary. Every field is nullable and carries ARROW:FLIGHT:SQL:TYPE_NAME
// (PostgreSQL's format_type name) and, for decimals, PRECISION and SCALE.
// Parameters may be bound with any Arrow primitive, string, binary,
// temporal, decimal or dictionary type; numeric parameters are advertised
// as Utf8.
//
// # Tickets and handles
//
// The server keeps no per-client state: a statement ticket and a prepared
// statement handle carry everything needed to run the statement, so
// concurrent clients never share state, any node can redeem them and a
// restart does not invalidate them. Both use one layout:
//
//	byte 0     version, 1 (handleVersion); other versions are rejected
//	byte 1     kind: 'Q' statement query ticket, 'P' prepared statement
//	uvarint    length of the SQL, then the SQL (UTF-8)
//	'Q' only:  optionally 8 bytes, the statement id (little-endian, not 0)
//	           that CancelFlightInfo uses; GetFlightInfo always sets it
//	'P' only:  uvarint rows, uvarint columns, then rows×columns values
//
// Each value is a tag byte and its payload: 0 NULL, 1 false, 2 true,
// 3 int64 (zigzag varint), 4 float64 (8 bytes little-endian IEEE 754),
// 5 string and 6 bytes (uvarint length, bytes), 7 timestamp (zigzag
// varint Unix microseconds, UTC), 8 numeric (uvarint length, decimal
// text). A statement ticket is that handle inside Flight SQL's
// TicketStatementQuery; a prepared statement's ticket is its
// CommandPreparedStatementQuery. Handles are not signed: they only carry
// SQL the client could send directly, and run as the calling user.
//
// # Bulk ingest
//
// CommandStatementIngest (ADBC's adbc.ingest.target_table) appends to an
// existing table in the "openwit" catalog / "public" schema (or none
// named). A missing table is NotFound (SQLSTATE 42P01; OpenWit does not
// create tables from an ingest stream), ingest mode "create" on an existing
// table is AlreadyExists (42P07: use mode append), "replace", temporary
// tables and transactions are Unimplemented.
//
// Incoming columns are matched to table columns by name (exactly); a column
// the table lacks (42703), a type that does not convert to the column's
// without loss (42804) and a missing NOT NULL column (23502) are
// InvalidArgument before anything is written. Absent nullable columns are
// NULL. Conversions: any integer to int2/int4/int8 (narrowing checked per
// value), small integers and floats to float4/float8, integers and
// decimals to numeric (checked per value), utf8/large_utf8/utf8_view
// and dictionary-encoded strings to text/jsonb (jsonb must be valid JSON),
// binary variants to bytea, date64 to date, and timestamps of any unit and
// zone to timestamp/timestamptz (nanoseconds rounded to microseconds, as
// PostgreSQL rounds its input; zone labels are ignored, values are
// instants). Values outside the planner's ranges (timestamptz
// 0001-01-01 .. 9999-12-31 UTC, internal/pgtime) are rejected with 22008.
//
// Each incoming record batch is checked and converted as a whole, split by
// time shard (ingest.ShardOf on the table's time column) and appended with
// one Ingester.Append: one WAL record, like one INSERT statement. The
// stream is not held up by fsyncs: each batch is appended as it arrives
// while the WAL's group commit fsyncs the earlier ones, rows become
// visible to queries as soon as their record is durable, and the result
// (PutResult) is sent only after the last batch is fsynced, so an
// acknowledged row is always durable. The guarantee:
//
//   - a batch is all or nothing: a bad value anywhere in it rejects the
//     whole batch;
//   - when the call succeeds, every row was committed and the reported
//     count is the number of rows ingested;
//   - when the call fails (bad batch, broken stream, cancellation, server
//     shutdown), the batches before the failing one stay committed: the
//     call waits for their fsync before it returns the error; later
//     ones are not read.
//     The DoPutUpdateResult sent before the error (Flight SQL's protocol
//     sends it on failure too) carries the number of rows already
//     committed, so a client can tell how far it got; ADBC discards it.
//
// Bulk ingest is therefore not transactional, like ADBC's ingest into most
// backends, and like OpenWit's INSERT across statements: clients that need
// exactly-once loads must make their batches idempotent or restartable.
// When the node's ingest buffers or WAL are over their limits
// (--ingest-buffer-limit, --wal-size-limit) a batch is refused whole with
// ResourceExhausted (SQLSTATE 53000); the client retries it after a
// backoff.
// gRPC messages up to Config.MaxRecvMsgSize (256 MiB) are accepted; ADBC
// sends batches of about 10 MB.
//
// Plain Flight DoPut (no Flight SQL command) takes a FlightDescriptor of
// type PATH with one element, the table name, and loads the stream exactly
// like CommandStatementIngest in append mode (same checks, same errors:
// NotFound for an unknown table, InvalidArgument for a schema mismatch or
// a path of another length; same per-batch rule). A CMD descriptor is
// always a Flight SQL command: a table name there would be ambiguous with
// the serialized commands. The reply is one PutResult whose app metadata
// is a Flight SQL DoPutUpdateResult with the rows committed (sent on
// failure too, like CommandStatementIngest).
//
// # Authentication and TLS
//
// With Config.Trust (the loopback development default) no credentials are
// needed; a Handshake with Basic credentials still returns a token, whose
// user name becomes the session user, and a bad token is ignored.
// Otherwise a Handshake must carry "authorization: Basic
// base64(user:password)" for one of Config.Users (package auth, the users
// of the PostgreSQL gateway too): the password is checked against the
// user's SCRAM-SHA-256 verifier by deriving the keys with its salt and
// iteration count and comparing in constant time. A wrong password and an
// unknown user both get Unauthenticated "password authentication failed
// for user ... (SQLSTATE 28P01)" after the same work; with no users,
// "password authentication is not configured" (28000). A successful
// Handshake returns "authorization: Bearer <token>" in the response header
// and trailer; every other call must send that header, and a missing,
// forged or expired token is Unauthenticated.
//
// Tokens are stateless (auth.go): base64url(expiry || user ||
// HMAC-SHA-256(key, expiry || user)), valid for Config.TokenTTL (24h).
// The key is Config.TokenKey (at least 32 bytes), so any gateway holding
// the same key verifies a token another issued; without it the key is
// random per process and a restart invalidates every token. Tokens cannot
// be revoked before they expire: removing a user stops new logins only.
//
// With Config.TLS the server speaks gRPC over TLS only (TLS 1.2 at least;
// clients use grpc+tls:// and the CA of the server certificate). Basic
// credentials and tokens travel in headers, so a deployment with passwords
// on a non-loopback address needs TLS.
//
// # Errors
//
// Errors are gRPC statuses whose message is "ERROR: <message> (SQLSTATE
// xxxxx)", the code chosen by SQLSTATE: 42P01, 3D000, 3F000 → NotFound;
// 42P07 → AlreadyExists; other 42xxx, 22xxx, 23xxx, 08P01, 26000 →
// InvalidArgument; 0A000 → Unimplemented; 53xxx, 54xxx →
// ResourceExhausted; 57014 → Canceled; 57P01 → Unavailable; 28xxx →
// Unauthenticated; 25xxx, 55xxx → FailedPrecondition; anything else →
// Internal. A failed call leaves the connection usable.
package flightsql

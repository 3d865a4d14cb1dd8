package flightsql

import (
	"context"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/arrow/flight/flightsql"
	pb "github.com/apache/arrow-go/v18/arrow/flight/gen/flight"

	"openwit/version"
)

// ServerName is reported as FLIGHT_SQL_SERVER_NAME.
const ServerName = "OpenWit"

// bits builds an int32 bitmask from enum values (bit 1<<value each), the
// encoding Flight SQL uses for SqlInfo bitmasks.
func bits[E ~int32](vals ...E) int32 {
	var m int32
	for _, v := range vals {
		m |= 1 << v
	}
	return m
}

// sqlInfo returns what GetSqlInfo reports. Types follow the Flight SQL
// specification of each id: string, bool, int64 (lengths and limits),
// int32 (ordinals and bitmasks), []string, map[int32][]int32. A length of 0
// means "no limit or unknown".
func sqlInfo() map[flightsql.SqlInfo]any {
	convertTo := func(to ...pb.SqlSupportsConvert) []int32 {
		out := make([]int32, len(to))
		for i, t := range to {
			out[i] = int32(t)
		}
		return out
	}
	numbers := convertTo(pb.SqlSupportsConvert_SQL_CONVERT_BIGINT, pb.SqlSupportsConvert_SQL_CONVERT_INTEGER,
		pb.SqlSupportsConvert_SQL_CONVERT_SMALLINT, pb.SqlSupportsConvert_SQL_CONVERT_REAL, pb.SqlSupportsConvert_SQL_CONVERT_FLOAT,
		pb.SqlSupportsConvert_SQL_CONVERT_NUMERIC, pb.SqlSupportsConvert_SQL_CONVERT_DECIMAL, pb.SqlSupportsConvert_SQL_CONVERT_VARCHAR,
		pb.SqlSupportsConvert_SQL_CONVERT_LONGVARCHAR)
	texts := convertTo(pb.SqlSupportsConvert_SQL_CONVERT_BIGINT, pb.SqlSupportsConvert_SQL_CONVERT_INTEGER,
		pb.SqlSupportsConvert_SQL_CONVERT_SMALLINT, pb.SqlSupportsConvert_SQL_CONVERT_REAL, pb.SqlSupportsConvert_SQL_CONVERT_FLOAT,
		pb.SqlSupportsConvert_SQL_CONVERT_NUMERIC, pb.SqlSupportsConvert_SQL_CONVERT_DECIMAL, pb.SqlSupportsConvert_SQL_CONVERT_VARCHAR,
		pb.SqlSupportsConvert_SQL_CONVERT_LONGVARCHAR, pb.SqlSupportsConvert_SQL_CONVERT_DATE, pb.SqlSupportsConvert_SQL_CONVERT_TIMESTAMP)
	times := convertTo(pb.SqlSupportsConvert_SQL_CONVERT_DATE, pb.SqlSupportsConvert_SQL_CONVERT_TIMESTAMP,
		pb.SqlSupportsConvert_SQL_CONVERT_VARCHAR, pb.SqlSupportsConvert_SQL_CONVERT_LONGVARCHAR)
	convert := map[int32][]int32{}
	for _, from := range []pb.SqlSupportsConvert{pb.SqlSupportsConvert_SQL_CONVERT_BIGINT, pb.SqlSupportsConvert_SQL_CONVERT_INTEGER,
		pb.SqlSupportsConvert_SQL_CONVERT_SMALLINT, pb.SqlSupportsConvert_SQL_CONVERT_REAL, pb.SqlSupportsConvert_SQL_CONVERT_FLOAT,
		pb.SqlSupportsConvert_SQL_CONVERT_NUMERIC, pb.SqlSupportsConvert_SQL_CONVERT_DECIMAL} {
		convert[int32(from)] = numbers
	}
	convert[int32(pb.SqlSupportsConvert_SQL_CONVERT_VARCHAR)] = texts
	convert[int32(pb.SqlSupportsConvert_SQL_CONVERT_LONGVARCHAR)] = texts
	convert[int32(pb.SqlSupportsConvert_SQL_CONVERT_DATE)] = times
	convert[int32(pb.SqlSupportsConvert_SQL_CONVERT_TIMESTAMP)] = times

	return map[flightsql.SqlInfo]any{
		// Server.
		flightsql.SqlInfoFlightSqlServerName:                        ServerName,
		flightsql.SqlInfoFlightSqlServerVersion:                     version.Version,
		flightsql.SqlInfoFlightSqlServerArrowVersion:                arrow.PkgVersion,
		flightsql.SqlInfoFlightSqlServerReadOnly:                    false,
		flightsql.SqlInfoFlightSqlServerSql:                         true,
		flightsql.SqlInfoFlightSqlServerSubstrait:                   false,
		flightsql.SqlInfoFlightSqlServerTransaction:                 int32(flightsql.SqlTransactionNone),
		flightsql.SqlInfoFlightSqlServerCancel:                      true, // CancelFlightInfo (cancel.go)
		flightsql.SqlInfoFlightSqlServerBulkIngestion:               true,
		flightsql.SqlInfoFlightSqlServerIngestTransactionsSupported: false,
		flightsql.SqlInfoFlightSqlServerStatementTimeout:            int32(0),
		flightsql.SqlInfoFlightSqlServerTransactionTimeout:          int32(0),

		// SQL language.
		flightsql.SqlInfoDDLCatalog:                             false,
		flightsql.SqlInfoDDLSchema:                              false,
		flightsql.SqlInfoDDLTable:                               true,
		flightsql.SqlInfoIdentifierCase:                         int32(flightsql.SqlCaseSensitivityLowerCase),
		flightsql.SqlInfoIdentifierQuoteChar:                    `"`,
		flightsql.SqlInfoQuotedIdentifierCase:                   int32(flightsql.SqlCaseSensitivityUnknown),
		flightsql.SqlInfoAllTablesAreASelectable:                true,
		flightsql.SqlInfoNullOrdering:                           int32(flightsql.SqlNullOrderingSortHigh),
		flightsql.SqlInfoKeywords:                               keywords,
		flightsql.SqlInfoNumericFunctions:                       numericFunctions,
		flightsql.SqlInfoStringFunctions:                        stringFunctions,
		flightsql.SqlInfoSystemFunctions:                        systemFunctions,
		flightsql.SqlInfoDateTimeFunctions:                      datetimeFunctions,
		flightsql.SqlInfoSearchStringEscape:                     `\`,
		flightsql.SqlInfoExtraNameChars:                         "",
		flightsql.SqlInfoSupportsColumnAliasing:                 true,
		flightsql.SqlInfoNullPlusNullIsNull:                     true,
		flightsql.SqlInfoSupportsConvert:                        convert,
		flightsql.SqlInfoSupportsTableCorrelationNames:          true,
		flightsql.SqlInfoSupportsDifferentTableCorrelationNames: false,
		flightsql.SqlInfoSupportsExpressionsInOrderBy:           true,
		flightsql.SqlInfoSupportsOrderByUnrelated:               true,
		flightsql.SqlInfoSupportedGroupBy: bits(pb.SqlSupportedGroupBy_SQL_GROUP_BY_UNRELATED,
			pb.SqlSupportedGroupBy_SQL_GROUP_BY_BEYOND_SELECT),
		flightsql.SqlInfoSupportsLikeEscapeClause:   false,
		flightsql.SqlInfoSupportsNonNullableColumns: true,
		flightsql.SqlInfoSupportedGrammar: bits(pb.SupportedSqlGrammar_SQL_MINIMUM_GRAMMAR,
			pb.SupportedSqlGrammar_SQL_CORE_GRAMMAR),
		flightsql.SqlInfoANSI92SupportedLevel:                 bits(pb.SupportedAnsi92SqlGrammarLevel_ANSI92_ENTRY_SQL),
		flightsql.SqlInfoSupportsIntegrityEnhancementFacility: false,
		flightsql.SqlInfoOuterJoinsSupportLevel:               int32(pb.SqlOuterJoinsSupportLevel_SQL_FULL_OUTER_JOINS),
		flightsql.SqlInfoSchemaTerm:                           "schema",
		flightsql.SqlInfoProcedureTerm:                        "function",
		flightsql.SqlInfoCatalogTerm:                          "database",
		flightsql.SqlInfoCatalogAtStart:                       true,
		flightsql.SqlInfoSchemasSupportedActions:              int32(0),
		flightsql.SqlInfoCatalogsSupportedActions:             int32(0),
		flightsql.SqlInfoSupportedPositionedCommands:          int32(0),
		flightsql.SqlInfoSelectForUpdateSupported:             false,
		flightsql.SqlInfoStoredProceduresSupported:            false,
		flightsql.SqlInfoSupportedSubqueries: bits(pb.SqlSupportedSubqueries_SQL_SUBQUERIES_IN_COMPARISONS,
			pb.SqlSupportedSubqueries_SQL_SUBQUERIES_IN_EXISTS, pb.SqlSupportedSubqueries_SQL_SUBQUERIES_IN_INS),
		flightsql.SqlInfoCorrelatedSubqueriesSupported: true,
		flightsql.SqlInfoSupportedUnions:               bits(pb.SqlSupportedUnions_SQL_UNION, pb.SqlSupportedUnions_SQL_UNION_ALL),

		// Limits (PostgreSQL's where they apply; 0 = none).
		flightsql.SqlInfoMaxBinaryLiteralLen:     int64(0),
		flightsql.SqlInfoMaxCharLiteralLen:       int64(0),
		flightsql.SqlInfoMaxColumnNameLen:        int64(63),
		flightsql.SqlInfoMaxColumnsInGroupBy:     int64(0),
		flightsql.SqlInfoMaxColumnsInIndex:       int64(0),
		flightsql.SqlInfoMaxColumnsInOrderBy:     int64(0),
		flightsql.SqlInfoMaxColumnsInSelect:      int64(1664),
		flightsql.SqlInfoMaxColumnsInTable:       int64(1600),
		flightsql.SqlInfoMaxConnections:          int64(0),
		flightsql.SqlInfoMaxCursorNameLen:        int64(63),
		flightsql.SqlInfoMaxIndexLen:             int64(0),
		flightsql.SqlInfoDBSchemaNameLen:         int64(63),
		flightsql.SqlInfoMaxProcedureNameLen:     int64(63),
		flightsql.SqlInfoMaxCatalogNameLen:       int64(63),
		flightsql.SqlInfoMaxRowSize:              int64(0),
		flightsql.SqlInfoMaxRowSizeIncludesBlobs: false,
		flightsql.SqlInfoMaxStatementLen:         int64(0),
		flightsql.SqlInfoMaxStatements:           int64(0),
		flightsql.SqlInfoMaxTableNameLen:         int64(63),
		flightsql.SqlInfoMaxTablesInSelect:       int64(0),
		flightsql.SqlInfoMaxUsernameLen:          int64(63),

		// Transactions: none; every statement commits on its own.
		flightsql.SqlInfoDefaultTransactionIsolation: int32(pb.SqlTransactionIsolationLevel_SQL_TRANSACTION_NONE),
		flightsql.SqlInfoTransactionsSupported:       false,
		flightsql.SqlInfoSupportedTransactionsIsolationlevels: bits(
			pb.SqlTransactionIsolationLevel_SQL_TRANSACTION_NONE),
		flightsql.SqlInfoDataDefinitionCausesTransactionCommit: false,
		flightsql.SqlInfoDataDefinitionsInTransactionsIgnored:  false,

		// Result sets: forward-only, read-only.
		flightsql.SqlInfoSupportedResultSetTypes: bits(pb.SqlSupportedResultSetType_SQL_RESULT_SET_TYPE_FORWARD_ONLY),
		flightsql.SqlInfoSupportedConcurrenciesForResultSetUnspecified: bits(
			pb.SqlSupportedResultSetConcurrency_SQL_RESULT_SET_CONCURRENCY_READ_ONLY),
		flightsql.SqlInfoSupportedConcurrenciesForResultSetForwardOnly: bits(
			pb.SqlSupportedResultSetConcurrency_SQL_RESULT_SET_CONCURRENCY_READ_ONLY),
		flightsql.SqlInfoSupportedConcurrenciesForResultSetScrollSensitive:   int32(0),
		flightsql.SqlInfoSupportedConcurrenciesForResultSetScrollInsensitive: int32(0),
		flightsql.SqlInfoBatchUpdatesSupported:                               true,
		flightsql.SqlInfoSavePointsSupported:                                 false,
		flightsql.SqlInfoNamedParametersSupported:                            false,
		flightsql.SqlInfoLocatorsUpdateCopy:                                  false,
		flightsql.SqlInfoStoredFunctionsUsingCallSyntaxSupported:             false,
	}
}

// registerSqlInfo registers sqlInfo with BaseServer, whose handlers build
// the dense-union result.
func (s *Server) registerSqlInfo() error {
	for id, v := range sqlInfo() {
		if err := s.RegisterSqlInfo(id, v); err != nil {
			return err
		}
		s.sqlInfo[uint32(id)] = true
	}
	return nil
}

// infoIDs is a GetSqlInfo command with the ids to return.
type infoIDs []uint32

func (i infoIDs) GetInfo() []uint32 { return i }

// DoGetSqlInfo returns the requested entries this server knows, in the
// order asked, or every entry ordered by id when none is named. Unknown ids
// are left out, as the Flight SQL specification allows, rather than failing
// the whole call (BaseServer answers NotFound) and with it clients that ask
// for entries of newer specification versions.
func (s *Server) DoGetSqlInfo(ctx context.Context, cmd flightsql.GetSqlInfo) (*arrow.Schema, <-chan flight.StreamChunk, error) {
	var ids infoIDs
	for _, id := range cmd.GetInfo() {
		if s.sqlInfo[id] {
			ids = append(ids, id)
		}
	}
	if len(cmd.GetInfo()) == 0 {
		for id := range s.sqlInfo {
			ids = append(ids, id)
		}
		slices.Sort(ids)
	}
	if len(ids) == 0 {
		return empty(sqlInfoSchema)()
	}
	return s.BaseServer.DoGetSqlInfo(ctx, ids)
}

package main

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// TestXid8MatchesPostgres (design 075): pg_current_xact_id()'s result
// column is xid8 (OID 5069) in RowDescription on PostgreSQL and OpenWit,
// and pgx reads it in the text (simple protocol) and binary (extended
// protocol) formats as the same positive number txid_current() gives.
func TestXid8MatchesPostgres(t *testing.T) {
	t.Parallel()
	pg := testpg.Start(t)
	ow := testserver.Start(t, testserver.Options{})
	for name, dsn := range map[string]string{"PostgreSQL": pg.CreateDB(t, "xid8"), "OpenWit": ow.DSN()} {
		conn := testserver.Connect(t, dsn)
		for _, mode := range []pgx.QueryExecMode{pgx.QueryExecModeSimpleProtocol, pgx.QueryExecModeCacheStatement} {
			rows, err := conn.Query(t.Context(), "SELECT pg_current_xact_id(), txid_current()", mode)
			if err != nil {
				t.Fatalf("%s %v: %v", name, mode, err)
			}
			if fd := rows.FieldDescriptions(); len(fd) != 2 || fd[0].DataTypeOID != 5069 || fd[1].DataTypeOID != 20 {
				t.Errorf("%s %v: result types %+v, want xid8 (5069), int8 (20)", name, mode, fd)
			}
			var x uint64
			var id int64
			for rows.Next() {
				if err := rows.Scan(&x, &id); err != nil {
					t.Fatalf("%s %v: scan: %v", name, mode, err)
				}
			}
			if err := rows.Err(); err != nil {
				t.Fatalf("%s %v: %v", name, mode, err)
			}
			if x == 0 || x != uint64(id) {
				t.Errorf("%s %v: pg_current_xact_id() = %d, txid_current() = %d", name, mode, x, id)
			}
		}
	}
}

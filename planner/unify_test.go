package planner_test

import (
	"context"
	"testing"

	"openwit/planner/pgtypes"
)

// TestUnifiedResultOIDs checks the column types a client is told
// (RowDescription) for set operations and VALUES lists: PostgreSQL's
// resolved types, not go-mysql-server's.
func TestUnifiedResultOIDs(t *testing.T) {
	h := newHarness(t)
	tests := []struct {
		sql  string
		want []uint32
	}{
		{"SELECT 1 AS x UNION ALL SELECT 2.5", []uint32{pgtypes.OIDNumeric}},
		{"SELECT x FROM (SELECT 1 AS x UNION ALL SELECT 2.5) t", []uint32{pgtypes.OIDNumeric}},
		{"SELECT 1 UNION SELECT 2.5::float8", []uint32{pgtypes.OIDFloat8}},
		{"SELECT 1 UNION SELECT 2", []uint32{pgtypes.OIDInt4}},
		{"SELECT 1, 'a' INTERSECT SELECT 10000000000, NULL", []uint32{pgtypes.OIDInt8, pgtypes.OIDText}},
		{"SELECT NULL UNION SELECT NULL", []uint32{pgtypes.OIDText}},
		{"SELECT NULL, 'x' UNION ALL SELECT 1, NULL", []uint32{pgtypes.OIDInt4, pgtypes.OIDText}},
		{"VALUES (1), (100000000000)", []uint32{pgtypes.OIDInt8}},
		{"SELECT * FROM (VALUES (1, 'a'), (2.5, NULL)) v(x, y)", []uint32{pgtypes.OIDNumeric, pgtypes.OIDText}},
		{"SELECT 1 EXCEPT (SELECT 2.5 UNION SELECT 3e0::float8)", []uint32{pgtypes.OIDFloat8}},
	}
	for _, tt := range tests {
		t.Run(tt.sql, func(t *testing.T) {
			stmts, err := h.s.Prepare(context.Background(), tt.sql, nil)
			if err != nil {
				t.Fatal(err)
			}
			cols := stmts[0].Columns()
			if len(cols) != len(tt.want) {
				t.Fatalf("%d columns, want %d", len(cols), len(tt.want))
			}
			for i, c := range cols {
				if c.TypeOID != tt.want[i] {
					t.Errorf("column %d (%s): OID %d, want %d", i, c.Name, c.TypeOID, tt.want[i])
				}
			}
		})
	}
}

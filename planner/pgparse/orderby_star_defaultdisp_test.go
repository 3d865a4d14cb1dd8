package pgparse

import (
	"errors"
	"testing"

	"openwit/internal/pgerror"
)

// TestOrderByPastStar: an ORDER BY position past the columns * expands to
// over joins, subqueries and VALUES is PostgreSQL's 42P10 with its
// message; positions inside, and FROM items whose width is not known
// here (a function), translate.
func TestOrderByPastStar(t *testing.T) {
	cols := func(table string) ([]string, bool) {
		switch table {
		case "a":
			return []string{"ts", "x", "y"}, true
		case "b":
			return []string{"ts", "x", "z"}, true
		}
		return nil, false
	}
	for _, tc := range []struct {
		q   string
		pos string // "" translates
	}{
		{"SELECT * FROM a JOIN b ON a.x = b.x ORDER BY 7", "7"},
		{"SELECT * FROM a JOIN b ON a.x = b.x ORDER BY 6", ""},
		{"SELECT * FROM a JOIN b USING (x) ORDER BY 6", "6"},
		{"SELECT * FROM a JOIN b USING (x) ORDER BY 5", ""},
		{"SELECT * FROM a NATURAL JOIN b ORDER BY 5", "5"},
		{"SELECT * FROM a NATURAL JOIN b ORDER BY 4", ""},
		{"SELECT *, 1 FROM a, b ORDER BY 8", "8"},
		{"SELECT * FROM (SELECT x, y FROM a) s ORDER BY 3", "3"},
		{"SELECT * FROM (SELECT * FROM a) s ORDER BY 4", "4"},
		{"SELECT * FROM (VALUES (1, 'a')) v ORDER BY 3", "3"},
		{"SELECT * FROM a, generate_series(1, 2) g ORDER BY 5", ""},
		{"SELECT a.* FROM a JOIN b ON a.x = b.x ORDER BY 5", ""},
	} {
		_, err := ParseWith(tc.q, cols)
		if tc.pos == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.q, err)
			}
			continue
		}
		var pe *pgerror.Error
		if !errors.As(err, &pe) || pe.Code != pgerror.InvalidColumnReference || pe.Message != "ORDER BY position "+tc.pos+" is not in select list" {
			t.Errorf("%s: %v, want 42P10 ORDER BY position %s is not in select list", tc.q, err, tc.pos)
		}
	}
}

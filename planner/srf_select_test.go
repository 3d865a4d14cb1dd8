package planner_test

import (
	"testing"

	"openwit/internal/pgerror"
)

// TestSelectListSRFUnsupported: the set-returning calls in a select list
// that are not rewritten into a LATERAL FROM item (srf_select.go in
// pgparse) are 0A000 naming the construct, not 42883 "function
// generate_series() does not exist". PostgreSQL runs them (zipped, or
// after aggregation), so they are not corpus records.
func TestSelectListSRFUnsupported(t *testing.T) {
	h := newHarness(t)
	for _, q := range []string{
		`SELECT generate_series(1, 2), generate_series(1, 3)`,
		`SELECT unnest(ARRAY[1, 2]), count(*)`,
		`SELECT DISTINCT generate_series(1, 3)`,
		`SELECT generate_series(1, 3), row_number() OVER ()`,
	} {
		if _, err := h.query(q); pgerror.Code(err) != pgerror.FeatureNotSupported {
			t.Errorf("%s: want 0A000, got %v", q, err)
		}
	}
	if got := h.mustQuery(`SELECT generate_series(1, 3)`); got == "" {
		t.Error("one generate_series call returned nothing")
	}
}

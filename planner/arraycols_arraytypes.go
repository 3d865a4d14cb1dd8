package planner

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/dolthub/go-mysql-server/sql"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
	"openwit/storage"
)

// Array columns of numeric(p,s), timestamp, timestamptz and varchar(n)
// (docs/design/083). Their elements are stored as the scalar columns of
// the element type store them (Decimal128 at the column's scale,
// microsecond timestamps in UTC, strings), so the element readers and
// writers are the scalar ones; what is new is the per-element typmod
// check on the way in and the element output on the way out.

// elemInputTypmod reads one element s of an array column whose element
// type elem carries a length: varchar(n) takes PostgreSQL's assignment
// rule (22001 for a longer value unless only blanks are past n). ok is
// false for other element types.
func elemInputTypmod(elem, s string) (any, bool, error) {
	base, n, ok := storage.CharLength(elem)
	if !ok || n == 0 || base != storage.TypeVarchar {
		return nil, false, nil
	}
	out, err := storage.FitChar(elem, s)
	if err != nil {
		if errors.Is(err, storage.ErrValueTooLong) {
			return nil, true, pgerror.New(pgerror.StringDataRightTruncation, "%s", err.Error())
		}
		return nil, true, err
	}
	return out, true, nil
}

// arrayElemTypeMore is arrayElemType for the element types of design 083:
// Decimal128 (numeric(p,s)) and timestamps.
func arrayElemTypeMore(et arrow.DataType) (string, bool) {
	switch t := et.(type) {
	case *arrow.Decimal128Type:
		return fmt.Sprintf("numeric(%d,%d)", t.Precision, t.Scale), true
	case *arrow.TimestampType:
		if t.TimeZone != "" {
			return storage.TypeTimestampTZ, true
		}
		return storage.TypeTimestamp, true
	}
	return "", false
}

// listElemText formats element j of vals, a list's values of a design 083
// element type, as its text output: numeric at the column's scale (the
// significant digits for unconstrained numeric), timestamps as
// PostgreSQL's ISO output, timestamptz in the session's TimeZone.
func listElemText(ctx *sql.Context, vals arrow.Array, j int) (string, error) {
	var oid uint32
	switch t := vals.DataType().(type) {
	case *arrow.Decimal128Type:
		oid = pgtypes.OIDNumeric
	case *arrow.TimestampType:
		oid = pgtypes.OIDTimestamp
		if t.TimeZone != "" {
			oid = pgtypes.OIDTimestampTZ
		}
	default:
		return "", fmt.Errorf("unsupported array element type %s", vals.DataType())
	}
	v, err := arrowValue(ctx, vals, j, nil)
	if err != nil {
		return "", err
	}
	return pgexpr.TextOf(ctx, v, oid)
}

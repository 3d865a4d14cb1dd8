package planner

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/dolthub/go-mysql-server/sql"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
	"openwit/planner/pgexpr"
	"openwit/planner/pgtypes"
	"openwit/storage"
	"openwit/storage/catalog"
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

// fitArray is the assignment of an array value to array column c in an
// UPDATE (docs/design/083): the elements are read with the session's
// TimeZone and the element type's typmod (22001 for a varchar(n) element
// past n, 22003 for a numeric(p,s) one too large) and v is returned as the
// text form of what will be stored, timestamptz elements with their
// offset, so that storing it later without a session changes nothing.
// Values of other columns, and NULL, pass unchanged.
func fitArray(ctx *sql.Context, c catalog.Column, v any) (any, error) {
	elem, ok := storage.ArrayElem(c.Type)
	if !ok || v == nil {
		return v, nil
	}
	els, err := parseArrayInput(ctx, elem, v)
	if err != nil {
		return nil, err
	}
	et, err := pgtypes.GMSType(elem)
	if err != nil {
		return nil, err
	}
	oid, _ := pgtypes.OID(et)
	// timestamptz elements print in the session's TimeZone with their
	// offset, as RETURNING shows them; the rest without the session, so
	// floats keep their shortest exact form whatever extra_float_digits.
	var out *sql.Context
	if oid == pgtypes.OIDTimestampTZ {
		out = ctx
	}
	texts := make([]*string, len(els))
	for i, x := range els {
		if x == nil {
			continue
		}
		s, err := pgexpr.TextOf(out, x, oid)
		if err != nil {
			return nil, err
		}
		texts[i] = &s
	}
	return pgtypes.FormatArrayText(texts), nil
}

// fastNumericElem is fastElem for numeric(p,s) elements: a plain decimal
// rounded to the scale as pgexpr.CastValue rounds it. ok is false for
// anything else (NaN, Infinity, bad input, a value too large for p), which
// CastValue reads with its errors. Without it COPY of numeric[] spent ~50
// times float8[]'s time in the cast machinery (design 083).
func fastNumericElem(elem, s string) (any, bool) {
	p, sc, ok := storage.NumericPrecisionScale(elem)
	if !ok || s == "" {
		return nil, false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && c != '.' && c != '-' && c != '+' {
			return nil, false // exponents, NaN, Infinity, spaces: CastValue
		}
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return nil, false
	}
	if p != storage.DefaultNumericPrecision || sc != storage.DefaultNumericScale || -d.Exponent() > int32(sc) {
		d = d.Round(int32(sc))
	}
	if d.Abs().GreaterThanOrEqual(decimal.New(1, int32(p-sc))) {
		return nil, false // numeric field overflow: CastValue says so
	}
	return d, true
}

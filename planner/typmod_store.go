package planner

import (
	"errors"

	"openwit/internal/pgerror"
	"openwit/storage"
	"openwit/storage/catalog"
)

// fitChar applies PostgreSQL's assignment rule of column c's varchar(n) or
// char(n) type to a value about to be stored (storage.FitChar): over-long
// values are 22001 unless only blanks are past n. Values of other columns
// and non-strings pass unchanged.
func fitChar(c catalog.Column, v any) (any, error) {
	if storage.IsNormalized(c.Type) {
		return fitUUIDInet(c, v)
	}
	s, ok := v.(string)
	if !ok {
		return v, nil
	}
	out, err := storage.FitChar(c.Type, s)
	if err != nil {
		if errors.Is(err, storage.ErrValueTooLong) {
			return nil, pgerror.New(pgerror.StringDataRightTruncation, "%s", err.Error())
		}
		return nil, err
	}
	return out, nil
}

// hasCharLimit reports whether any column of t is varchar(n) or char(n),
// or of a type whose values are stored in a canonical form (uuid, inet,
// cidr: fitUUIDInet).
func hasCharLimit(t *catalog.Table) bool {
	for _, c := range t.Columns {
		if _, n, ok := storage.CharLength(c.Type); (ok && n > 0) || storage.IsNormalized(c.Type) {
			return true
		}
	}
	return false
}

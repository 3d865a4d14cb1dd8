package pgwire

import (
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"openwit/internal/pgtime"
)

// infinityText reads PostgreSQL's output of an infinite date or timestamp
// ("infinity", "-infinity"), which the text forms of date[], timestamp[]
// and timestamptz[] array values hold, as the time OpenWit stands it for;
// ok is false for every other text.
func infinityText(s string) (time.Time, bool) {
	switch strings.TrimSpace(s) {
	case "infinity":
		return pgtime.PosInfinity, true
	case "-infinity":
		return pgtime.NegInfinity, true
	}
	return time.Time{}, false
}

// infinityModifierText is the text of an infinite element pgx decodes from
// a binary date or timestamp array (COPY FROM binary, parameters): ""
// for a finite one.
func infinityModifierText(m pgtype.InfinityModifier) string {
	switch m {
	case pgtype.Infinity:
		return "infinity"
	case pgtype.NegativeInfinity:
		return "-infinity"
	}
	return ""
}

package planner

import (
	"fmt"

	"openwit/planner/pgtypes"
)

// charFormatType is format_type for varchar (1043) and bpchar (1042): the
// length from the type modifier (n + 4) when there is one.
func charFormatType(oid uint32, typmod int64) string {
	n := typmod - 4
	switch {
	case oid == pgtypes.OIDVarchar && typmod >= 4:
		return fmt.Sprintf("character varying(%d)", n)
	case oid == pgtypes.OIDVarchar:
		return "character varying"
	case typmod >= 4:
		return fmt.Sprintf("character(%d)", n)
	}
	return "bpchar"
}

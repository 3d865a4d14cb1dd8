package kafka

import (
	"fmt"

	"openwit/storage"
)

// convertUUIDInet converts one JSON value for a uuid, inet or cidr column:
// a JSON string in any spelling PostgreSQL accepts, stored in the
// canonical text form (storage.FitValue); bad input or another JSON kind
// is an error (the record is a dead letter).
func convertUUIDInet(f *field, typ string) (value, error) {
	if f.kind == kindNull {
		return value{null: true}, nil
	}
	if f.kind != kindString {
		return value{}, fmt.Errorf("a JSON %s cannot be stored in a %s column", f.kind, typ)
	}
	s, err := storage.FitValue(typ, string(f.str))
	if err != nil {
		return value{}, err
	}
	return value{s: []byte(s)}, nil
}

package kafka

import "openwit/storage"

// convertChar converts one JSON value for a varchar(n) or char(n) column:
// as for text, then PostgreSQL's assignment rule (storage.FitChar): a
// value too long is an error (the record is a dead letter), blanks past n
// are cut and char(n) is blank-padded.
func convertChar(f *field, typ string) (value, error) {
	v, err := convertPlain(f, storage.TypeText)
	if err != nil || v.null {
		return v, err
	}
	s, err := storage.FitChar(typ, string(v.s))
	if err != nil {
		return value{}, err
	}
	return value{s: []byte(s)}, nil
}

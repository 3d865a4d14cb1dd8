package pgwire

import (
	"github.com/jackc/pgx/v5/pgtype"

	"openwit/internal/pgerror"
	"openwit/internal/pgnet"
)

// appendInetBinary appends the binary form of an inet or cidr result value
// (its text, as the planner normalizes it).
func appendInetBinary(buf []byte, oid uint32, v any) ([]byte, error) {
	s, ok := v.(string)
	if !ok {
		if st, isStringer := v.(interface{ String() string }); isStringer {
			s, ok = st.String(), true
		}
	}
	if !ok {
		return buf, errMismatch(v, oid)
	}
	a, err := pgnet.ParseInet(s, oid == pgtype.CIDROID)
	if err != nil {
		return buf, errMismatch(v, oid)
	}
	return a.AppendBinary(buf), nil
}

// decodeInetText checks an inet or cidr parameter in text format and
// returns its canonical text.
func decodeInetText(oid uint32, s string) (any, error) {
	a, err := pgnet.ParseInet(s, oid == pgtype.CIDROID)
	if err != nil {
		return nil, pgerror.New(pgerror.InvalidTextRepr, "%s", err.Error())
	}
	return a.String(), nil
}

// decodeInetBinary reads an inet or cidr parameter in binary format as its
// canonical text.
func decodeInetBinary(oid uint32, data []byte) (any, error) {
	a, err := pgnet.ReadBinary(data, oid == pgtype.CIDROID)
	if err != nil {
		return nil, pgerror.New("22P03", "%s", err.Error())
	}
	return a.String(), nil
}

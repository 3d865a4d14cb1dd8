package pgtypes

import (
	"context"
	"fmt"
	"reflect"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/dolthub/vitess/go/sqltypes"
	"github.com/dolthub/vitess/go/vt/proto/query"

	"openwit/internal/pgerror"
	"openwit/storage"
)

// Type OIDs of uuid's neighbours: the network address types.
const (
	OIDInet = 869
	OIDCIDR = 650
)

// uuidType is the engine type of uuid: a Go string in the canonical
// lower-case 8-4-4-4-12 form (storage.FormatUUID), whose byte order is
// PostgreSQL's uuid order. It is text to go-mysql-server (types.IsText),
// so comparisons, sorting, grouping and the vectorized executor treat it
// as a string; it remembers that it is uuid for OIDs and catalogs.
type uuidType struct{ charType }

// UUIDType is the engine type of uuid values.
var UUIDType sql.Type = uuidType{charType{StringType: types.LongText, name: storage.TypeUUID}}

// IsUUID reports whether t is the uuid engine type.
func IsUUID(t sql.Type) bool { _, ok := t.(uuidType); return ok }

// Equals implements sql.Type.
func (uuidType) Equals(o sql.Type) bool { _, ok := o.(uuidType); return ok }

// String implements sql.Type.
func (uuidType) String() string { return "uuid" }

// inetType is the engine type of inet and cidr: storage.Inet values,
// compared with PostgreSQL's network order. inet and cidr are Equal to
// each other (PostgreSQL compares a cidr with an inet as inet).
type inetType struct{ cidr bool }

// InetType and CIDRType are the engine types of inet and cidr values.
var (
	InetType sql.Type = inetType{}
	CIDRType sql.Type = inetType{cidr: true}
)

// IsInet reports whether t is the inet or the cidr engine type, and which.
func IsInet(t sql.Type) (isInet, cidr bool) {
	it, ok := t.(inetType)
	return ok, it.cidr
}

func (inetType) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_binary, 5
}

// Compare implements sql.Type: PostgreSQL's network_cmp.
func (t inetType) Compare(_ context.Context, a, b any) (int, error) {
	x, ok1 := a.(storage.Inet)
	y, ok2 := b.(storage.Inet)
	if !ok1 || !ok2 {
		return 0, fmt.Errorf("cannot compare %T with %T", a, b)
	}
	c := x.Compare(y)
	switch {
	case c < 0:
		return -1, nil
	case c > 0:
		return 1, nil
	}
	return 0, nil
}

// Convert accepts storage.Inet values and their text (stored values are
// the canonical text; other input is read by the casts).
func (t inetType) Convert(_ context.Context, v any) (any, sql.ConvertInRange, error) {
	switch x := v.(type) {
	case nil:
		return nil, sql.InRange, nil
	case storage.Inet:
		if t.cidr && !x.CIDR {
			x = x.Masked()
			x.CIDR = true
		}
		return x, sql.InRange, nil
	case string:
		a, err := storage.ParseInet(x, t.cidr)
		if err != nil {
			return nil, sql.OutOfRange, pgerror.New(pgerror.InvalidTextRepr, "%s", err.Error())
		}
		return a, sql.InRange, nil
	}
	return nil, sql.OutOfRange, fmt.Errorf("cannot convert %T to %s", v, t)
}

func (t inetType) Equals(o sql.Type) bool                        { _, ok := o.(inetType); return ok }
func (t inetType) MaxTextResponseByteLength(*sql.Context) uint32 { return 64 }
func (t inetType) Promote() sql.Type                             { return t }
func (t inetType) SQL(_ *sql.Context, dest []byte, v any) (sqltypes.Value, error) {
	if v == nil {
		return sqltypes.NULL, nil
	}
	return sqltypes.MakeTrusted(sqltypes.Text, append(dest, fmt.Sprint(v)...)), nil
}

// Type is not one of go-mysql-server's text types: it would take the
// values for strings (IN lists hash text with a collation).
func (t inetType) Type() query.Type        { return sqltypes.Expression }
func (t inetType) ValueType() reflect.Type { return reflect.TypeOf(storage.Inet{}) }
func (t inetType) Zero() any               { return storage.Inet{} }
func (t inetType) String() string {
	if t.cidr {
		return "cidr"
	}
	return "inet"
}

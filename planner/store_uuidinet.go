package planner

import (
	"openwit/internal/pgerror"
	"openwit/storage"
	"openwit/storage/catalog"
)

// fitUUIDInet returns the stored form of a value for a uuid, inet or cidr
// column: its canonical text. Text is read with the type's input rules
// (22P02 for bad input, nothing stored); an inet value stored in a cidr
// column loses the bits past its mask.
func fitUUIDInet(c catalog.Column, v any) (any, error) {
	switch x := v.(type) {
	case nil:
		return nil, nil
	case storage.Inet:
		if c.Type == storage.TypeCIDR && !x.CIDR {
			x = x.Masked()
			x.CIDR = true
		} else if c.Type == storage.TypeInet {
			x.CIDR = false
		}
		if c.Type == storage.TypeUUID {
			return nil, pgerror.New(pgerror.DatatypeMismatch, "column %q is of type uuid but expression is of type inet", c.Name)
		}
		return x.String(), nil
	case []byte:
		v = string(x)
	}
	s, ok := v.(string)
	if !ok {
		return nil, pgerror.New(pgerror.DatatypeMismatch, "column %q is of type %s but expression is of type %T", c.Name, c.Type, v)
	}
	out, err := storage.FitValue(c.Type, s)
	if err != nil {
		return nil, pgerror.New(pgerror.InvalidTextRepr, "%s", err.Error())
	}
	return out, nil
}

package pgexpr

import (
	"errors"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
	"openwit/storage"
)

// castUUIDInet casts v (of type fromOID) to uuid, inet or cidr: text is
// read with PostgreSQL's input rules (22P02 otherwise), a uuid stays
// itself, inet → cidr clears the bits past the mask, cidr → inet keeps
// the value; anything else has no cast (42846).
func castUUIDInet(v any, fromOID uint32, to string) (any, error) {
	switch x := v.(type) {
	case string:
		if to == storage.TypeUUID {
			if fromOID == pgtypes.OIDUUID {
				return x, nil
			}
			s, err := storage.FitValue(to, x)
			if err != nil {
				return nil, inputError(err)
			}
			return s, nil
		}
		a, err := storage.ParseInet(x, to == storage.TypeCIDR)
		if err != nil {
			return nil, inputError(err)
		}
		return a, nil
	case storage.Inet:
		switch to {
		case storage.TypeCIDR:
			x = x.Masked()
			x.CIDR = true
			return x, nil
		case storage.TypeInet:
			x.CIDR = false
			return x, nil
		}
	}
	return nil, pgerror.New(CannotCoerce, "cannot cast type %s to %s", pgtypes.TypeName(fromOID), to)
}

// inputError maps a storage input error to 22P02.
func inputError(err error) error {
	if errors.Is(err, storage.ErrInvalidText) {
		return pgerror.New(pgerror.InvalidTextRepr, "%s", err.Error())
	}
	return err
}

// Package copyval is the unboxed form of one decoded COPY FROM field,
// shared by the protocol layer that decodes it (gateway/pgwire) and the
// sink that stores it (planner.CopyIn): a row is a reused []Value, so
// decoding a row allocates nothing and boxes no value in an interface.
//
// A Value is only valid during the call that receives it: S may alias the
// protocol's input buffers, so a sink copies what it keeps.
package copyval

import "time"

// Kind says which field of a Value holds the value.
type Kind uint8

// Kinds of values.
const (
	Null   Kind = iota // SQL NULL
	Int                // I
	Float              // F
	Bool               // I: 0 or 1
	String             // S (valid UTF-8; for bytea columns the raw bytes)
	Time               // T (date, timestamp, timestamptz)
	Other              // V: anything else, boxed as the Bind decoder returns it
)

// Value is one decoded field.
type Value struct {
	Kind Kind
	I    int64
	F    float64
	S    string
	T    time.Time
	V    any
}

// Of returns the Value of a boxed value as the Bind decoder returns it
// (nil, int64, float64, bool, string, time.Time, or anything else as
// Other).
func Of(v any) Value {
	switch x := v.(type) {
	case nil:
		return Value{}
	case int64:
		return Value{Kind: Int, I: x}
	case float64:
		return Value{Kind: Float, F: x}
	case bool:
		i := int64(0)
		if x {
			i = 1
		}
		return Value{Kind: Bool, I: i}
	case string:
		return Value{Kind: String, S: x}
	case time.Time:
		return Value{Kind: Time, T: x}
	}
	return Value{Kind: Other, V: v}
}

// Any returns the value boxed as the Bind decoder returns it (nil for
// NULL). Strings still alias what S aliases.
func (v *Value) Any() any {
	switch v.Kind {
	case Int:
		return v.I
	case Float:
		return v.F
	case Bool:
		return v.I != 0
	case String:
		return v.S
	case Time:
		return v.T
	case Other:
		return v.V
	}
	return nil
}

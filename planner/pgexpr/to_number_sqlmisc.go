package pgexpr

import (
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
)

// to_number(text, format) reads a number the way PostgreSQL 15's
// formatting.c reads one in the C locale (decimal point ".", thousands
// separator ",", currency symbol and signs one character each). The
// format is parsed as to_char's (parseNumFormat); then each element takes
// its part of the input, left to right:
//
//   - 9, 0, . and D take one character: a digit (digits after the format's
//     decimal places are dropped), the decimal point where the format has
//     one and none was read yet, otherwise nothing (the character is
//     skipped). A space before it is skipped first. Before the first digit
//     a sign (- or +, or < with PR; with S, S's sign) is read as well; with
//     S, a sign right after the last digit; with MI/PL/SG and no S, a sign
//     where a digit was expected after digits.
//   - , and G take the input character only when it is the separator, and
//     never in fill mode (FM); L takes one character, whatever it is; MI,
//     PL and SG take their sign (and set it), and one character that is
//     no digit, decimal point or other sign; any other format text
//     takes one character; FM, S, PR, B and V take none.
//
// Reading stops at the end of the input or of the format. The digits read
// make a numeric of the format's precision (its digits) and of the scale
// read, so a number with more integer digits than the format is 22003;
// no digit at all is 22P02. V divides by 10^(the digits after V); EEEE and
// RN cannot be read (0A000).

var toNumberFuncs = map[string]funcDef{
	"to_number": {args: []argKind{kText, kText}, result: func([]sql.Expression) sql.Type { return numericType }, eval: func(a []any, _ []sql.Type) (any, error) {
		return toNumber(a[0].(string), a[1].(string))
	}},
}

func toNumber(in, format string) (any, error) {
	if format == "" {
		return nil, nil
	}
	nodes, d, err := parseNumFormat(format)
	if err != nil {
		return nil, err
	}
	if d.eeee {
		return nil, pgerror.New(pgerror.FeatureNotSupported, `"EEEE" not supported for input`)
	}
	if d.roman {
		return nil, pgerror.New(pgerror.FeatureNotSupported, `"RN" not supported for input`)
	}
	r := numReader{in: in, d: &d, sign: ' '}
	for _, n := range nodes {
		if r.p >= len(r.in) {
			break
		}
		switch n.key {
		case nk9, nk0, nkDec:
			r.digit(n.key)
		case nkComma:
			if d.fill || r.in[r.p] != ',' {
				continue
			}
		case nkG:
			if d.fill || r.in[r.p] != ',' {
				continue
			}
		case nkL:
		case nkMI, nkPL, nkSG:
			c := r.in[r.p]
			switch {
			case c == '-' && n.key != nkPL, c == '+' && n.key != nkMI:
				r.sign = c
			case isDigit(c) || c == '.' || c == '-' || c == '+':
				continue // a sign that is not there leaves the number alone
			}
		case nkTH, nkth:
			if d.decimal || r.sign == '-' {
				continue
			}
			r.p++
		case nkChar:
			r.p += charLen(r.in[r.p:])
			continue
		default:
			continue
		}
		r.p++
	}
	num := r.num.String()
	if strings.HasSuffix(num, ".") {
		num = num[:len(num)-1]
	}
	text := string(r.sign) + num
	if num == "" {
		return nil, pgerror.New(pgerror.InvalidTextRepr, "invalid input syntax for type numeric: %q", text)
	}
	v, err := decimal.NewFromString(num)
	if err != nil {
		return nil, pgerror.New(pgerror.InvalidTextRepr, "invalid input syntax for type numeric: %q", text)
	}
	if r.sign == '-' {
		v = v.Neg()
	}
	scale := r.post
	precision := d.pre + d.multi + scale
	if precision == 0 {
		precision = scale
	}
	if !v.IsZero() && v.Abs().Cmp(decimal.New(1, int32(precision-scale))) >= 0 {
		return nil, &pgerror.Error{Code: pgerror.NumericOutOfRange, Message: "numeric field overflow",
			Detail: overflowDetail(precision, scale)}
	}
	v = v.Truncate(int32(scale))
	if d.multi > 0 {
		// PostgreSQL multiplies by 10^-multi, a numeric of scale 16.
		return withScale(v.Shift(-int32(d.multi)), scale+16), nil
	}
	return withScale(v, scale), nil
}

func overflowDetail(precision, scale int) string {
	if scale == 0 {
		return "A field with precision " + itoa(precision) + ", scale 0 must round to an absolute value less than 10^" + itoa(precision) + "."
	}
	return "A field with precision " + itoa(precision) + ", scale " + itoa(scale) + " must round to an absolute value less than 10^" + itoa(precision-scale) + "."
}

func itoa(i int) string { return decimal.NewFromInt(int64(i)).String() }

// withScale gives v exactly scale digits after the point (its display
// scale).
func withScale(v decimal.Decimal, scale int) decimal.Decimal {
	return decimal.NewFromBigInt(v.Shift(int32(scale)).Round(0).BigInt(), -int32(scale))
}

// numReader is to_number's input cursor and the number it has read.
type numReader struct {
	in        string
	p         int
	d         *numDesc
	sign      byte
	num       strings.Builder
	pre, post int
	dec       bool
}

// digit reads for a 9, 0, . or D of the format.
func (r *numReader) digit(k numKey) {
	if r.in[r.p] == ' ' {
		r.p++
	}
	if r.p >= len(r.in) {
		return
	}
	if r.sign == ' ' && (k == nk9 || k == nk0) && r.pre+r.post == 0 {
		c := r.in[r.p]
		switch {
		case r.d.lsign == 1 && (c == '-' || c == '+'):
			r.sign = c
			r.p++
		case r.d.lsign != 1 && (c == '-' || (r.d.bracket && c == '<')):
			r.sign = '-'
			r.p++
		case r.d.lsign != 1 && c == '+':
			r.sign = '+'
			r.p++
		}
	}
	if r.p >= len(r.in) {
		return
	}
	read := false
	c := r.in[r.p]
	switch {
	case c >= '0' && c <= '9':
		if r.dec && r.post == r.d.post {
			return
		}
		r.num.WriteByte(c)
		if r.dec {
			r.post++
		} else {
			r.pre++
		}
		read = true
	case r.d.decimal && !r.dec && c == '.':
		r.num.WriteByte('.')
		r.dec = true
		read = true
	}
	if r.p >= len(r.in) {
		return
	}
	if r.sign != ' ' || r.pre+r.post == 0 {
		return
	}
	if r.d.lsign != 0 {
		// S's sign sits right after the last digit.
		if read && r.p+1 < len(r.in) && !isDigit(r.in[r.p+1]) {
			if c := r.in[r.p+1]; c == '-' || c == '+' {
				r.sign = c
				r.p++
			}
		}
		return
	}
	if !read && (r.d.plus || r.d.minus) {
		if c := r.in[r.p]; c == '-' || c == '+' {
			r.sign = c
		}
	}
}

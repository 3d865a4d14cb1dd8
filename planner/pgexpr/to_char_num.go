package pgexpr

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
	"github.com/shopspring/decimal"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
)

// to_char(number, format) follows PostgreSQL's formatting.c (NUM_processor)
// in the C locale: 9 is a digit or a blank, 0 a digit or a zero, . and D
// the decimal point, , and G a thousands separator (blank before the first
// digit), S a sign next to the number, MI/PL/SG a sign where written, PR
// angle brackets around a negative number, L the currency symbol (a blank),
// FM fill mode (no padding), TH/th an ordinal suffix, V shifts the value
// by 10^n, EEEE scientific notation. A number with more integer digits than
// the format has is written as # characters.

// numKey is one element of a number format.
type numKey int

const (
	nkChar numKey = iota // literal text
	nk9
	nk0
	nkDec // . or D
	nkComma
	nkG
	nkL
	nkMI
	nkPL
	nkSG
	nkS
	nkPR
	nkFM
	nkTH
	nkth
	nkV
	nkEEEE
	nkB
	nkRN
	nkrn
	nkNothing // C, SP (written as nothing)
)

type numNode struct {
	key numKey
	lit string
}

var numKeys = []struct {
	s   string
	key numKey
}{
	{"EEEE", nkEEEE}, {"eeee", nkEEEE}, {"FM", nkFM}, {"fm", nkFM}, {"MI", nkMI}, {"mi", nkMI},
	{"PL", nkPL}, {"pl", nkPL}, {"RN", nkRN}, {"rn", nkrn}, {"PR", nkPR}, {"pr", nkPR}, {"SG", nkSG}, {"sg", nkSG},
	{"SP", nkNothing}, {"sp", nkNothing}, {"TH", nkTH}, {"th", nkth},
	{",", nkComma}, {".", nkDec}, {"0", nk0}, {"9", nk9}, {"B", nkB}, {"b", nkB}, {"C", nkNothing}, {"c", nkNothing},
	{"D", nkDec}, {"d", nkDec}, {"G", nkG}, {"g", nkG}, {"L", nkL}, {"l", nkL}, {"S", nkS}, {"s", nkS},
	{"V", nkV}, {"v", nkV},
}

// numDesc is what a number format asks for (PostgreSQL's NUMDesc).
type numDesc struct {
	pre, post, multi      int
	decimal, zero, fill   bool
	minus, plus, bracket  bool
	minusPost, plusPost   bool
	lsign                 int // 0 none, 1 before the number, 2 after
	preLsignNum           int
	zeroStart, zeroEnd    int
	eeee, blank, v, roman bool
}

func numSyntax(msg string) error { return pgerror.New(pgerror.SyntaxError, "%s", msg) }

// parseNumFormat splits format into nodes and describes it.
func parseNumFormat(f string) ([]numNode, numDesc, error) {
	var nodes []numNode
	var d numDesc
	for i := 0; i < len(f); {
		matched := false
		for _, k := range numKeys {
			if !strings.HasPrefix(f[i:], k.s) {
				continue
			}
			matched = true
			i += len(k.s)
			if err := d.prepare(k.key); err != nil {
				return nil, d, err
			}
			nodes = append(nodes, numNode{key: k.key})
			break
		}
		if matched {
			continue
		}
		if f[i] == '"' {
			i++
			for i < len(f) {
				if f[i] == '"' {
					i++
					break
				}
				if f[i] == '\\' && i+1 < len(f) {
					i++
				}
				n := charLen(f[i:])
				nodes = append(nodes, numNode{key: nkChar, lit: f[i : i+n]})
				i += n
			}
			continue
		}
		if f[i] == '\\' && i+1 < len(f) && f[i+1] == '"' {
			i++
		}
		n := charLen(f[i:])
		nodes = append(nodes, numNode{key: nkChar, lit: f[i : i+n]})
		i += n
	}
	return nodes, d, nil
}

// prepare is NUMDesc_prepare: it counts digits and checks combinations.
func (d *numDesc) prepare(k numKey) error {
	if d.eeee && k != nkEEEE {
		return numSyntax(`"EEEE" must be the last pattern used`)
	}
	switch k {
	case nk9:
		if d.bracket {
			return numSyntax(`"9" must be ahead of "PR"`)
		}
		if d.v {
			d.multi++
			break
		}
		if d.decimal {
			d.post++
		} else {
			d.pre++
		}
	case nk0:
		if d.bracket {
			return numSyntax(`"0" must be ahead of "PR"`)
		}
		if !d.zero && !d.decimal {
			d.zero = true
			d.zeroStart = d.pre + 1
		}
		if !d.decimal {
			d.pre++
		} else {
			d.post++
		}
		d.zeroEnd = d.pre + d.post
	case nkB:
		if d.bracket {
			return numSyntax(`"B" must be ahead of "PR"`)
		}
		d.blank = true
	case nkDec:
		if d.decimal {
			return numSyntax("multiple decimal points")
		}
		if d.v {
			return numSyntax(`cannot use "V" and decimal point together`)
		}
		d.decimal = true
	case nkFM:
		d.fill = true
	case nkRN, nkrn:
		d.roman = true
	case nkS:
		if d.lsign != 0 {
			return numSyntax(`cannot use "S" twice`)
		}
		if d.plus || d.minus || d.bracket {
			return numSyntax(`cannot use "S" and "PL"/"MI"/"SG"/"PR" together`)
		}
		if !d.decimal {
			d.lsign, d.preLsignNum = 1, d.pre
		} else {
			d.lsign = 2
		}
	case nkMI:
		if d.lsign != 0 {
			return numSyntax(`cannot use "S" and "MI" together`)
		}
		d.minus = true
		if d.decimal {
			d.minusPost = true
		}
	case nkPL:
		if d.lsign != 0 {
			return numSyntax(`cannot use "S" and "PL" together`)
		}
		d.plus = true
		if d.decimal {
			d.plusPost = true
		}
	case nkSG:
		if d.lsign != 0 {
			return numSyntax(`cannot use "S" and "SG" together`)
		}
		d.minus, d.plus = true, true
	case nkPR:
		if d.lsign != 0 || d.plus || d.minus {
			return numSyntax(`cannot use "PR" and "S"/"PL"/"MI"/"SG" together`)
		}
		d.bracket = true
	case nkV:
		if d.decimal {
			return numSyntax(`cannot use "V" and decimal point together`)
		}
		d.v = true
	case nkEEEE:
		if d.eeee {
			return numSyntax(`cannot use "EEEE" twice`)
		}
		if d.blank || d.fill || d.lsign != 0 || d.bracket || d.minus || d.plus || d.v {
			e := &pgerror.Error{Code: pgerror.SyntaxError, Message: `"EEEE" is incompatible with other formats`,
				Detail: `"EEEE" may only be used together with digit and decimal point patterns.`}
			return e
		}
		d.eeee = true
	}
	return nil
}

// evalToCharNumber is to_char(number, format).
func evalToCharNumber(v any, t sql.Type, format string) (any, error) {
	nodes, d, err := parseNumFormat(format)
	if err != nil {
		return nil, err
	}
	oid, _ := pgtypes.OID(t)
	var numstr string
	sign := byte('+')
	outPreSpaces := 0
	overflow := func(prelen int) {
		if prelen < d.pre {
			outPreSpaces = d.pre - prelen
		} else if prelen > d.pre {
			numstr = strings.Repeat("#", d.pre+d.post+1)
			numstr = numstr[:d.pre] + "." + numstr[d.pre+1:]
		}
	}
	preLen := func(s string) int {
		if p := strings.IndexByte(s, '.'); p >= 0 {
			return p
		}
		return len(s)
	}
	if d.roman {
		n, err := romanValue(v, oid)
		if err != nil {
			return nil, err
		}
		return numRoman(nodes, d.fill, toRoman(n)), nil
	}
	switch x := v.(type) {
	case float64, float32:
		f, bits, digits := 0.0, 64, 15
		if y, ok := x.(float32); ok {
			f, bits, digits = float64(y), 32, 6
		} else {
			f = x.(float64)
		}
		if d.eeee {
			if math.IsNaN(f) || math.IsInf(f, 0) {
				numstr = strings.Repeat("#", d.pre+d.post+5)
				numstr = numstr[:d.pre+1] + "." + numstr[d.pre+2:]
			} else {
				numstr = sciFloat(f, d.post, bits)
			}
			break
		}
		if d.multi > 0 {
			f *= math.Pow(10, float64(d.multi))
			d.pre += d.multi
		}
		pl := len(strconv.FormatFloat(math.Abs(f), 'f', 0, bits))
		if pl >= digits {
			d.post = 0
		} else if pl+d.post > digits {
			d.post = digits - pl
		}
		s := strconv.FormatFloat(f, 'f', d.post, bits)
		if strings.HasPrefix(s, "-") {
			sign, s = '-', s[1:]
		}
		numstr = s
		overflow(preLen(numstr))
	case decimal.Decimal:
		if d.eeee {
			numstr = sciDecimal(x, d.post)
			break
		}
		if d.multi > 0 {
			x = x.Shift(int32(d.multi))
			d.pre += d.multi
		}
		r := x.Round(int32(d.post))
		s := r.StringFixed(int32(d.post))
		if strings.HasPrefix(s, "-") {
			sign, s = '-', s[1:]
		}
		numstr = s
		overflow(preLen(numstr))
	default:
		n, err := asInt64(v)
		if err != nil {
			return nil, err
		}
		if d.eeee {
			if oid == pgtypes.OIDInt8 {
				numstr = sciDecimal(decimal.NewFromInt(n), d.post)
			} else {
				numstr = sciFloat(float64(n), d.post, 64)
			}
			break
		}
		s := strconv.FormatInt(n, 10)
		if d.multi > 0 {
			m := decimal.NewFromInt(n).Shift(int32(d.multi))
			if oid != pgtypes.OIDInt8 && (m.GreaterThan(decimal.NewFromInt(math.MaxInt32)) || m.LessThan(decimal.NewFromInt(math.MinInt32))) {
				return nil, pgerror.New(pgerror.NumericOutOfRange, "integer out of range")
			}
			s = m.String()
			d.pre += d.multi
		}
		if strings.HasPrefix(s, "-") {
			sign, s = '-', s[1:]
		}
		if d.post > 0 {
			s += "." + strings.Repeat("0", d.post)
		}
		numstr = s
		overflow(preLen(numstr))
	}
	if d.eeee {
		return numstr, nil
	}
	return numProcess(nodes, &d, numstr, sign, outPreSpaces)
}

// sciFloat is C's "%+.*e" with the plus sign written as a blank.
func sciFloat(f float64, post, bits int) string {
	s := strconv.FormatFloat(f, 'e', post, bits)
	if !strings.HasPrefix(s, "-") {
		s = " " + s
	}
	return s
}

// sciDecimal is numeric_out_sci (rounding half away from zero), a blank
// before a positive number.
func sciDecimal(x decimal.Decimal, post int) string {
	exp := 0
	if !x.IsZero() {
		a := x.Abs()
		exp = len(a.Truncate(0).String()) - 1
		if a.LessThan(decimal.NewFromInt(1)) {
			exp = 0
			for a.LessThan(decimal.NewFromInt(1)) {
				a = a.Shift(1)
				exp--
			}
		}
	}
	// As in PostgreSQL, the exponent is not adjusted when rounding
	// carries into a new digit (9.96 with 9.9EEEE is 10.0e+00).
	m := x.Shift(int32(-exp)).Round(int32(post))
	es := strconv.Itoa(abs(exp))
	if len(es) < 2 {
		es = "0" + es
	}
	esign := "+"
	if exp < 0 {
		esign = "-"
	}
	s := m.StringFixed(int32(post)) + "e" + esign + es
	if !strings.HasPrefix(s, "-") {
		s = " " + s
	}
	return s
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

// numProcess is NUM_processor's to_char direction: it writes number (the
// digits without a sign, with a decimal point when the format has one)
// through the format nodes.
func numProcess(nodes []numNode, d *numDesc, number string, sign byte, outPreSpaces int) (string, error) {
	var out strings.Builder
	numIn, numCurr, np := false, 0, 0
	lastRelevant := -1 // index into number, -1 for none
	if d.zeroStart > 0 {
		d.zeroStart--
	}
	signWrote := false
	if d.plus || d.minus {
		signWrote = !(d.plus && !d.minus)
	} else {
		if sign != '-' && d.fill {
			d.bracket = false
		}
		signWrote = sign == '+' && d.fill && d.lsign == 0
		if d.lsign == 1 && d.pre == d.preLsignNum {
			d.lsign = 2
		}
	}
	numCount := d.post + d.pre - 1
	if d.fill && d.decimal {
		if p := strings.IndexByte(number, '.'); p >= 0 {
			lastRelevant = p
			for j := p + 1; j < len(number); j++ {
				if number[j] != '0' {
					lastRelevant = j
				}
			}
			if d.zeroEnd > outPreSpaces {
				lz := min(len(number)-1, d.zeroEnd-outPreSpaces)
				if lastRelevant < lz {
					lastRelevant = lz
				}
			}
		}
	}
	if !signWrote && outPreSpaces == 0 {
		numCount++
	}
	cur := func() byte {
		if np < len(number) {
			return number[np]
		}
		return 0
	}
	predecSpace := func() bool {
		return !d.zero && np == 0 && len(number) > 0 && number[0] == '0' && d.post != 0
	}
	lastIsDot := func() bool { return lastRelevant >= 0 && number[lastRelevant] == '.' }
	numpart := func(k numKey) {
		numIn = false
		if !signWrote &&
			(numCurr >= outPreSpaces || (d.zero && d.zeroStart == numCurr)) &&
			(!predecSpace() || lastIsDot()) {
			switch {
			case d.lsign != 0:
				if d.lsign == 1 {
					out.WriteByte(sign)
					signWrote = true
				}
			case d.bracket:
				if sign == '+' {
					out.WriteByte(' ')
				} else {
					out.WriteByte('<')
				}
				signWrote = true
			case sign == '+':
				if !d.fill {
					out.WriteByte(' ')
				}
				signWrote = true
			case sign == '-':
				out.WriteByte('-')
				signWrote = true
			}
		}
		switch {
		case numCurr < outPreSpaces && (d.zeroStart > numCurr || !d.zero):
			if !d.fill {
				out.WriteByte(' ')
			}
		case d.zero && numCurr < outPreSpaces && d.zeroStart <= numCurr:
			out.WriteByte('0')
			numIn = true
		default:
			if cur() == '.' {
				if !lastIsDot() || d.fill {
					out.WriteByte('.')
				}
			} else {
				switch {
				case lastRelevant >= 0 && np > lastRelevant && k != nk0:
				case predecSpace():
					if !d.fill {
						out.WriteByte(' ')
					} else if lastIsDot() {
						out.WriteByte('0')
					}
				default:
					// Past the end of number PostgreSQL writes its
					// terminating NUL, which ends the result there.
					out.WriteByte(cur())
					numIn = true
				}
			}
			if np < len(number) {
				np++
			}
		}
		end := numCount
		if outPreSpaces > 0 {
			end++
		}
		if d.decimal {
			end++
		}
		if lastRelevant >= 0 && lastRelevant == np {
			end = numCurr
		}
		if numCurr+1 == end {
			if signWrote && d.bracket {
				if sign == '+' {
					out.WriteByte(' ')
				} else {
					out.WriteByte('>')
				}
			} else if d.lsign == 2 {
				out.WriteByte(sign)
			}
		}
		numCurr++
	}
	for _, n := range nodes {
		switch n.key {
		case nkChar:
			out.WriteString(n.lit)
		case nk9, nk0, nkDec:
			numpart(n.key)
		case nkComma, nkG:
			switch {
			case numIn:
				out.WriteByte(',')
			case !d.fill:
				out.WriteByte(' ')
			}
		case nkL:
			out.WriteByte(' ')
		case nkTH, nkth:
			if number != "" && number[0] == '#' || sign == '-' || d.decimal {
				continue
			}
			if last := number[len(number)-1]; last < '0' || last > '9' {
				return "", pgerror.New(pgerror.InvalidTextRepr, "\"%s\" is not a number", number)
			}
			th := ordinalSuffix(number)
			if n.key == nkth {
				th = strings.ToLower(th)
			}
			out.WriteString(th)
		case nkMI:
			switch {
			case sign == '-':
				out.WriteByte('-')
			case !d.fill:
				out.WriteByte(' ')
			}
		case nkPL:
			switch {
			case sign == '+':
				out.WriteByte('+')
			case !d.fill:
				out.WriteByte(' ')
			}
		case nkSG:
			out.WriteByte(sign)
		}
	}
	return cutAtNUL(out.String()), nil
}

// cutAtNUL ends s at its first NUL byte, where PostgreSQL's C string
// ends.
func cutAtNUL(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// romanValue is the integer RN formats: numeric rounded, float8 rounded
// half to even, bigint that must fit an integer.
func romanValue(v any, oid uint32) (int64, error) {
	switch x := v.(type) {
	case float64:
		return int64(math.RoundToEven(x)), nil
	case float32:
		return int64(math.RoundToEven(float64(x))), nil
	case decimal.Decimal:
		r := x.Round(0)
		if !r.IsInteger() || r.GreaterThan(decimal.NewFromInt(math.MaxInt32)) || r.LessThan(decimal.NewFromInt(math.MinInt32)) {
			return 0, pgerror.New(pgerror.NumericOutOfRange, "integer out of range")
		}
		return r.IntPart(), nil
	}
	n, err := asInt64(v)
	if err != nil {
		return 0, err
	}
	if oid == pgtypes.OIDInt8 && (n > math.MaxInt32 || n < math.MinInt32) {
		return 0, pgerror.New(pgerror.NumericOutOfRange, "integer out of range")
	}
	return n, nil
}

// toRoman is int_to_roman: upper-case numerals, 15 # outside 1..3999.
func toRoman(n int64) string {
	if n < 1 || n > 3999 {
		return strings.Repeat("#", 15)
	}
	var b strings.Builder
	for _, p := range []struct {
		v int64
		s string
	}{{1000, "M"}, {900, "CM"}, {500, "D"}, {400, "CD"}, {100, "C"}, {90, "XC"}, {50, "L"}, {40, "XL"}, {10, "X"}, {9, "IX"}, {5, "V"}, {4, "IV"}, {1, "I"}} {
		for n >= p.v {
			b.WriteString(p.s)
			n -= p.v
		}
	}
	return b.String()
}

// numRoman writes a format with RN: the numerals (right-aligned in 15
// characters unless FM) at each RN, literal text as is; digits and signs
// write nothing (SG writes PostgreSQL's zero sign, ending the result).
func numRoman(nodes []numNode, fill bool, roman string) string {
	var out strings.Builder
	for _, n := range nodes {
		switch n.key {
		case nkChar:
			out.WriteString(n.lit)
		case nkRN, nkrn:
			r := roman
			if n.key == nkrn {
				r = strings.ToLower(r)
			}
			if !fill {
				r = fmt.Sprintf("%15s", r)
			}
			out.WriteString(r)
		case nkComma, nkG:
			if !fill {
				out.WriteByte(' ')
			}
		case nkL:
			out.WriteByte(' ')
		case nkMI, nkPL:
			if !fill {
				out.WriteByte(' ')
			}
		case nkSG:
			out.WriteByte(0)
		}
	}
	return cutAtNUL(out.String())
}

// ordinalSuffix is get_th: ST, ND, RD or TH for the number's last digit,
// TH for 11 to 13.
func ordinalSuffix(num string) string {
	if num == "" {
		return "TH"
	}
	last := num[len(num)-1]
	if len(num) > 1 && num[len(num)-2] == '1' {
		last = 0
	}
	switch last {
	case '1':
		return "ST"
	case '2':
		return "ND"
	case '3':
		return "RD"
	}
	return "TH"
}

// isNumberType reports whether t is an integer, float or numeric type.
func isNumberType(t sql.Type) bool {
	return (types.IsNumber(t) && t != types.Boolean) || types.IsDecimal(t)
}

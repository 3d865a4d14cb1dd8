package pgexpr

import (
	"fmt"
	"strings"
	"unicode"
)

// posixClasses are the bodies (without the brackets) of RE2 classes for
// PostgreSQL's character classes as it sees them in a UTF-8 database whose
// LC_CTYPE is C.UTF-8 (the glibc tables OpenWit's corpus runs against):
// letters of every script are alpha, digit and xdigit are ASCII only, the
// digits of other scripts count as alpha, and space has the Unicode
// spaces except the no-break ones. The tables approximate glibc's; what
// was checked is in docs/design/058-pg-regex.md.
var posixClasses = map[string]string{
	"alpha":  `\p{L}\p{Nl}` + nonASCIIDigits,
	"alnum":  `\p{L}\p{Nl}\p{Nd}`,
	"word":   `\p{L}\p{Nl}\p{Nd}_`,
	"digit":  `0-9`,
	"xdigit": `0-9A-Fa-f`,
	"upper":  `\p{Lu}\p{Lt}\x{2160}-\x{216f}\x{24b6}-\x{24cf}`,
	"lower":  `\p{Ll}\p{Lt}\x{aa}\x{ba}\x{2170}-\x{217f}\x{24d0}-\x{24e9}`,
	"space":  spaceClass,
	"blank":  `\t `,
	"cntrl":  `\p{Cc}`,
	"punct":  punctClass,
	"graph":  `\p{L}\p{Nl}\p{Nd}` + punctClass,
	"print":  `\p{L}\p{Nl}\p{Nd}\p{Zs}` + punctClass,
	"ascii":  `\x00-\x7f`,
}

// wordClasses are the classes holding only word characters.
var wordClasses = map[string]bool{"alpha": true, "alnum": true, "word": true, "digit": true, "upper": true, "lower": true}

const (
	spaceClass = `\t\n\v\f\r \x{1680}\x{2000}-\x{2006}\x{2008}-\x{200a}\x{2028}\x{2029}\x{205f}\x{3000}`
	punctClass = `\p{P}\p{S}\p{M}\p{No}\p{Cf}\x{a0}\x{2007}\x{202f}`
)

// nonASCIIDigits are the decimal digits of scripts other than Latin.
var nonASCIIDigits = func() string {
	var b strings.Builder
	for _, r := range unicode.Nd.R16 {
		lo, hi := rune(r.Lo), rune(r.Hi)
		if hi < 128 {
			continue
		}
		if r.Stride == 1 {
			fmt.Fprintf(&b, `\x{%x}-\x{%x}`, lo, hi)
			continue
		}
		for c := lo; c <= hi; c += rune(r.Stride) {
			fmt.Fprintf(&b, `\x{%x}`, c)
		}
	}
	for _, r := range unicode.Nd.R32 {
		if r.Stride == 1 {
			fmt.Fprintf(&b, `\x{%x}-\x{%x}`, r.Lo, r.Hi)
			continue
		}
		for c := r.Lo; c <= r.Hi; c += r.Stride {
			fmt.Fprintf(&b, `\x{%x}`, c)
		}
	}
	return b.String()
}()

// collatingNames are the POSIX names of the portable character set that
// PostgreSQL accepts in [[.name.]].
var collatingNames = map[string]rune{
	"NUL": 0, "SOH": 1, "STX": 2, "ETX": 3, "EOT": 4, "ENQ": 5, "ACK": 6, "BEL": 7, "alert": 7,
	"BS": 8, "backspace": 8, "HT": 9, "tab": 9, "LF": 10, "newline": 10, "VT": 11, "vertical-tab": 11,
	"FF": 12, "form-feed": 12, "CR": 13, "carriage-return": 13, "SO": 14, "SI": 15, "DLE": 16,
	"DC1": 17, "DC2": 18, "DC3": 19, "DC4": 20, "NAK": 21, "SYN": 22, "ETB": 23, "CAN": 24, "EM": 25,
	"SUB": 26, "ESC": 27, "IS4": 28, "FS": 28, "IS3": 29, "GS": 29, "IS2": 30, "RS": 30, "IS1": 31, "US": 31,
	"space": ' ', "exclamation-mark": '!', "quotation-mark": '"', "number-sign": '#', "dollar-sign": '$',
	"percent-sign": '%', "ampersand": '&', "apostrophe": '\'', "left-parenthesis": '(',
	"right-parenthesis": ')', "asterisk": '*', "plus-sign": '+', "comma": ',', "hyphen": '-',
	"hyphen-minus": '-', "period": '.', "full-stop": '.', "slash": '/', "solidus": '/',
	"zero": '0', "one": '1', "two": '2', "three": '3', "four": '4', "five": '5', "six": '6',
	"seven": '7', "eight": '8', "nine": '9', "colon": ':', "semicolon": ';', "less-than-sign": '<',
	"equals-sign": '=', "greater-than-sign": '>', "question-mark": '?', "commercial-at": '@',
	"left-square-bracket": '[', "backslash": '\\', "reverse-solidus": '\\', "right-square-bracket": ']',
	"circumflex": '^', "circumflex-accent": '^', "underscore": '_', "low-line": '_', "grave-accent": '`',
	"left-brace": '{', "left-curly-bracket": '{', "vertical-line": '|', "right-brace": '}',
	"right-curly-bracket": '}', "tilde": '~', "DEL": 127,
}

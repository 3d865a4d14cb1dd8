package pgexpr

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"openwit/internal/pgerror"
)

// This file translates PostgreSQL's advanced regular expressions (AREs,
// Henry Spencer's flavour, PostgreSQL 15 docs 9.7.3) into Go's RE2 syntax,
// or returns the error PostgreSQL gives for the pattern: 2201B with
// PostgreSQL's message, or 0A000 for what RE2 cannot run (back references,
// lookaround). docs/design/058-pg-regex.md has the decisions.

// areFlags are the compile options of one ARE: the flag letters of the
// regexp functions and the embedded options (?...) both set them.
type areFlags struct {
	icase    bool // i
	nlstop   bool // n, p: . and [^...] do not match newline
	nlanch   bool // n, w: ^ and $ match at newlines
	expanded bool // x: white space and # comments are ignored
	quote    bool // q, ***=: the pattern is a literal string
}

// areResult is a translated pattern.
type areResult struct {
	src    string // RE2 source
	greedy int    // the whole RE's greediness: 1 greedy, -1 non-greedy, 0 none
	words  bool   // uses RE2's \b or \B (ASCII word characters only)
	ncap   int    // capturing groups
}

// regexErr is PostgreSQL's error for an invalid regular expression.
func regexErr(msg string) error {
	return pgerror.New("2201B", "invalid regular expression: %s", msg)
}

// PostgreSQL's regerror texts (src/include/regex/regerrs.h), as reported.
var (
	errREBadPat   = regexErr("invalid regexp (reg version 0.8)")
	errRECollate  = regexErr("invalid collating element")
	errRECType    = regexErr("invalid character class")
	errREEscape   = regexErr(`invalid escape \ sequence`)
	errRESubReg   = regexErr("invalid backreference number")
	errREBrack    = regexErr("brackets [] not balanced")
	errREParen    = regexErr("parentheses () not balanced")
	errREBrace    = regexErr("braces {} not balanced")
	errREBadBR    = regexErr("invalid repetition count(s)")
	errRERange    = regexErr("invalid character range")
	errREBadRpt   = regexErr("quantifier operand invalid")
	errREBadOpt   = regexErr("invalid embedded option")
	errREBackref  = pgerror.New(pgerror.FeatureNotSupported, "regular expression back references (\\1 ... \\9) are not supported")
	errRELookwhat = pgerror.New(pgerror.FeatureNotSupported, "regular expression lookahead and lookbehind constraints are not supported")
)

// parseREFlags applies a regexp function's flag letters to f (PostgreSQL's
// parse_re_flags); global reports "g". BRE and ERE (b, e) are 0A000,
// unknown letters 22023.
func parseREFlags(f *areFlags, flags string) (global bool, err error) {
	for _, c := range flags {
		switch c {
		case 'g':
			global = true
		case 'i':
			f.icase = true
		case 'c':
			f.icase = false
		case 'm', 'n':
			f.nlstop, f.nlanch = true, true
		case 'p':
			f.nlstop, f.nlanch = true, false
		case 'w':
			f.nlstop, f.nlanch = false, true
		case 's':
			f.nlstop, f.nlanch = false, false
		case 'x':
			f.expanded = true
		case 't':
			f.expanded = false
		case 'q':
			f.quote = true
		case 'b', 'e':
			return false, pgerror.New(pgerror.FeatureNotSupported, "regular expression option \"%c\" (basic and extended POSIX syntax) is not supported", c)
		default:
			return false, pgerror.New(pgerror.InvalidParameterValue, "invalid regular expression option: \"%c\"", c)
		}
	}
	return global, nil
}

// translateARE translates pattern, compiled with flags f, into RE2.
func translateARE(pattern string, f areFlags) (areResult, error) {
	p := &areParser{p: []rune(pattern)}
	if !f.quote {
		if err := p.prefixes(&f); err != nil {
			return areResult{}, err
		}
	}
	p.f = f
	head := ""
	if f.icase {
		head = "(?i)"
	}
	if f.quote {
		var b strings.Builder
		for _, r := range p.p[p.i:] {
			b.WriteString(literalRE(r))
		}
		s := head + b.String()
		return areResult{src: s}, nil
	}
	body, err := p.parseRE(0)
	if err != nil {
		return areResult{}, err
	}
	return areResult{src: head + body.src, greedy: body.greedy, words: p.words, ncap: p.ncap}, nil
}

// areParser is a recursive-descent parser over the pattern's runes that
// writes RE2 as it goes.
type areParser struct {
	p     []rune
	i     int
	f     areFlags
	ncap  int // capturing groups opened so far
	words bool
}

// piece is a translated (sub)expression with what the word constraints
// and the greediness rules need to know about it.
type piece struct {
	src       string
	greedy    int  // 1, -1, or 0 (no greediness attribute)
	firstWord bool // every non-empty match starts with a word character
	lastWord  bool // every non-empty match ends with a word character
	nonEmpty  bool // it never matches the empty string
	atom      bool // it can take a quantifier
	constr    byte // a word constraint still to resolve: 'm' or 'M'
}

func (p *areParser) eos() bool { return p.i >= len(p.p) }

func (p *areParser) peekIs(off int, r rune) bool {
	return p.i+off < len(p.p) && p.p[p.i+off] == r
}

// prefixes reads ***: / ***= and the embedded options (?...) at the
// start of the pattern (PostgreSQL's lex.c prefixes()).
func (p *areParser) prefixes(f *areFlags) error {
	if len(p.p) >= 4 && p.p[0] == '*' && p.p[1] == '*' && p.p[2] == '*' {
		switch p.p[3] {
		case '?':
			return errREBadPat
		case '=':
			f.quote = true
			f.expanded, f.nlstop, f.nlanch = false, false, false
			p.i = 4
			return nil
		case ':':
			p.i = 4
		default:
			return errREBadRpt
		}
	}
	if len(p.p)-p.i >= 3 && p.p[p.i] == '(' && p.p[p.i+1] == '?' && isASCIIAlpha(p.p[p.i+2]) {
		p.i += 2
		for ; !p.eos() && isASCIIAlpha(p.p[p.i]); p.i++ {
			switch c := p.p[p.i]; c {
			case 'c':
				f.icase = false
			case 'i':
				f.icase = true
			case 'm', 'n':
				f.nlstop, f.nlanch = true, true
			case 'p':
				f.nlstop, f.nlanch = true, false
			case 'q':
				f.quote = true
			case 's':
				f.nlstop, f.nlanch = false, false
			case 't':
				f.expanded = false
			case 'w':
				f.nlstop, f.nlanch = false, true
			case 'x':
				f.expanded = true
			case 'b', 'e':
				return pgerror.New(pgerror.FeatureNotSupported, "regular expression embedded option \"%c\" (basic and extended POSIX syntax) is not supported", c)
			default:
				return errREBadOpt
			}
		}
		if p.eos() || p.p[p.i] != ')' {
			return errREBadOpt
		}
		p.i++
		if f.quote {
			f.expanded, f.nlstop, f.nlanch = false, false, false
		}
	}
	return nil
}

func isASCIIAlpha(r rune) bool { return r < 128 && unicode.IsLetter(r) }

// skip passes (?#...) comments, and white space and # comments in
// expanded mode: like PostgreSQL's lexer, so a quantifier after a comment
// applies to the atom before it.
func (p *areParser) skip() {
	for !p.eos() {
		switch r := p.p[p.i]; {
		case r == '(' && p.peekIs(1, '?') && p.peekIs(2, '#'):
			for !p.eos() && p.p[p.i] != ')' {
				p.i++
			}
			if !p.eos() {
				p.i++
			}
		case !p.f.expanded:
			return
		case unicode.IsSpace(r):
			p.i++
		case r == '#':
			for !p.eos() && p.p[p.i] != '\n' {
				p.i++
			}
		default:
			return
		}
	}
}

// parseRE reads branches separated by | up to the end or (depth > 0) a
// closing parenthesis, which it leaves unread.
func (p *areParser) parseRE(depth int) (piece, error) {
	var branches []piece
	for {
		b, err := p.parseBranch(depth)
		if err != nil {
			return piece{}, err
		}
		branches = append(branches, b)
		p.skip()
		if !p.eos() && p.p[p.i] == '|' {
			p.i++
			continue
		}
		break
	}
	if len(branches) == 1 {
		return branches[0], nil
	}
	out := piece{greedy: 1, firstWord: true, lastWord: true, nonEmpty: true}
	srcs := make([]string, len(branches))
	for i, b := range branches {
		srcs[i] = b.src
		out.firstWord = out.firstWord && b.firstWord
		out.lastWord = out.lastWord && b.lastWord
		out.nonEmpty = out.nonEmpty && b.nonEmpty
	}
	out.src = strings.Join(srcs, "|")
	return out, nil
}

// parseBranch reads quantified atoms and constraints up to | or ) or the end.
func (p *areParser) parseBranch(depth int) (piece, error) {
	var items []piece
	for {
		p.skip()
		if p.eos() || p.p[p.i] == '|' {
			break
		}
		if p.p[p.i] == ')' {
			if depth == 0 {
				return piece{}, errREParen
			}
			break
		}
		it, err := p.parseAtom(depth)
		if err != nil {
			return piece{}, err
		}
		if it.atom {
			if it, err = p.quantify(it); err != nil {
				return piece{}, err
			}
		} else if p.quantifierNext() {
			return piece{}, errREBadRpt
		}
		items = append(items, it)
	}
	// Resolve \m and \M: RE2's \b is exact where the character after \m
	// (before \M) is always a word character of this branch.
	for i, it := range items {
		switch it.constr {
		case 'm':
			if !wordFollows(items[i+1:]) {
				return piece{}, pgerror.New(pgerror.FeatureNotSupported, `regular expression constraint \m (or [[:<:]]) is supported only before a word character`)
			}
		case 'M':
			if !wordPrecedes(items[:i]) {
				return piece{}, pgerror.New(pgerror.FeatureNotSupported, `regular expression constraint \M (or [[:>:]]) is supported only after a word character`)
			}
		}
	}
	out := piece{}
	var b strings.Builder
	for _, it := range items {
		b.WriteString(it.src)
		if out.greedy == 0 {
			out.greedy = it.greedy
		}
		out.nonEmpty = out.nonEmpty || it.nonEmpty
	}
	// A non-empty match starts in the first item that matched something:
	// one up to the first item that never matches empty.
	out.firstWord, out.lastWord = true, true
	for _, it := range items {
		out.firstWord = out.firstWord && it.firstWord
		if it.nonEmpty {
			break
		}
	}
	for i := len(items) - 1; i >= 0; i-- {
		out.lastWord = out.lastWord && items[i].lastWord
		if items[i].nonEmpty {
			break
		}
	}
	out.src = b.String()
	return out, nil
}

// wordFollows reports whether the text matched by items always starts
// with a word character (and is never empty).
func wordFollows(items []piece) bool {
	for _, it := range items {
		if !it.firstWord {
			return false
		}
		if it.nonEmpty {
			return true
		}
	}
	return false
}

// wordPrecedes reports whether the text matched by items always ends with
// a word character (and is never empty).
func wordPrecedes(items []piece) bool {
	for i := len(items) - 1; i >= 0; i-- {
		if !items[i].lastWord {
			return false
		}
		if items[i].nonEmpty {
			return true
		}
	}
	return false
}

// constraint is a piece that matches the empty string only.
func constraint(src string) piece {
	return piece{src: src, firstWord: true, lastWord: true}
}

// quantifierNext reports whether a quantifier starts at the position.
func (p *areParser) quantifierNext() bool {
	p.skip()
	if p.eos() {
		return false
	}
	switch p.p[p.i] {
	case '*', '+', '?':
		return true
	case '{':
		return p.i+1 < len(p.p) && p.p[p.i+1] >= '0' && p.p[p.i+1] <= '9'
	}
	return false
}

// quantify reads an optional quantifier after atom a.
func (p *areParser) quantify(a piece) (piece, error) {
	if !p.quantifierNext() {
		return a, nil
	}
	lo, hi := 0, -1 // hi -1: no upper bound
	var q string
	fixed := false
	switch p.p[p.i] {
	case '*':
		p.i++
		q = "*"
	case '+':
		p.i++
		lo, q = 1, "+"
	case '?':
		p.i++
		hi, q = 1, "?"
	case '{':
		p.i++
		m, ok := p.digits()
		if !ok {
			return piece{}, errREBadBR
		}
		lo, hi = m, m
		if !p.eos() && p.p[p.i] == ',' {
			p.i++
			hi = -1
			if !p.eos() && p.p[p.i] >= '0' && p.p[p.i] <= '9' {
				n, ok := p.digits()
				if !ok {
					return piece{}, errREBadBR
				}
				hi = n
			}
		} else {
			fixed = true
		}
		if p.eos() || p.p[p.i] != '}' {
			return piece{}, errREBrace
		}
		p.i++
		if hi >= 0 && lo > hi {
			return piece{}, errREBadBR
		}
		switch {
		case fixed:
			q = fmt.Sprintf("{%d}", lo)
		case hi < 0:
			q = fmt.Sprintf("{%d,}", lo)
		default:
			q = fmt.Sprintf("{%d,%d}", lo, hi)
		}
	}
	nongreedy := false
	if !p.eos() && p.p[p.i] == '?' {
		p.i++
		nongreedy = true
	}
	if p.quantifierNext() {
		return piece{}, errREBadRpt
	}
	out := piece{src: "(?:" + a.src + ")" + q, atom: false}
	if nongreedy {
		out.src += "?"
	}
	switch {
	case fixed:
		out.greedy = a.greedy
	case nongreedy:
		out.greedy = -1
	default:
		out.greedy = 1
	}
	nonEmpty := lo >= 1 && a.nonEmpty
	out.nonEmpty = nonEmpty
	out.firstWord = a.firstWord
	out.lastWord = a.lastWord
	return out, nil
}

// digits reads a decimal repetition count (PostgreSQL's DUPMAX is 255).
func (p *areParser) digits() (int, bool) {
	n, any := 0, false
	for !p.eos() && p.p[p.i] >= '0' && p.p[p.i] <= '9' {
		n = n*10 + int(p.p[p.i]-'0')
		if n > 255 {
			return 0, false
		}
		p.i++
		any = true
	}
	return n, any
}

// parseAtom reads one atom or constraint.
func (p *areParser) parseAtom(depth int) (piece, error) {
	r := p.p[p.i]
	switch r {
	case '(':
		p.i++
		capture := true
		if !p.eos() && p.p[p.i] == '?' {
			p.i++
			if p.eos() {
				return piece{}, errREBadRpt
			}
			c := p.p[p.i]
			p.i++
			switch c {
			case ':':
				capture = false
			case '#':
				for !p.eos() && p.p[p.i] != ')' {
					p.i++
				}
				if !p.eos() {
					p.i++
				}
				return constraint(""), nil
			case '=', '!':
				return piece{}, errRELookwhat
			case '<':
				if !p.eos() && (p.p[p.i] == '=' || p.p[p.i] == '!') {
					return piece{}, errRELookwhat
				}
				return piece{}, errREBadRpt
			default:
				return piece{}, errREBadRpt
			}
		}
		if capture {
			p.ncap++
		}
		inner, err := p.parseRE(depth + 1)
		if err != nil {
			return piece{}, err
		}
		if p.eos() || p.p[p.i] != ')' {
			return piece{}, errREParen
		}
		p.i++
		inner.atom = true
		inner.constr = 0
		if capture {
			inner.src = "(" + inner.src + ")"
		} else {
			inner.src = "(?:" + inner.src + ")"
		}
		return inner, nil
	case '[':
		if p.hasPrefix("[[:<:]]") {
			p.i += 7
			return p.wordConstraint('m'), nil
		}
		if p.hasPrefix("[[:>:]]") {
			p.i += 7
			return p.wordConstraint('M'), nil
		}
		p.i++
		return p.parseBracket()
	case '.':
		p.i++
		if p.f.nlstop {
			return piece{src: `[^\n]`, atom: true, nonEmpty: true}, nil
		}
		return piece{src: `(?s:.)`, atom: true, nonEmpty: true}, nil
	case '^':
		p.i++
		if p.f.nlanch {
			return constraint(`(?m:^)`), nil
		}
		return constraint(`\A`), nil
	case '$':
		p.i++
		if p.f.nlanch {
			return constraint(`(?m:$)`), nil
		}
		return constraint(`\z`), nil
	case '*', '+', '?':
		return piece{}, errREBadRpt
	case '{':
		if p.quantifierNext() {
			return piece{}, errREBadRpt
		}
		p.i++
		return literalPiece('{'), nil
	case '\\':
		p.i++
		return p.parseEscape()
	}
	p.i++
	return literalPiece(r), nil
}

func (p *areParser) hasPrefix(s string) bool {
	rs := []rune(s)
	if len(p.p)-p.i < len(rs) {
		return false
	}
	for k, r := range rs {
		if p.p[p.i+k] != r {
			return false
		}
	}
	return true
}

func (p *areParser) wordConstraint(kind byte) piece {
	p.words = true
	return piece{src: `\b`, constr: kind, firstWord: true, lastWord: true}
}

func literalPiece(r rune) piece {
	w := isWordRune(r)
	return piece{src: literalRE(r), atom: true, nonEmpty: true, firstWord: w, lastWord: w}
}

// literalRE is RE2 syntax matching exactly r (outside or inside brackets).
func literalRE(r rune) string {
	if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_') {
		return string(r)
	}
	return fmt.Sprintf(`\x{%x}`, r)
}

// isWordRune is PostgreSQL's word character (alnum or _) in its
// C.UTF-8-style Unicode classes, as translated below.
func isWordRune(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.Is(unicode.Nl, r) || unicode.Is(unicode.Nd, r)
}

// parseEscape reads what follows a backslash outside brackets.
func (p *areParser) parseEscape() (piece, error) {
	if p.eos() {
		return piece{}, errREEscape
	}
	c := p.p[p.i]
	switch c {
	case 'd', 'D', 's', 'S', 'w', 'W':
		p.i++
		name := map[rune]string{'d': "digit", 's': "space", 'w': "word"}[unicode.ToLower(c)]
		neg := unicode.IsUpper(c)
		body := posixClasses[name]
		if neg {
			return piece{src: "[^" + body + "]", atom: true, nonEmpty: true}, nil
		}
		w := name != "space"
		return piece{src: "[" + body + "]", atom: true, nonEmpty: true, firstWord: w, lastWord: w}, nil
	case 'm', 'M':
		p.i++
		return p.wordConstraint(byte(c)), nil
	case 'y':
		p.i++
		p.words = true
		return constraint(`\b`), nil
	case 'Y':
		p.i++
		p.words = true
		return constraint(`\B`), nil
	case 'A':
		p.i++
		return constraint(`\A`), nil
	case 'Z':
		p.i++
		return constraint(`\z`), nil
	case '1', '2', '3', '4', '5', '6', '7', '8', '9':
		save := p.i + 1
		n, end := 0, p.i
		for end < len(p.p) && p.p[end] >= '0' && p.p[end] <= '9' && n <= 255 {
			n = n*10 + int(p.p[end]-'0')
			end++
		}
		if end == save || (n > 0 && n <= p.ncap) {
			p.i = end
			if n > p.ncap {
				return piece{}, errRESubReg
			}
			return piece{}, errREBackref
		}
	}
	r, err := p.charEscape()
	if err != nil {
		return piece{}, err
	}
	return literalPiece(r), nil
}

// charEscape reads a character-entry escape (the backslash is read) and
// returns its character; class and constraint escapes are errors here.
func (p *areParser) charEscape() (rune, error) {
	if p.eos() {
		return 0, errREEscape
	}
	c := p.p[p.i]
	p.i++
	switch c {
	case 'a':
		return '\a', nil
	case 'b':
		return '\b', nil
	case 'B':
		return '\\', nil
	case 'c':
		if p.eos() {
			return 0, errREEscape
		}
		r := p.p[p.i] & 037
		p.i++
		return r, nil
	case 'e':
		return '\033', nil
	case 'f':
		return '\f', nil
	case 'n':
		return '\n', nil
	case 'r':
		return '\r', nil
	case 't':
		return '\t', nil
	case 'v':
		return '\v', nil
	case 'u':
		return p.hexDigits(4, 4)
	case 'U':
		return p.hexDigits(8, 8)
	case 'x':
		return p.hexDigits(1, 255)
	case '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		// octal: up to three digits, fewer when the value passes 0377
		p.i--
		n, k := rune(0), 0
		for k < 3 && !p.eos() && p.p[p.i] >= '0' && p.p[p.i] <= '7' {
			n = n*8 + (p.p[p.i] - '0')
			p.i++
			k++
		}
		if k == 0 {
			return 0, errREEscape
		}
		if n > 0xff {
			p.i--
			n >>= 3
		}
		return n, nil
	}
	if c < 128 && (unicode.IsLetter(c) || unicode.IsDigit(c)) {
		return 0, errREEscape
	}
	return c, nil
}

func (p *areParser) hexDigits(minN, maxN int) (rune, error) {
	n, k := int64(0), 0
	for k < maxN && !p.eos() {
		d := p.p[p.i]
		var v int64
		switch {
		case d >= '0' && d <= '9':
			v = int64(d - '0')
		case d >= 'a' && d <= 'f':
			v = int64(d-'a') + 10
		case d >= 'A' && d <= 'F':
			v = int64(d-'A') + 10
		default:
			v = -1
		}
		if v < 0 {
			break
		}
		if n <= utf8.MaxRune {
			n = n*16 + v
		}
		p.i++
		k++
	}
	if k < minN || n > utf8.MaxRune || (n >= 0xD800 && n <= 0xDFFF) {
		return 0, errREEscape
	}
	return rune(n), nil
}

// parseBracket reads a bracket expression after its [.
func (p *areParser) parseBracket() (piece, error) {
	neg := false
	if !p.eos() && p.p[p.i] == '^' {
		neg = true
		p.i++
	}
	var body strings.Builder
	var negClasses []string // \D \S \W inside the brackets
	allWord := true
	first := true
	for {
		if p.eos() {
			return piece{}, errREBrack
		}
		r := p.p[p.i]
		if r == ']' && !first {
			p.i++
			break
		}
		first = false
		// one element: a character (maybe a range start), a class
		lo, isChar, cls, ncls, err := p.bracketElem()
		if err != nil {
			return piece{}, err
		}
		if !isChar {
			if ncls != "" {
				negClasses = append(negClasses, ncls)
				allWord = false
				continue
			}
			body.WriteString(posixClasses[cls])
			if !wordClasses[cls] {
				allWord = false
			}
			if !p.eos() && p.p[p.i] == '-' && p.i+1 < len(p.p) && p.p[p.i+1] != ']' {
				return piece{}, errRERange
			}
			continue
		}
		if !p.eos() && p.p[p.i] == '-' && p.i+1 < len(p.p) && p.p[p.i+1] != ']' {
			p.i++
			hi, hiChar, _, _, err := p.bracketElem()
			if err != nil {
				return piece{}, err
			}
			if !hiChar || hi < lo {
				return piece{}, errRERange
			}
			body.WriteString(literalRE(lo) + "-" + literalRE(hi))
			if !(isWordRange(lo, hi)) {
				allWord = false
			}
			if !p.eos() && p.p[p.i] == '-' && p.i+1 < len(p.p) && p.p[p.i+1] != ']' {
				return piece{}, errRERange // a-b-c
			}
			continue
		}
		body.WriteString(literalRE(lo))
		if !isWordRune(lo) {
			allWord = false
		}
	}
	if neg {
		if len(negClasses) > 0 {
			return piece{}, pgerror.New(pgerror.FeatureNotSupported, `regular expression class escapes \D \S \W inside a negated bracket expression are not supported`)
		}
		nl := ""
		if p.f.nlstop {
			nl = `\n`
		}
		return piece{src: "[^" + body.String() + nl + "]", atom: true, nonEmpty: true}, nil
	}
	src := ""
	if body.Len() > 0 {
		src = "[" + body.String() + "]"
	}
	for _, n := range negClasses {
		if src != "" {
			src += "|"
		}
		src += "[^" + n + "]"
	}
	if len(negClasses) > 0 && body.Len()+len(negClasses) > 1 {
		src = "(?:" + src + ")"
	}
	return piece{src: src, atom: true, nonEmpty: true, firstWord: allWord, lastWord: allWord}, nil
}

func isWordRange(lo, hi rune) bool {
	return (lo >= 'a' && hi <= 'z') || (lo >= 'A' && hi <= 'Z') || (lo >= '0' && hi <= '9')
}

// bracketElem reads one element of a bracket expression: a character
// (isChar), a class name (cls) or the body of a negated class escape (ncls).
func (p *areParser) bracketElem() (r rune, isChar bool, cls, ncls string, err error) {
	c := p.p[p.i]
	switch {
	case c == '[' && p.i+1 < len(p.p) && (p.p[p.i+1] == ':' || p.p[p.i+1] == '.' || p.p[p.i+1] == '='):
		kind := p.p[p.i+1]
		start := p.i + 2
		end := -1
		for k := start; k+1 < len(p.p); k++ {
			if p.p[k] == kind && p.p[k+1] == ']' {
				end = k
				break
			}
		}
		if end < 0 {
			return 0, false, "", "", errREBrack
		}
		name := string(p.p[start:end])
		p.i = end + 2
		switch kind {
		case ':':
			if _, ok := posixClasses[name]; !ok {
				return 0, false, "", "", errRECType
			}
			return 0, false, name, "", nil
		default:
			rs := []rune(name)
			if len(rs) == 1 {
				return rs[0], true, "", "", nil
			}
			if kind == '.' {
				if r, ok := collatingNames[name]; ok {
					return r, true, "", "", nil
				}
			}
			return 0, false, "", "", errRECollate
		}
	case c == '\\':
		p.i++
		if p.eos() {
			return 0, false, "", "", errREEscape
		}
		switch e := p.p[p.i]; e {
		case 'd', 's', 'w':
			p.i++
			return 0, false, map[rune]string{'d': "digit", 's': "space", 'w': "word"}[e], "", nil
		case 'D', 'S', 'W':
			p.i++
			return 0, false, "", posixClasses[map[rune]string{'D': "digit", 'S': "space", 'W': "word"}[e]], nil
		case 'm', 'M', 'y', 'Y', 'A', 'Z':
			return 0, false, "", "", errREEscape
		}
		r, err := p.charEscape()
		return r, true, "", "", err
	}
	p.i++
	return c, true, "", "", nil
}

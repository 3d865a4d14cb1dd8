package pgexpr

import (
	"regexp/syntax"
	"sync"
	"unicode/utf8"
)

// shortestProg runs a compiled RE2 program from a fixed start and stops at
// the first (shortest) end where it matches, which Go's regexp package
// cannot do: PostgreSQL gives a non-greedy RE (its first quantifier is
// non-greedy) the shortest match at the leftmost start, and making every
// quantifier non-greedy is not the same when alternatives differ in
// length ('a.*?(bcd|bc)' on 'abcd' is 'abc').
//
// It is a breadth-first simulation over the program (one list of threads
// per position, in priority order), so the cost is the match's length times
// the program's size, and the submatches it returns are those of the
// highest-priority thread that matches at that end, the way RE2's
// leftmost-first mode would split the same extent.
type shortestProg struct {
	prog  *syntax.Prog
	lists sync.Pool // *[2]*spList, reused between runs
}

// newShortestProg compiles src (RE2 syntax, as regexp.Compile reads it).
func newShortestProg(src string) (*shortestProg, error) {
	re, err := syntax.Parse(src, syntax.Perl)
	if err != nil {
		return nil, err
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil, err
	}
	return &shortestProg{prog: prog}, nil
}

// spThread is one thread: an instruction and its capture positions.
type spThread struct {
	pc  uint32
	cap []int
}

// spList is the threads at one position, each instruction visited at
// most once.
type spList struct {
	seen    []bool
	visited []uint32
	threads []spThread
	slab    []int // capture arrays are cut from here
}

// capCopy returns a copy of c cut from l's slab.
func (l *spList) capCopy(c []int) []int {
	if len(l.slab) < len(c) {
		l.slab = make([]int, 32*len(c))
	}
	out := l.slab[:len(c):len(c)]
	l.slab = l.slab[len(c):]
	copy(out, c)
	return out
}

func (l *spList) reset() {
	for _, pc := range l.visited {
		l.seen[pc] = false
	}
	l.visited, l.threads = l.visited[:0], l.threads[:0]
}

// getLists takes a pair of thread lists from the pool (putLists returns
// them).
func (sp *shortestProg) getLists() *[2]*spList {
	lists, _ := sp.lists.Get().(*[2]*spList)
	if lists == nil {
		n := len(sp.prog.Inst)
		lists = &[2]*spList{{seen: make([]bool, n)}, {seen: make([]bool, n)}}
	}
	return lists
}

func (sp *shortestProg) putLists(lists *[2]*spList) {
	lists[0].reset()
	lists[1].reset()
	sp.lists.Put(lists)
}

// match returns the submatch index slice (like FindStringSubmatchIndex) of
// the shortest match that starts exactly at byte pos of s, seeing the text
// before pos for its constraints, or nil.
func (sp *shortestProg) match(s string, pos int) []int {
	ncap := max(sp.prog.NumCap, 2)
	lists := sp.getLists()
	defer sp.putLists(lists)
	cur, next := lists[0], lists[1]
	before := rune(-1)
	if pos > 0 {
		before, _ = utf8.DecodeLastRuneInString(s[:pos])
	}
	start := make([]int, ncap)
	for i := range start {
		start[i] = -1
	}
	p := pos
	after, width := sp.runeAt(s, p)
	sp.add(cur, uint32(sp.prog.Start), start, p, before, after)
	for {
		// The first thread (in priority order) at a match instruction
		// is the shortest match with the preferred submatches.
		for _, t := range cur.threads {
			if sp.prog.Inst[t.pc].Op == syntax.InstMatch {
				m := append([]int(nil), t.cap...)
				m[0], m[1] = pos, p
				return m
			}
		}
		if len(cur.threads) == 0 || p >= len(s) {
			return nil
		}
		c := after
		np := p + width
		nafter, nwidth := sp.runeAt(s, np)
		next.reset()
		for _, t := range cur.threads {
			if in := &sp.prog.Inst[t.pc]; stepRune(in, c) {
				sp.add(next, in.Out, t.cap, np, c, nafter)
			}
		}
		cur, next = next, cur
		p, after, width = np, nafter, nwidth
	}
}

// emptyWidthOK reports whether the constraints op hold between before and
// after (-1 at the ends), with PostgreSQL's word characters (every letter
// and digit, not just ASCII) for \b and \B.
func emptyWidthOK(op syntax.EmptyOp, before, after rune) bool {
	ctx := syntax.EmptyOpContext(before, after) &^ (syntax.EmptyWordBoundary | syntax.EmptyNoWordBoundary)
	if isWordRune(before) != isWordRune(after) {
		ctx |= syntax.EmptyWordBoundary
	} else {
		ctx |= syntax.EmptyNoWordBoundary
	}
	return op&^ctx == 0
}

// search returns the submatch index slice of the leftmost match starting
// at byte pos or later (seeing the text before pos), the longest one from
// there when longest is set, else the shortest; or nil. It serves the
// patterns RE2 cannot run on s (word constraints on non-ASCII words).
func (sp *shortestProg) search(s string, pos int, longest bool) []int {
	ncap := max(sp.prog.NumCap, 2)
	lists := sp.getLists()
	defer sp.putLists(lists)
	cur, next := lists[0], lists[1]
	fresh := make([]int, ncap)
	for i := range fresh {
		fresh[i] = -1
	}
	startAt := func(l *spList, p int, before, after rune) {
		c := l.capCopy(fresh)
		c[0] = p
		sp.add(l, uint32(sp.prog.Start), c, p, before, after)
	}
	before := rune(-1)
	if pos > 0 {
		before, _ = utf8.DecodeLastRuneInString(s[:pos])
	}
	var best []int
	p := pos
	after, width := sp.runeAt(s, p)
	startAt(cur, p, before, after)
	for {
		for _, t := range cur.threads {
			if sp.prog.Inst[t.pc].Op != syntax.InstMatch {
				continue
			}
			if best == nil || t.cap[0] < best[0] || (longest && t.cap[0] == best[0] && p > best[1]) {
				best = append(best[:0], t.cap...)
				best[1] = p
			}
		}
		if p >= len(s) {
			return best
		}
		c := after
		np := p + width
		nafter, nwidth := sp.runeAt(s, np)
		next.reset()
		for _, t := range cur.threads {
			// Threads that cannot beat the match found are dropped.
			if best != nil && (t.cap[0] > best[0] || (!longest && t.cap[0] == best[0])) {
				continue
			}
			if in := &sp.prog.Inst[t.pc]; stepRune(in, c) {
				sp.add(next, in.Out, t.cap, np, c, nafter)
			}
		}
		if best == nil {
			startAt(next, np, c, nafter)
		} else if len(next.threads) == 0 {
			return best
		}
		cur, next = next, cur
		p, after, width = np, nafter, nwidth
	}
}

// runeAt is the rune at byte p of s and its width; -1 at the end.
func (sp *shortestProg) runeAt(s string, p int) (rune, int) {
	if p >= len(s) {
		return -1, 0
	}
	return utf8.DecodeRuneInString(s[p:])
}

// add puts pc and what it reaches without reading a character into l, in
// priority order; cap is copied where a capture instruction changes it.
func (sp *shortestProg) add(l *spList, pc uint32, cap []int, p int, before, after rune) {
	if l.seen[pc] {
		return
	}
	l.seen[pc] = true
	l.visited = append(l.visited, pc)
	in := &sp.prog.Inst[pc]
	switch in.Op {
	case syntax.InstFail:
	case syntax.InstAlt, syntax.InstAltMatch:
		sp.add(l, in.Out, cap, p, before, after)
		sp.add(l, in.Arg, cap, p, before, after)
	case syntax.InstNop:
		sp.add(l, in.Out, cap, p, before, after)
	case syntax.InstEmptyWidth:
		if emptyWidthOK(syntax.EmptyOp(in.Arg), before, after) {
			sp.add(l, in.Out, cap, p, before, after)
		}
	case syntax.InstCapture:
		if int(in.Arg) < len(cap) {
			c := l.capCopy(cap)
			c[in.Arg] = p
			sp.add(l, in.Out, c, p, before, after)
		} else {
			sp.add(l, in.Out, cap, p, before, after)
		}
	default: // InstMatch and the rune instructions
		l.threads = append(l.threads, spThread{pc: pc, cap: cap})
	}
}

// stepRune reports whether a thread at a rune-consuming instruction
// consumes c (false for the other instructions: they were followed when
// the thread was added).
func stepRune(in *syntax.Inst, c rune) bool {
	switch in.Op {
	case syntax.InstRune:
		return in.MatchRune(c)
	case syntax.InstRune1:
		return c == in.Rune[0]
	case syntax.InstRuneAny:
		return true
	case syntax.InstRuneAnyNotNL:
		return c != '\n'
	}
	return false
}

package pgexpr

import (
	crand "crypto/rand"
	"encoding/binary"
	"math"
	"math/bits"
	"sync"

	"github.com/dolthub/go-mysql-server/sql"
	"github.com/dolthub/go-mysql-server/sql/types"
)

// PRNG is PostgreSQL 15's pseudo-random generator (src/common/pg_prng.c):
// xoroshiro128** over 128 bits of state, seeded through splitmix64. A
// session's random() draws from its PRNG, so that after setseed(x) the
// session gets the very numbers PostgreSQL gives after setseed(x). The
// zero value is unseeded: the first draw seeds it from crypto/rand.
type PRNG struct {
	mu     sync.Mutex // a plan may evaluate rows on several goroutines
	s0, s1 uint64
	seeded bool
}

// SeedFloat is setseed(x) for x in [-1, 1]: PostgreSQL's pg_prng_fseed,
// which scales x by 2^52 - 1 and seeds with the integer part.
func (p *PRNG) SeedFloat(x float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seed(uint64(int64(float64(1<<52-1) * x)))
}

func (p *PRNG) seed(s uint64) {
	p.s0 = splitmix64(&s)
	p.s1 = splitmix64(&s)
	if p.s0 == 0 && p.s1 == 0 { // pg_prng_seed_check
		p.s0 = 0x5851F42D4C957F2D
		p.s1 = 0x14057B7EF767814F
	}
	p.seeded = true
}

// Float64 is random(): 52 random bits scaled to [0, 1).
func (p *PRNG) Float64() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.seeded {
		var b [8]byte
		_, _ = crand.Read(b[:]) // never fails
		p.seed(binary.LittleEndian.Uint64(b[:]))
	}
	s0, sx := p.s0, p.s1^p.s0
	v := bits.RotateLeft64(s0*5, 7) * 9
	p.s0 = bits.RotateLeft64(s0, 24) ^ sx ^ (sx << 16)
	p.s1 = bits.RotateLeft64(sx, 37)
	return math.Ldexp(float64(v>>(64-52)), -52)
}

func splitmix64(state *uint64) uint64 {
	*state += 0x9E3779B97F4A7C15
	v := *state
	v = (v ^ (v >> 30)) * 0xBF58476D1CE4E5B9
	v = (v ^ (v >> 27)) * 0x94D049BB133111EB
	return v ^ (v >> 31)
}

// sessionPRNG is the session's generator, or nil outside a session.
func sessionPRNG(ctx *sql.Context) *PRNG {
	if ctx == nil || ctx.Session == nil {
		return nil
	}
	if s, ok := ctx.Session.(interface{ Random() *PRNG }); ok {
		return s.Random()
	}
	return nil
}

// Random is random(): the next number of the session's PRNG, in [0, 1).
// It is volatile: every row draws a new one.
type Random struct{}

var (
	_ sql.Expression                 = Random{}
	_ sql.NonDeterministicExpression = Random{}
)

// InjectableRandom is the vitess Injectable form of Random.
type InjectableRandom struct{}

// WithResolvedChildren implements sqlparser.Injectable.
func (InjectableRandom) WithResolvedChildren(children []any) (any, error) {
	if len(children) != 0 {
		args := make([]sql.Expression, 0, len(children))
		for _, c := range children {
			if e, ok := c.(sql.Expression); ok {
				args = append(args, e)
			}
		}
		return nil, noSuchFunction("random", args)
	}
	return Random{}, nil
}

func (Random) Resolved() bool             { return true }
func (Random) String() string             { return "random()" }
func (Random) Type() sql.Type             { return types.Float64 }
func (Random) IsNullable() bool           { return false }
func (Random) Children() []sql.Expression { return nil }
func (Random) IsNonDeterministic() bool   { return true }
func (Random) CollationCoercibility(*sql.Context) (sql.CollationID, byte) {
	return sql.Collation_binary, 5
}

// WithChildren implements sql.Expression.
func (r Random) WithChildren(children ...sql.Expression) (sql.Expression, error) {
	if len(children) != 0 {
		return nil, sql.ErrInvalidChildrenNumber.New(r, len(children), 0)
	}
	return r, nil
}

// Eval implements sql.Expression.
func (Random) Eval(ctx *sql.Context, _ sql.Row) (any, error) {
	if p := sessionPRNG(ctx); p != nil {
		return p.Float64(), nil
	}
	var p PRNG
	return p.Float64(), nil
}

package exec

import (
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/arrow"

	"openwit/storage/index"
)

// tokensOf returns the postings' tokens of s: its maximal runs of token
// bytes (index.IsTokenByte), case preserved.
func tokensOf(s string) []string {
	var out []string
	for i := 0; i < len(s); {
		if !index.IsTokenByte(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && index.IsTokenByte(s[j]) {
			j++
		}
		out = append(out, s[i:j])
		i = j
	}
	return out
}

// TestCandidateRowsAreTheDefinition: over random multi-word messages and
// random LIKE and ILIKE patterns (words cut in the middle, punctuation,
// wildcards inside, escapes, case), the candidate rows of a row group are
// exactly the rows having, for every piece of the pattern (a run of token
// bytes, bound to a token's start or end by the literal around it), a
// token that holds it there: no more (the binary search of exact terms
// and prefixes finds no stray term) and no fewer (it misses none). Each
// matching row is a candidate.
func TestCandidateRowsAreTheDefinition(t *testing.T) {
	schema := schemaOf(field("msg", arrow.BinaryTypes.String), field("n", arrow.PrimitiveTypes.Int64))
	cols := names(schema)
	checked, narrowed := 0, 0
	for seed := range 3 {
		rng := rand.New(rand.NewPCG(uint64(seed), 54))
		rows := make([][]any, 400+rng.IntN(300))
		msgs := make([]string, len(rows))
		for i := range rows {
			msgs[i] = candidateMessage(rng)
			if rng.IntN(8) == 0 {
				msgs[i] = randomCase(rng, msgs[i])
			}
			rows[i] = []any{msgs[i], int64(i)}
		}
		groupRows := 100 + rng.IntN(200)
		_, ix := candidateFile(t, newBucket(t), schema, rows, groupRows)
		for range 150 {
			s := msgs[rng.IntN(len(msgs))]
			pat := randomPattern(rng, s)
			fold := rng.IntN(3) == 0
			if fold {
				pat = strings.ToLower(pat)
			}
			e := &Expr{Op: OpLike, Args: []*Expr{Col(0)}, Str: pat, Escape: `\`, Fold: fold}
			toks, err := likeTokens(pat, `\`)
			if err != nil {
				t.Fatal(err)
			}
			var pieces []termTest
			for i, tk := range toks {
				if tk.wild == 0 {
					pieces = append(pieces, literalPieces(tk.lit, i > 0, i+1 < len(toks))...)
				}
			}
			var useful []termTest
			for _, pc := range pieces {
				if !index.DigitsOnly(pc.s) && utf8.ValidString(pc.s) && !strings.ContainsRune(pc.s, utf8.RuneError) {
					useful = append(useful, pc)
				}
			}
			like, err := compileBytesMatch(e)
			if err != nil {
				t.Fatal(err)
			}
			for g := range ix.RowGroups {
				if ix.Column("msg").Postings[g] == nil {
					continue // past a vocabulary bound: nothing to check
				}
				got, ok := CandidateRows(e, cols, ix, g)
				if len(useful) == 0 {
					if ok {
						t.Fatalf("%q: row group %d has candidates from no piece", pat, g)
					}
					continue
				}
				if !ok {
					t.Fatalf("%q: row group %d: no candidates from pieces %v", pat, g, useful)
				}
				for r := range int(ix.RowGroups[g]) {
					row := g*groupRows + r
					want := true
					for _, pc := range useful {
						has := false
						for _, tk := range tokensOf(msgs[row]) {
							if fold {
								tk = strings.ToLower(tk)
							}
							if !index.DigitsOnly(tk) && pc.test(tk) {
								has = true
								break
							}
						}
						want = want && has
					}
					if got.Contains(uint32(r)) != want {
						t.Fatalf("%q (fold %v): row %q: candidate %v, want %v (pieces %v)", pat, fold, msgs[row], got.Contains(uint32(r)), want, useful)
					}
					if like([]byte(msgs[row])) && !want {
						t.Fatalf("%q: matching row %q is no candidate", pat, msgs[row])
					}
				}
				checked++
				if int64(got.GetCardinality()) < ix.RowGroups[g] {
					narrowed++
				}
			}
		}
	}
	t.Logf("%d row groups checked, %d narrowed", checked, narrowed)
	if checked < 500 || narrowed < 300 {
		t.Fatalf("%d row groups checked, %d narrowed: the test proves little", checked, narrowed)
	}
}

package exec

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// BenchmarkIndexRowGroupsLike measures what the coordinator does per file
// for a text search: the postings of a multi-word LIKE (candidate rows)
// and of a one-word LIKE (an exact count), over one row group of 50k
// log-like messages whose vocabulary holds ~10k terms (random words,
// as user names and keys are in real logs).
func BenchmarkIndexRowGroupsLike(b *testing.B) {
	rng := rand.New(rand.NewPCG(54, 1))
	pool := make([]string, 10_000)
	for k := range pool {
		w := make([]byte, 4+rng.IntN(6))
		for i := range w {
			w[i] = "abcdefghijklmnopqrstuvwxyz"[rng.IntN(26)]
		}
		pool[k] = string(w)
	}
	word := func() string { return pool[rng.IntN(len(pool))] }
	tables := []string{"orders", "users", "payments", "sessions", "orders_archive"}
	rows := make([][]any, 50_000)
	for i := range rows {
		var m string
		switch rng.IntN(4) {
		case 0:
			m = fmt.Sprintf("Timeout waiting for lock on %s after %dms", tables[rng.IntN(len(tables))], rng.IntN(300))
		case 1:
			m = fmt.Sprintf("cache miss for key %s:%d", word(), rng.IntN(1000000))
		case 2:
			m = fmt.Sprintf("user %s logged in from 10.0.%d.%d", word(), rng.IntN(256), rng.IntN(256))
		default:
			m = fmt.Sprintf("request timeout after %dms calling %s", rng.IntN(300), tables[rng.IntN(len(tables))])
		}
		rows[i] = []any{m, int64(i)}
	}
	schema := schemaOf(field("msg", arrow.BinaryTypes.String), field("n", arrow.PrimitiveTypes.Int64))
	cols := names(schema)
	_, ix := candidateFile(b, newBucket(b), schema, rows, len(rows))
	b.Logf("%d terms", len(ix.Column("msg").Postings[0].Terms))
	for _, pat := range []string{"%waiting for lock on orders%", "%timeout%"} {
		e := &Expr{Op: OpLike, Args: []*Expr{Col(0)}, Str: pat, Escape: `\`}
		b.Run(pat, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r := IndexRowGroups(e, cols, ix, true)
				if r[0].Count < 0 && r[0].Candidates == nil {
					b.Fatal("the postings said nothing")
				}
			}
		})
	}
}

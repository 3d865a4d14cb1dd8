package pgnet

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"openwit/internal/testpg"
)

// sortKeyEdges are values where network_cmp's rules meet: zero and full
// masks, both ends of each family, an IPv4 address inside IPv6, a mask
// length that splits a byte, inet with and without host bits.
var sortKeyEdges = []string{
	"0.0.0.0/0", "0.0.0.0", "0.0.0.0/1", "128.0.0.0/1", "127.255.255.255/1",
	"255.255.255.255", "255.255.255.255/0", "255.255.255.254/31", "255.255.255.255/31",
	"10.0.0.0/8", "10.0.0.1/8", "10.0.0.0/9", "10.128.0.0/9", "10.0.0.0/32", "10.0.0.0",
	"10.1.2.3", "10.1.2.3/24", "10.1.2.0/24", "10.1.2.0/23", "10.1.3.0/24", "10.1.2.255/25",
	"11.0.0.0/7", "9.255.255.255", "192.168.0.1/16", "192.168.0.0/16",
	"::/0", "::", "::1", "::/128", "::1/127", "::/1", "8000::/1",
	"::ffff:1.2.3.4", "::ffff:0:0/96", "::1.2.3.4", "::ffff:1.2.3.4/120",
	"2001:db8::/32", "2001:db8::1/32", "2001:db8::1", "2001:db8:0:1::/64", "2001:db8::/64",
	"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff::/16", "fe80::1/10", "fe80::/10",
}

func sortKeyValues(rng *rand.Rand) []Inet {
	var vals []Inet
	for _, s := range sortKeyEdges {
		a, err := ParseInet(s, false)
		if err != nil {
			panic(fmt.Sprintf("edge %q: %v", s, err))
		}
		vals = append(vals, a, a.Masked())
	}
	for range 500 {
		a := randomInet(rng)
		if rng.IntN(4) == 0 { // host bits under a short mask
			a.CIDR = false
			a.Bits = rng.IntN(a.Addr.BitLen() + 1)
		}
		vals = append(vals, a)
	}
	return vals
}

// TestSortKeyAgreesWithCompare: bytewise order of the sort keys is
// Key.Compare's (and so Inet.Compare's) on every pair.
func TestSortKeyAgreesWithCompare(t *testing.T) {
	vals := sortKeyValues(rand.New(rand.NewPCG(9, 2)))
	keys := make([][]byte, len(vals))
	for i, a := range vals {
		k := KeyOf(a)
		keys[i] = AppendSortKey(nil, &k)
		if want := map[uint8]int{4: SortKeyLen4, 6: SortKeyLen6}[k.Fam]; len(keys[i]) != want {
			t.Fatalf("sort key of %s has %d bytes, want %d", a, len(keys[i]), want)
		}
		got, err := SortKeyText(nil, a.String())
		if err != nil || !bytes.Equal(got, keys[i]) {
			t.Fatalf("SortKeyText(%q) = %x, %v; want %x", a.String(), got, err, keys[i])
		}
	}
	sign := func(x int) int { return min(max(x, -1), 1) }
	for i := range vals {
		for j := range vals {
			if g, w := bytes.Compare(keys[i], keys[j]), sign(vals[i].Compare(vals[j])); g != w {
				t.Fatalf("sort keys of %s, %s compare %d, network_cmp %d", vals[i], vals[j], g, w)
			}
		}
	}
}

// TestSortKeyOrderMatchesPostgres sorts a few hundred random and edge-case
// values in a real PostgreSQL 15, as inet and (those without host bits) as
// cidr, and by their sort keys in Go: the orders and the printed values
// must be the same.
func TestSortKeyOrderMatchesPostgres(t *testing.T) {
	srv := testpg.Start(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, srv.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	vals := sortKeyValues(rand.New(rand.NewPCG(3, 11)))
	for _, typ := range []string{"inet", "cidr"} {
		t.Run(typ, func(t *testing.T) {
			var ids []int32
			var texts []string
			for i, a := range vals {
				if typ == "cidr" {
					if a.Masked().Addr != a.Addr {
						continue
					}
					a.CIDR = true
				} else {
					a.CIDR = false
				}
				ids = append(ids, int32(i))
				texts = append(texts, a.String())
			}
			tbl := "sk_" + typ
			if _, err := conn.Exec(ctx, "CREATE TABLE "+tbl+" (i int, v "+typ+")"); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Exec(ctx, "INSERT INTO "+tbl+" SELECT i, v::"+typ+" FROM unnest($1::int[], $2::text[]) AS u(i, v)", ids, texts); err != nil {
				t.Fatal(err)
			}
			rows, err := conn.Query(ctx, "SELECT i, concat(v) AS txt FROM "+tbl+" ORDER BY "+tbl+".v, i")
			if err != nil {
				t.Fatal(err)
			}
			type row struct {
				i int32
				v string
			}
			pg, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (row, error) {
				var x row
				return x, r.Scan(&x.i, &x.v)
			})
			if err != nil {
				t.Fatal(err)
			}
			type keyed struct {
				row
				key []byte
			}
			goRows := make([]keyed, len(ids))
			for j := range ids {
				a, err := ParseInet(texts[j], typ == "cidr")
				if err != nil {
					t.Fatalf("ParseInet(%q): %v", texts[j], err)
				}
				out := a.String()
				key, err := SortKeyText(nil, out)
				if err != nil {
					t.Fatalf("SortKeyText(%q): %v", out, err)
				}
				goRows[j] = keyed{row{ids[j], out}, key}
			}
			slices.SortFunc(goRows, func(x, y keyed) int {
				if c := bytes.Compare(x.key, y.key); c != 0 {
					return c
				}
				return int(x.i - y.i)
			})
			if len(pg) != len(goRows) {
				t.Fatalf("PostgreSQL returned %d rows, Go has %d", len(pg), len(goRows))
			}
			if len(pg) < 300 {
				t.Fatalf("only %d values", len(pg))
			}
			t.Logf("%d %s values sorted alike", len(pg), typ)
			for j := range pg {
				if pg[j] != goRows[j].row {
					for x := max(0, j-6); x < min(len(pg), j+6); x++ {
						t.Logf("%d: pg %d %q go %d %q", x, pg[x].i, pg[x].v, goRows[x].i, goRows[x].v)
					}
					t.Fatalf("position %d: PostgreSQL %d %q, Go %d %q", j, pg[j].i, pg[j].v, goRows[j].i, goRows[j].v)
				}
			}
		})
	}
}

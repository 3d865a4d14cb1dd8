package proxy

import (
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func testPool(t testing.TB, gs ...Gateway) *pool {
	t.Helper()
	met, err := newMetrics(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	p := newPool(slog.New(slog.DiscardHandler), met, 2, 2)
	for _, b := range p.refresh(gs) {
		p.report(b, nil)
	}
	return p
}

// picks returns the names of n PostgreSQL picks.
func picks(p *pool, n int) string {
	var out []string
	for i := 0; i < n; i++ {
		b, _ := p.pick(protoPG, nil)
		if b == nil {
			out = append(out, "-")
			continue
		}
		out = append(out, b.gw.Name)
	}
	return strings.Join(out, "")
}

func TestSmoothWeightedRoundRobin(t *testing.T) {
	for _, tc := range []struct {
		name string
		gs   []Gateway
		want string
	}{
		// nginx's example: the heavy gateway's picks are spread out.
		{"5:1:1", []Gateway{{Name: "a", PGAddr: "h:1", Weight: 5}, {Name: "b", PGAddr: "h:2", Weight: 1}, {Name: "c", PGAddr: "h:3", Weight: 1}}, "aabacaa" + "aabacaa"},
		{"1:2:3", []Gateway{{Name: "a", PGAddr: "h:1", Weight: 1}, {Name: "b", PGAddr: "h:2", Weight: 2}, {Name: "c", PGAddr: "h:3", Weight: 3}}, "cbacbc" + "cbacbc"},
		{"equal", []Gateway{{Name: "a", PGAddr: "h:1"}, {Name: "b", PGAddr: "h:2"}}, "abab"},
		{"flight only is skipped", []Gateway{{Name: "a", FlightAddr: "h:1"}, {Name: "b", PGAddr: "h:2"}}, "bbb"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := testPool(t, tc.gs...)
			if got := picks(p, len(tc.want)); got != tc.want {
				t.Errorf("picks %s, want %s", got, tc.want)
			}
		})
	}
}

func TestPoolHealth(t *testing.T) {
	p := testPool(t, Gateway{Name: "a", PGAddr: "h:1"}, Gateway{Name: "b", PGAddr: "h:2"})
	a := p.byName["a"]
	fail := errors.New("refused")

	p.report(a, fail) // one failure (fall 2): still up
	if got := picks(p, 4); got != "abab" {
		t.Fatalf("after one failed check: %s", got)
	}
	p.report(a, fail)
	if got := picks(p, 3); got != "bbb" {
		t.Fatalf("after two failed checks: %s", got)
	}
	p.report(a, nil) // rise 2
	if got := picks(p, 2); got != "bb" {
		t.Fatalf("after one good check: %s", got)
	}
	p.report(a, nil)
	if got := picks(p, 2); !strings.Contains(got, "a") {
		t.Fatalf("after two good checks: %s", got)
	}
	p.markDown(a, fail) // a refused connection: down at once
	p.markDown(p.byName["b"], fail)
	if got := picks(p, 2); got != "--" {
		t.Fatalf("with every gateway down: %s", got)
	}
	// tried gateways are skipped.
	p.report(a, nil)
	p.report(a, nil)
	if b, _ := p.pick(protoPG, map[*backend]bool{a: true}); b != nil {
		t.Fatalf("picked %s although it was tried", b.gw.Name)
	}
}

func TestPoolRefresh(t *testing.T) {
	p := testPool(t, Gateway{Name: "a", PGAddr: "h:1"}, Gateway{Name: "b", PGAddr: "h:2"})
	a := p.byName["a"]
	// b leaves, c joins (down until checked), a's weight changes.
	bs := p.refresh([]Gateway{{Name: "a", PGAddr: "h:1", Weight: 3}, {Name: "c", PGAddr: "h:3"}})
	if len(bs) != 2 || bs[0] != a {
		t.Fatalf("refresh kept %d backends", len(bs))
	}
	if got := picks(p, 3); got != "aaa" {
		t.Fatalf("after b left and before c's first check: %s", got)
	}
	p.report(p.byName["c"], nil)
	if got := picks(p, 8); strings.Count(got, "a") != 6 || strings.Count(got, "c") != 2 {
		t.Fatalf("weights 3:1 picked %s", got)
	}
	if _, ok := p.byName["b"]; ok {
		t.Fatal("a removed gateway is still known")
	}
	// Invalid entries and duplicates are ignored.
	if bs := p.refresh([]Gateway{{Name: "a", PGAddr: "h:1"}, {Name: "a", PGAddr: "h:9"}, {Name: "x"}}); len(bs) != 1 {
		t.Fatalf("refresh kept %d backends, want 1", len(bs))
	}
}

func TestParseGateways(t *testing.T) {
	gs, err := ParseGateways(" pg=10.0.0.1:5433,flight=10.0.0.1:8815,weight=2 ; pg=10.0.0.2:5433 ;name=f,flight=10.0.0.3:8815;")
	if err != nil {
		t.Fatal(err)
	}
	want := []Gateway{
		{Name: "10.0.0.1:5433", PGAddr: "10.0.0.1:5433", FlightAddr: "10.0.0.1:8815", Weight: 2},
		{Name: "10.0.0.2:5433", PGAddr: "10.0.0.2:5433", Weight: 1},
		{Name: "f", FlightAddr: "10.0.0.3:8815", Weight: 1},
	}
	if len(gs) != len(want) {
		t.Fatalf("got %+v", gs)
	}
	for i := range want {
		if gs[i] != want[i] {
			t.Errorf("gateway %d: %+v, want %+v", i, gs[i], want[i])
		}
	}
	for in, msg := range map[string]string{
		"pg=h:1,weight=0":        "not a positive integer",
		"pg=h:1,weight=x":        "not a positive integer",
		"pg=h:1,weight=1001":     "outside 1..1000",
		"pg=nohost":              "missing port",
		"weight=2":               "needs a pg or a flight address",
		"pg=h:1,tls=on":          `unknown key "tls"`,
		"pg h:1":                 "want key=value",
		"pg=h:1;name=h:1,pg=h:2": "listed twice",
	} {
		if _, err := ParseGateways(in); err == nil || !strings.Contains(err.Error(), msg) {
			t.Errorf("ParseGateways(%q): %v, want an error with %q", in, err, msg)
		}
	}
}

package membership

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Status is the cluster as one node sees it: what GET /cluster answers
// and `openwit status` prints.
type Status struct {
	// Self is the id of the node that answered.
	Self string `json:"self"`
	// Gossip reports whether the node gossips; without it Nodes is the
	// node alone.
	Gossip bool     `json:"gossip"`
	Nodes  []Member `json:"nodes"`
	// Hints are scale-out hints by role.
	Hints []Hint `json:"hints"`
}

// Hint is a scale-out hint for one role.
type Hint struct {
	Role string `json:"role"`
	// Signal names what the advice is computed from; "" when no signal is
	// gossiped for the role yet.
	Signal string `json:"signal,omitempty"`
	// Value is the signal's current value (for utilization signals, load
	// per core over the alive nodes of the role).
	Value float64 `json:"value"`
	// Advice is "scale out", "ok", "scale in" or "TODO".
	Advice string `json:"advice"`
}

// Utilization bounds of the hints: over hintOut running queries or
// fragments per core the role should grow; under hintIn (with more than
// one node) it could shrink.
const (
	hintOut = 1.0
	hintIn  = 0.1
)

// NewStatus summarizes members (Members' answer) for self.
func NewStatus(self string, gossip bool, members []Member) Status {
	st := Status{Self: self, Gossip: gossip, Nodes: members}
	for _, r := range []struct{ role, signal string }{
		{"search", "running fragments per core"},
		{"coordinator", "running queries per core"},
		{"gateway", ""}, // connections: TODO
		{"ingest", ""},  // rows/s, WAL bytes not checkpointed: TODO
		{"storage", ""}, // upload lag: TODO
	} {
		h := Hint{Role: r.role, Signal: r.signal, Advice: "TODO"}
		if r.signal != "" {
			nodes, queries, cpus := 0, 0, 0
			for _, m := range members {
				if m.Health == Alive && m.HasRole(r.role) {
					nodes++
					queries += m.Load.Queries
					cpus += max(m.Load.CPUs, 1)
				}
			}
			if nodes == 0 {
				continue
			}
			h.Value = float64(queries) / float64(cpus)
			switch {
			case h.Value > hintOut:
				h.Advice = "scale out"
			case h.Value < hintIn && nodes > 1:
				h.Advice = "scale in"
			default:
				h.Advice = "ok"
			}
		}
		st.Hints = append(st.Hints, h)
	}
	if h, ok := cacheHint(members); ok {
		st.Hints = append(st.Hints, h)
	}
	return st
}

// cacheHintOut is the hit ratio under which the cache tier should grow:
// the hot set no longer fits the nodes' memory.
const cacheHintOut = 0.5

// cacheHint advises on the cache role from the mean hit ratio of the
// alive cache nodes; ok is false without any.
func cacheHint(members []Member) (Hint, bool) {
	nodes, sum := 0, 0.0
	for _, m := range members {
		if m.Health == Alive && m.HasRole("cache") {
			nodes++
			sum += m.Load.CacheHitRatio
		}
	}
	if nodes == 0 {
		return Hint{}, false
	}
	h := Hint{Role: "cache", Signal: "cache hit ratio", Value: sum / float64(nodes), Advice: "ok"}
	if h.Value < cacheHintOut {
		h.Advice = "scale out"
	}
	return h, true
}

// WriteTable prints st as `openwit status` shows it.
func (st Status) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tHEALTH\tROLES\tVERSION\tPG\tFLIGHT\tHTTP\tSEARCH\tWEIGHT\tQUERIES\tCPU\tFREE MEM\tBUFFER")
	for _, m := range st.Nodes {
		id := m.ID
		if m.Self {
			id += " *"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%g\t%d\t%.2f/%d\t%s\t%.0f%%\n",
			id, m.Health, strings.Join(m.Roles, ","), dash(m.Version), dash(m.PGAddr), dash(m.FlightAddr), dash(m.HTTPAddr),
			dash(m.SearchAddr), m.Weight, m.Load.Queries, m.Load.CPU, m.Load.CPUs, mib(m.Load.FreeMem), 100*m.Load.BufferFill)
	}
	fmt.Fprintln(tw)
	fmt.Fprintln(tw, "ROLE\tSIGNAL\tVALUE\tHINT")
	for _, h := range st.Hints {
		v := "-"
		if h.Signal != "" {
			v = fmt.Sprintf("%.2f", h.Value)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", h.Role, dash(h.Signal), v, h.Advice)
	}
	if !st.Gossip {
		fmt.Fprintln(tw, "\n(no gossip on this node: --gossip-addr is not set)")
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func mib(b uint64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%dMiB", b>>20)
}

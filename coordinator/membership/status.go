package membership

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
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
	// Advice is "scale out", "ok" or "scale in".
	Advice string `json:"advice"`
	// Detail is what else the operator should see next to the signal.
	Detail string `json:"detail,omitempty"`
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
	for _, r := range []struct {
		role, signal string
		value        func(Load) float64 // summed over the role's nodes, divided by their cores
		out          float64
	}{
		{"search", "running fragments per core", func(l Load) float64 { return float64(l.Queries) }, hintOut},
		{"coordinator", "running queries per core", func(l Load) float64 { return float64(l.Queries) }, hintOut},
		{"gateway", "CPU use per core", func(l Load) float64 { return l.CPU }, cpuHintOut},
		{"ingest", "CPU use per core", func(l Load) float64 { return l.CPU }, cpuHintOut},
	} {
		h := Hint{Role: r.role, Signal: r.signal}
		nodes, cpus, sum := 0, 0, 0.0
		var agg Load
		for _, m := range members {
			if m.Health == Alive && m.HasRole(r.role) {
				nodes++
				sum += r.value(m.Load)
				cpus += max(m.Load.CPUs, 1)
				agg.Conns += m.Load.Conns
				agg.IngestRate += m.Load.IngestRate
				agg.WALBytes += m.Load.WALBytes
				agg.Latency = max(agg.Latency, m.Load.Latency)
			}
		}
		if nodes == 0 {
			continue
		}
		h.Value = sum / float64(cpus)
		switch {
		case h.Value > r.out:
			h.Advice = "scale out"
		case h.Value < hintIn && nodes > 1:
			h.Advice = "scale in"
		default:
			h.Advice = "ok"
		}
		switch r.role {
		case "gateway":
			h.Detail = fmt.Sprintf("%d client connections; slowest mean query time %s", agg.Conns, seconds(agg.Latency))
		case "ingest":
			h.Detail = fmt.Sprintf("%.0f rows/s; WAL not checkpointed %s", agg.IngestRate, mib(uint64(agg.WALBytes)))
		}
		st.Hints = append(st.Hints, h)
	}
	for _, f := range []func([]Member) (Hint, bool){storageHint, indexerHint, cacheHint} {
		if h, ok := f(members); ok {
			st.Hints = append(st.Hints, h)
		}
	}
	return st
}

// cpuHintOut is the CPU use per core over which a role bound by CPU
// (gateway, ingest) should grow.
const cpuHintOut = 0.8

// lagHintOut is how many flush ages the oldest unpublished row may wait
// before the storage side is behind: flushes start at one flush age, so
// two mean the uploads do not keep up (or fail).
const lagHintOut = 2.0

// storageHint advises on the storage role from the upload lag of the
// nodes that buffer acknowledged rows (ingest nodes, whether they publish
// themselves or hand off to storage nodes): the worst node's lag, in
// flush ages. ok is false when no node gossips a flush age.
func storageHint(members []Member) (Hint, bool) {
	h := Hint{Role: "storage", Signal: "upload lag / flush age", Advice: "ok"}
	found := false
	var worst Member
	for _, m := range members {
		if m.Health != Alive || m.Load.FlushAge <= 0 {
			continue
		}
		found = true
		if v := m.Load.UploadLag / m.Load.FlushAge; v >= h.Value {
			h.Value, worst = v, m
		}
	}
	if !found {
		return h, false
	}
	if h.Value > lagHintOut {
		h.Advice = "scale out"
	}
	h.Detail = fmt.Sprintf("oldest unpublished row %s on %s (flush age %s)", seconds(worst.Load.UploadLag), worst.ID, seconds(worst.Load.FlushAge))
	return h, true
}

// queueHintOut is the index queue depth per indexer over which the
// indexer role should grow: each one builds a file's artifacts at a time.
const queueHintOut = 100

// indexerHint advises on the indexer role from the catalog's index queue
// depth (the largest any alive indexer reports: they share one queue)
// per alive indexer. ok is false without indexers.
func indexerHint(members []Member) (Hint, bool) {
	nodes, depth := 0, 0
	for _, m := range members {
		if m.Health == Alive && m.HasRole("indexer") {
			nodes++
			depth = max(depth, m.Load.IndexQueue)
		}
	}
	if nodes == 0 {
		return Hint{}, false
	}
	h := Hint{Role: "indexer", Signal: "index queue depth per indexer", Value: float64(depth) / float64(nodes), Advice: "ok"}
	if h.Value > queueHintOut {
		h.Advice = "scale out"
	}
	h.Detail = fmt.Sprintf("%d files waiting, %d indexers", depth, nodes)
	return h, true
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
	fmt.Fprintln(tw, "ROLE\tSIGNAL\tVALUE\tHINT\tDETAIL")
	for _, h := range st.Hints {
		fmt.Fprintf(tw, "%s\t%s\t%.2f\t%s\t%s\n", h.Role, h.Signal, h.Value, h.Advice, dash(h.Detail))
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

func seconds(s float64) string {
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond).String()
}

func mib(b uint64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%dMiB", b>>20)
}

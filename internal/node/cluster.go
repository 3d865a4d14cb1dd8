package node

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"openwit/coordinator/control"
	"openwit/coordinator/membership"
	"openwit/search"
	"openwit/version"
)

// startGossip names the node and, with --gossip-addr, joins the cluster
// (see docs/design/010-gossip-membership.md).
func (n *Node) startGossip() (err error) {
	if n.id, err = n.nodeID(); err != nil {
		return err
	}
	if n.cfg.GossipAddr == "" {
		return nil
	}
	adv, err := n.gossipAdvertise()
	if err != nil {
		return err
	}
	n.members, err = membership.New(membership.Config{
		Self: n.info(), BindAddr: n.cfg.GossipAddr, AdvertiseAddr: adv, Join: n.cfg.Join, Load: n.load,
		Logger: n.log.With("component", "gossip"),
	})
	n.gossiper.Store(n.members)
	return err
}

// gossipAdvertise is the gossip address other members reach this one at
// when --gossip-addr has an unspecified host and --advertise-host is set:
// that host's IP (memberlist advertises an IP); else empty (the bind
// address).
func (n *Node) gossipAdvertise() (string, error) {
	host, port, err := net.SplitHostPort(n.cfg.GossipAddr)
	if err != nil || n.cfg.AdvertiseHost == "" || !unspecified(host) {
		return "", err
	}
	if port == "0" {
		return "", errors.New("--advertise-host needs a fixed --gossip-addr port")
	}
	ips, err := net.LookupIP(n.cfg.AdvertiseHost)
	if err != nil || len(ips) == 0 {
		return "", fmt.Errorf("--advertise-host %s: resolve: %v", n.cfg.AdvertiseHost, err)
	}
	ip := ips[0]
	for _, i := range ips {
		if i.To4() != nil {
			ip = i
			break
		}
	}
	return net.JoinHostPort(ip.String(), port), nil
}

// advertised is the address other nodes reach a listener at: its own, with
// an unspecified host replaced by --advertise-host.
func (n *Node) advertised(l net.Listener) string {
	if l == nil {
		return ""
	}
	a := l.Addr().String()
	host, port, err := net.SplitHostPort(a)
	if err != nil || n.cfg.AdvertiseHost == "" || !unspecified(host) {
		return a
	}
	return net.JoinHostPort(n.cfg.AdvertiseHost, port)
}

// unspecified reports whether a listen host means every interface.
func unspecified(host string) bool {
	ip := net.ParseIP(host)
	return host == "" || (ip != nil && ip.IsUnspecified())
}

// nodeID is --node-id, else the id stored in the data dir (a front node
// owns one), else HOSTNAME-SEARCHPORT.
func (n *Node) nodeID() (string, error) {
	if n.cfg.NodeID != "" {
		return n.cfg.NodeID, nil
	}
	if n.lock == nil {
		host, _ := os.Hostname()
		port := "0"
		if n.srchLn != nil {
			_, port, _ = net.SplitHostPort(n.srchLn.Addr().String())
		} else if n.tier.ln != nil {
			_, port, _ = net.SplitHostPort(n.tier.ln.Addr().String())
		}
		return fmt.Sprintf("%s-%s", cmpOr(host, "openwit"), port), nil
	}
	path := filepath.Join(n.cfg.DataDir, "node_id")
	b, err := os.ReadFile(path)
	if err == nil && len(strings.TrimSpace(string(b))) > 0 {
		return strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("read node id: %w", err)
	}
	var r [6]byte
	rand.Read(r[:])
	id := "ow-" + hex.EncodeToString(r[:])
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("store node id: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("store node id: %w", err)
	}
	return id, nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// info is what this node gossips, without load.
func (n *Node) info() membership.Info {
	roles, _ := n.cfg.RoleSet()
	i := membership.Info{ID: n.id, Version: version.Version, Weight: n.cfg.Weight}
	for _, r := range []string{RoleGateway, RoleCoordinator, RoleIngest, RoleStorage, RoleSearch, RoleCache, RoleIndexer, RoleProxy} {
		if roles[r] && (r != RoleSearch || n.srchLn != nil) {
			i.Roles = append(i.Roles, r)
		}
	}
	addr := n.advertised
	i.PGAddr, i.FlightAddr, i.HTTPAddr, i.SearchAddr = addr(n.pgLn), addr(n.fsqlLn), addr(n.httpLn), addr(n.srchLn)
	i.CacheAddr = addr(n.tier.ln)
	i.StorageAddr = addr(n.storeLn)
	return i
}

// load samples what this node gossips as its load.
func (n *Node) load() membership.Load {
	l := membership.Load{CPUs: runtime.GOMAXPROCS(0)}
	l.CPU, l.FreeMem = n.sampler.Sample()
	if n.eng != nil {
		l.Queries += n.eng.Running()
	}
	if n.search != nil {
		l.Queries += n.search.Running()
	}
	l.CacheHitRatio = n.cacheHitRatio()
	m := gather(n.reg)
	if n.ing != nil {
		if n.cfg.FlushRows > 0 {
			l.BufferFill = min(float64(int(100*m.value("openwit_ingest_buffered_rows")/float64(n.cfg.FlushRows)))/100, 1)
		}
		l.WALBytes = int64(m.value("openwit_wal_bytes"))
		l.UploadLag = round(n.ing.UnpublishedAge().Seconds(), 10)
		l.FlushAge = n.cfg.FlushAge.Seconds()
	}
	l.Conns = int(m.value("openwit_pgwire_connections") + m.value("openwit_proxy_connections"))
	if roles, _ := n.cfg.RoleSet(); roles[RoleIndexer] {
		l.IndexQueue = int(m.value("openwit_index_queue_depth"))
	}
	// Rates over the time since the previous sample.
	rows, qn, qsum := m.value("openwit_ingest_rows_total"), m.histCount("openwit_pgwire_query_duration_seconds"), m.histSum("openwit_pgwire_query_duration_seconds")
	now := time.Now()
	r := &n.rates
	r.mu.Lock()
	if !r.at.IsZero() {
		if secs := now.Sub(r.at).Seconds(); secs > 0 && rows >= r.rows {
			l.IngestRate = round((rows-r.rows)/secs, 1)
		}
		if qn > r.queries {
			l.Latency = round((qsum-r.querySecs)/(qn-r.queries), 1000)
		}
	}
	r.at, r.rows, r.queries, r.querySecs = now, rows, qn, qsum
	r.mu.Unlock()
	return l
}

// loadRates is the previous load sample's counters.
type loadRates struct {
	mu                       sync.Mutex
	at                       time.Time
	rows, queries, querySecs float64
}

// round rounds v to 1/per: a load that did not really change is not
// re-gossiped.
func round(v, per float64) float64 { return math.Round(v*per) / per }

// metricSet is one Gather of a registry, by metric name.
type metricSet map[string]*dto.MetricFamily

func gather(g prometheus.Gatherer) metricSet {
	mfs, _ := g.Gather() // what could be gathered, on a partial error too
	m := make(metricSet, len(mfs))
	for _, mf := range mfs {
		m[mf.GetName()] = mf
	}
	return m
}

// value is the sum of a gauge's or counter's series (0 when absent).
func (m metricSet) value(name string) float64 {
	var v float64
	for _, s := range m[name].GetMetric() {
		v += s.GetGauge().GetValue() + s.GetCounter().GetValue() + s.GetUntyped().GetValue()
	}
	return v
}

func (m metricSet) histCount(name string) float64 {
	var v float64
	for _, s := range m[name].GetMetric() {
		v += float64(s.GetHistogram().GetSampleCount())
	}
	return v
}

func (m metricSet) histSum(name string) float64 {
	var v float64
	for _, s := range m[name].GetMetric() {
		v += s.GetHistogram().GetSampleSum()
	}
	return v
}

// searchWorkers returns the search workers of a query: the static
// --search-workers list (weight 1) united with the alive gossip members
// running the search role (their --weight). A member that gossip sees as
// suspect, dead or leaving is left out even when it is in the static
// list. This node's own search service counts only next to others (alone,
// running the fragments in process is cheaper) and with gossip on.
func (n *Node) searchWorkers() []search.Worker {
	var out []search.Worker
	skip := map[string]bool{}
	gossip := n.gossiper.Load() // not n.members: queries may run before gossip starts
	if gossip != nil {
		for _, m := range gossip.Members() {
			if m.SearchAddr == "" || !m.HasRole(RoleSearch) {
				continue
			}
			if m.Health != membership.Alive || m.Leaving || n.failedRecently(m.SearchAddr) {
				skip[m.SearchAddr] = true
				continue
			}
			if m.Self {
				continue
			}
			out = append(out, search.Worker{Addr: m.SearchAddr, Weight: m.Weight})
		}
	}
	for _, a := range n.cfg.SearchWorkers {
		if !skip[a] && (gossip == nil || !n.failedRecently(a)) && !slices.ContainsFunc(out, func(w search.Worker) bool { return w.Addr == a }) {
			out = append(out, search.Worker{Addr: a, Weight: 1})
		}
	}
	if len(out) > 0 && n.srchLn != nil && gossip != nil {
		self := n.advertised(n.srchLn)
		if !skip[self] && !slices.ContainsFunc(out, func(w search.Worker) bool { return w.Addr == self }) {
			out = append(out, search.Worker{Addr: self, Weight: n.cfg.Weight})
		}
	}
	return out
}

// storageNodes returns the storage services an ingester hands off to: the
// static --storage-nodes list united with the alive gossip members running
// the storage service (not leaving).
func (n *Node) storageNodes() []string {
	var out []string
	for _, a := range n.cfg.StorageNodes {
		if a != StorageNodesGossip {
			out = append(out, a)
		}
	}
	// Not n.members: the ingester hands replayed rows off before gossip
	// starts (a data race the chaos test found).
	if gossip := n.gossiper.Load(); gossip != nil {
		for _, m := range gossip.Members() {
			if m.StorageAddr != "" && m.HasRole(RoleStorage) && m.Health == membership.Alive && !m.Leaving && !slices.Contains(out, m.StorageAddr) {
				out = append(out, m.StorageAddr)
			}
		}
	}
	return out
}

// suspectFor is how long a coordinator skips a search worker it could not
// reach while gossip still has it alive.
const suspectFor = 5 * time.Second

// failedRecently reports whether this coordinator failed to reach the
// search worker at addr in the last suspectFor: a local suspicion, shown
// as suspect by /cluster, that spares the next queries the retries until
// gossip declares the worker dead (or the skip ends).
func (n *Node) failedRecently(addr string) bool {
	return n.client != nil && n.client.FailedWithin(addr, suspectFor)
}

// ClusterStatus is GET /cluster: the nodes this one knows (gossip), their
// health and load, scale-out hints, and the control plane as this node
// sees it (leader, quorum, jobs; absent on a node without one).
type ClusterStatus struct {
	membership.Status
	Control *control.Status `json:"control,omitempty"`
}

// WriteTable prints st as `openwit status` shows it.
func (st ClusterStatus) WriteTable(w io.Writer) error {
	if err := st.Status.WriteTable(w); err != nil {
		return err
	}
	c := st.Control
	if c == nil {
		_, err := fmt.Fprintln(w, "\ncontrol: none on this node (no --etcd-endpoints and no embedded etcd)")
		return err
	}
	leader := c.Leader
	if leader == "" {
		leader = "none"
	} else {
		leader += fmt.Sprintf(" (term %d)", c.LeaderTerm)
	}
	reachable := 0
	for _, m := range c.Members {
		if m.Reachable {
			reachable++
		}
	}
	fmt.Fprintf(w, "\ncontrol: leader %s, decisions %s, quorum %s; this node: %s; etcd members reachable %d/%d\n",
		leader, c.Decisions, yesNo(c.Quorum), c.Role, reachable, len(c.Members))
	if c.Error != "" {
		fmt.Fprintf(w, "control error: %s\n", c.Error)
	}
	if len(c.ShardOwners) > 0 {
		var parts []string
		for _, id := range slices.Sorted(maps.Keys(c.ShardOwners)) {
			parts = append(parts, fmt.Sprintf("%s %d", id, c.ShardOwners[id]))
		}
		fmt.Fprintf(w, "shards owned: %s\n", strings.Join(parts, ", "))
	}
	if c.Leader == "" && c.Quorum {
		fmt.Fprintln(w, "control warning: no node is a control candidate, so the cluster jobs (compaction, retention, garbage collection) do not run: give a node the control role")
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	if len(c.Jobs) > 0 {
		fmt.Fprintln(tw, "JOB\tRUNS\tLAST RUN\tBY\tPAUSED\tLAST ERROR")
	}
	for _, j := range c.Jobs {
		last := "-"
		if !j.LastRun.IsZero() {
			last = j.LastRun.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", j.Name, j.Runs, last, cmpOr(j.Holder, "-"), yesNo(j.Paused), cmpOr(j.LastError, "-"))
	}
	return tw.Flush()
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// serveCluster answers GET /cluster (ClusterStatus as JSON).
func (n *Node) serveCluster(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	var members []membership.Member
	gossip := n.gossiper.Load()
	if gossip != nil {
		members = gossip.Members()
		for i, m := range members {
			if m.Health == membership.Alive && m.SearchAddr != "" && n.failedRecently(m.SearchAddr) {
				members[i].Health = membership.Suspect
			}
		}
	} else {
		self := membership.Member{Info: n.info(), Health: membership.Alive, Self: true}
		self.Load = n.load()
		members = []membership.Member{self}
	}
	st := ClusterStatus{Status: membership.NewStatus(n.id, gossip != nil, members)}
	if n.ctl.on {
		ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
		defer cancel()
		if p, err := n.plane(ctx); err == nil && p != nil {
			c := p.Status(ctx)
			st.Control = &c
		} else {
			st.Control = &control.Status{NodeID: n.id, Role: control.RoleDisconnected, Decisions: "paused", Error: "control plane starting"}
		}
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(st)
}

package membership

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/memberlist"
)

// Info is what a node gossips about itself.
type Info struct {
	ID         string   `json:"id"`
	Version    string   `json:"v,omitempty"`
	Roles      []string `json:"r,omitempty"`
	PGAddr     string   `json:"pg,omitempty"`
	FlightAddr string   `json:"fl,omitempty"`
	HTTPAddr   string   `json:"http,omitempty"`
	SearchAddr string   `json:"srch,omitempty"`
	CacheAddr  string   `json:"cache,omitempty"`
	// StorageAddr is the storage service (hand-offs from ingest nodes).
	StorageAddr string  `json:"stor,omitempty"`
	Weight      float64 `json:"w,omitempty"`
	Load        Load    `json:"l"`
	// Leaving is set by a node that is shutting down: it takes no new
	// work and its leaving is not a failure.
	Leaving bool `json:"bye,omitempty"`
}

// HasRole reports whether the node runs role.
func (i Info) HasRole(role string) bool { return slices.Contains(i.Roles, role) }

// Load is a node's current load and capacity.
type Load struct {
	// Queries is how many queries (a coordinator) or fragments (a search
	// worker) run now.
	Queries int `json:"q"`
	// CPUs is the parallelism the process uses (GOMAXPROCS).
	CPUs int `json:"c,omitempty"`
	// CPU is the process's CPU use over the last interval, in cores.
	CPU float64 `json:"cpu"`
	// FreeMem is the host memory available, in bytes (0: unknown).
	FreeMem uint64 `json:"fm,omitempty"`
	// BufferFill is the ingest buffer's fill, 0 to 1 (ingest nodes).
	BufferFill float64 `json:"bf,omitempty"`
	// CacheHitRatio is a cache node's block hit ratio over the last five
	// minutes, 0 to 1.
	CacheHitRatio float64 `json:"hr,omitempty"`
	// Conns is the open client connections (gateway, proxy).
	Conns int `json:"cn,omitempty"`
	// IngestRate is the rows per second acknowledged over the last
	// interval (ingest).
	IngestRate float64 `json:"ir,omitempty"`
	// WALBytes is the WAL not yet checkpointed, in bytes (ingest).
	WALBytes int64 `json:"wb,omitempty"`
	// UploadLag is how long, in seconds, the oldest acknowledged row not
	// yet published has waited, and FlushAge the node's --flush-age in
	// seconds: past it publishing is behind (ingest).
	UploadLag float64 `json:"ul,omitempty"`
	FlushAge  float64 `json:"fa,omitempty"`
	// IndexQueue is the files waiting for index artifacts (indexer; the
	// queue is the catalog's, shared by all indexers).
	IndexQueue int `json:"iq,omitempty"`
	// Latency is the mean query time, in seconds, over the last interval
	// (gateway; 0 without queries).
	Latency float64 `json:"lat,omitempty"`
}

// Health is the local view of a member's liveness.
type Health string

// Health values.
const (
	Alive Health = "alive"
	// Suspect is not set by Membership: memberlist keeps its suspicion
	// internal. Callers report their own evidence with it.
	Suspect Health = "suspect"
	Dead    Health = "dead"
	Left    Health = "left"
)

// Member is one node of the local view.
type Member struct {
	Info
	// Health is the local node's opinion of the member.
	Health Health `json:"health"`
	// GossipAddr is the member's gossip address.
	GossipAddr string `json:"gossip_addr"`
	// Self marks the local node.
	Self bool `json:"self,omitempty"`
	// Since is when Health last changed.
	Since time.Time `json:"since"`
}

// Config configures a Membership.
type Config struct {
	// Self is what this node gossips; Self.ID is required and must be
	// unique in the cluster. Self.Load is replaced by Load's answers.
	Self Info
	// BindAddr is the gossip address (host:port, UDP and TCP); port 0
	// picks a free one. A loopback host uses memberlist's local-network
	// timings (1s probes), others its LAN timings.
	BindAddr string
	// AdvertiseAddr is the address other nodes reach this one at;
	// empty means BindAddr (with the port chosen when it was 0).
	AdvertiseAddr string
	// Join are the gossip addresses of existing members. New retries them
	// in the background until one answers.
	Join []string
	// Load samples the node's load; nil gossips a zero load.
	Load func() Load
	// Refresh is how often Load is sampled; 0 means 1s.
	Refresh time.Duration
	// Retain is how long dead and left members stay in the view; 0 means
	// 10 minutes.
	Retain time.Duration
	// Logger receives membership events (and memberlist's log); nil
	// discards them.
	Logger *slog.Logger
}

// maxQuietRefreshes bounds how many refresh intervals pass without
// re-advertising an unchanged load.
const maxQuietRefreshes = 10

// Membership is a running gossip member. It is safe for concurrent use.
type Membership struct {
	cfg  Config
	log  *slog.Logger
	ml   *memberlist.Memberlist
	addr string

	mu      sync.Mutex
	self    Info
	meta    []byte
	members map[string]*Member

	stop chan struct{}
	done sync.WaitGroup
}

// New starts gossiping on cfg.BindAddr and joins cfg.Join.
func New(cfg Config) (*Membership, error) {
	if cfg.Self.ID == "" {
		return nil, errors.New("membership: a node id is required")
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = time.Second
	}
	if cfg.Retain <= 0 {
		cfg.Retain = 10 * time.Minute
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	host, port, err := splitAddr(cfg.BindAddr)
	if err != nil {
		return nil, fmt.Errorf("membership: gossip address %q: %w", cfg.BindAddr, err)
	}
	m := &Membership{cfg: cfg, log: cfg.Logger, self: cfg.Self, members: map[string]*Member{}, stop: make(chan struct{})}
	if cfg.Load != nil {
		m.self.Load = cfg.Load()
	}
	if m.meta, err = encode(m.self); err != nil {
		return nil, err
	}
	mc := memberlist.DefaultLANConfig()
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		mc = memberlist.DefaultLocalConfig()
	}
	mc.Name = cfg.Self.ID
	mc.BindAddr, mc.BindPort = host, port
	mc.AdvertiseAddr, mc.AdvertisePort = host, port
	if cfg.AdvertiseAddr != "" {
		if mc.AdvertiseAddr, mc.AdvertisePort, err = splitAddr(cfg.AdvertiseAddr); err != nil {
			return nil, fmt.Errorf("membership: advertise address %q: %w", cfg.AdvertiseAddr, err)
		}
	}
	mc.Delegate = (*delegate)(m)
	mc.Events = (*events)(m)
	mc.Logger = log.New(&logWriter{log: m.log}, "", 0)
	if m.ml, err = memberlist.Create(mc); err != nil {
		return nil, fmt.Errorf("membership: start gossip on %s: %w", cfg.BindAddr, err)
	}
	ln := m.ml.LocalNode()
	m.addr = net.JoinHostPort(ln.Addr.String(), strconv.Itoa(int(ln.Port)))
	m.done.Add(1)
	go m.run()
	return m, nil
}

func splitAddr(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	if host == "" {
		host = "0.0.0.0"
	}
	return host, port, nil
}

func encode(i Info) ([]byte, error) {
	b, err := json.Marshal(i)
	if err != nil {
		return nil, err
	}
	if len(b) > memberlist.MetaMaxSize {
		// Too long: write the addresses on the HTTP address's host as
		// ":PORT" (decode puts the host back).
		host, _, _ := net.SplitHostPort(i.HTTPAddr)
		for _, a := range []*string{&i.PGAddr, &i.FlightAddr, &i.SearchAddr, &i.StorageAddr, &i.CacheAddr} {
			if h, port, err := net.SplitHostPort(*a); err == nil && h == host && host != "" {
				*a = ":" + port
			}
		}
		if b, err = json.Marshal(i); err != nil {
			return nil, err
		}
	}
	if len(b) > memberlist.MetaMaxSize {
		return nil, fmt.Errorf("membership: node meta is %d bytes, over memberlist's %d (shorten the node id or addresses)", len(b), memberlist.MetaMaxSize)
	}
	return b, nil
}

// Addr returns the gossip address others reach this node at.
func (m *Membership) Addr() string { return m.addr }

// run joins the seeds (retrying until one answers) and refreshes the
// load.
func (m *Membership) run() {
	defer m.done.Done()
	joined := len(m.cfg.Join) == 0
	t := time.NewTicker(m.cfg.Refresh)
	defer t.Stop()
	quiet := 0
	for {
		if !joined {
			n, err := m.ml.Join(m.cfg.Join)
			joined = n > 0
			if joined {
				m.log.Info("joined the cluster", "seeds", m.cfg.Join, "reached", n)
			} else {
				m.log.Warn("join failed; retrying", "seeds", m.cfg.Join, "err", err)
			}
		}
		select {
		case <-m.stop:
			return
		case <-t.C:
		}
		if m.cfg.Load == nil {
			continue
		}
		l := m.cfg.Load()
		m.mu.Lock()
		changed := l != m.self.Load
		if changed || quiet >= maxQuietRefreshes {
			m.self.Load = l
			meta, err := encode(m.self)
			if err == nil {
				m.meta = meta
			}
			m.mu.Unlock()
			quiet = 0
			if err := m.ml.UpdateNode(m.cfg.Refresh); err != nil {
				m.log.Debug("advertise load", "err", err)
			}
			continue
		}
		m.mu.Unlock()
		quiet++
	}
}

// Members returns the local view: every member, this node included, with
// its health, ordered by id.
func (m *Membership) Members() []Member {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	var out []Member
	for id, mb := range m.members {
		if (mb.Health == Dead || mb.Health == Left) && now.Sub(mb.Since) > m.cfg.Retain {
			delete(m.members, id)
			continue
		}
		c := *mb
		c.Roles = slices.Clone(mb.Roles)
		if id == m.cfg.Self.ID {
			c.Info, c.Self, c.Health = m.self, true, Alive
		}
		if c.Leaving && c.Health == Alive {
			c.Health = Left
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Member) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}

// Close leaves the cluster (telling the others, within ctx) and stops
// gossiping.
func (m *Membership) Close(ctx context.Context) error {
	select {
	case <-m.stop:
		return nil
	default:
	}
	close(m.stop)
	m.done.Wait()
	timeout := 2 * time.Second
	if dl, ok := ctx.Deadline(); ok {
		timeout = min(timeout, time.Until(dl))
	}
	m.mu.Lock()
	m.self.Leaving = true
	meta, err := encode(m.self)
	if err == nil {
		m.meta = meta
	}
	m.mu.Unlock()
	m.sayBye(timeout / 2)
	err = m.ml.Leave(timeout / 2)
	return errors.Join(err, m.ml.Shutdown())
}

// byePrefix starts the message a member sends every other before leaving.
var byePrefix = []byte("openwit-bye\x00")

// sayBye tells every member, directly over TCP (and by gossip through the
// Leaving meta), that this node is leaving, so that they take its
// departure for a leave, not a failure, and stop sending it work at once.
// memberlist's leave event cannot tell the two apart.
func (m *Membership) sayBye(timeout time.Duration) {
	msg := append(slices.Clone(byePrefix), m.cfg.Self.ID...)
	var wg sync.WaitGroup
	for _, mb := range m.Members() {
		if mb.Self || mb.Health != Alive {
			continue
		}
		// Built from our view: the nodes memberlist.Members returns are
		// its own, written concurrently.
		host, port, err := splitAddr(mb.GossipAddr)
		if err != nil {
			continue
		}
		n := &memberlist.Node{Name: mb.ID, Addr: net.ParseIP(host), Port: uint16(port)}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := m.ml.SendReliable(n, msg); err != nil {
				m.log.Debug("say bye", "node", n.Name, "err", err)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	if err := m.ml.UpdateNode(timeout); err != nil {
		m.log.Debug("advertise leaving", "err", err)
	}
	select {
	case <-done:
	case <-time.After(timeout):
	}
}

// delegate gives memberlist this node's meta; load travels in it (no
// custom broadcasts or push/pull state).
type delegate Membership

func (d *delegate) NodeMeta(limit int) []byte {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.meta) > limit {
		return nil
	}
	return d.meta
}

// NotifyMsg receives a leaving member's bye (see sayBye).
func (d *delegate) NotifyMsg(msg []byte) {
	id, ok := bytes.CutPrefix(msg, byePrefix)
	if !ok {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if mb := d.members[string(id)]; mb != nil {
		mb.Leaving = true
	}
}
func (d *delegate) GetBroadcasts(overhead, limit int) [][]byte { return nil }
func (d *delegate) LocalState(join bool) []byte                { return nil }
func (d *delegate) MergeRemoteState(buf []byte, join bool)     {}

// events keeps the view from memberlist's notifications.
type events Membership

func (e *events) NotifyJoin(n *memberlist.Node)   { e.set(n, Alive) }
func (e *events) NotifyUpdate(n *memberlist.Node) { e.set(n, Alive) }

func (e *events) NotifyLeave(n *memberlist.Node) {
	// memberlist does not tell a graceful leave from a failure here (the
	// node's State field is not the state): a node about to leave first
	// advertises Leaving.
	e.mu.Lock()
	h := Dead
	if mb := e.members[n.Name]; mb != nil && mb.Leaving {
		h = Left
	}
	e.mu.Unlock()
	e.set(n, h)
}

func (e *events) set(n *memberlist.Node, h Health) {
	info, err := decode(n.Meta)
	if err != nil || info.ID == "" {
		info = Info{ID: n.Name}
		if err != nil {
			e.log.Warn("unreadable node meta", "node", n.Name, "err", err)
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	mb, ok := e.members[n.Name]
	if !ok {
		mb = &Member{}
		e.members[n.Name] = mb
	}
	if mb.Health != h || !ok {
		mb.Since = time.Now()
		if n.Name != e.cfg.Self.ID {
			e.log.Info("member "+string(h), "node", n.Name, "gossip_addr", n.Address())
		}
	}
	if h == Alive || !ok {
		mb.Info = info
	}
	mb.Info.ID = n.Name
	mb.Health = h
	mb.GossipAddr = n.Address()
}

// logWriter turns memberlist's "[LEVEL] memberlist: msg" lines into slog
// records.
type logWriter struct{ log *slog.Logger }

func (w *logWriter) Write(p []byte) (int, error) {
	line := string(bytes.TrimSpace(p))
	level := slog.LevelDebug
	for prefix, l := range map[string]slog.Level{"[ERR]": slog.LevelError, "[WARN]": slog.LevelWarn, "[INFO]": slog.LevelDebug} {
		if i := bytes.Index(p, []byte(prefix)); i >= 0 {
			level = l
			line = string(bytes.TrimSpace(p[i+len(prefix):]))
			break
		}
	}
	if strings.Contains(line, "use of closed network connection") {
		level = slog.LevelDebug // a send racing our own shutdown
	}
	w.log.Log(context.Background(), level, "memberlist", "line", line)
	return len(p), nil
}

var _ io.Writer = (*logWriter)(nil)

// decode reads a node meta written by encode.
func decode(b []byte) (Info, error) {
	var i Info
	if err := json.Unmarshal(b, &i); err != nil {
		return Info{}, err
	}
	host, _, _ := net.SplitHostPort(i.HTTPAddr)
	for _, a := range []*string{&i.PGAddr, &i.FlightAddr, &i.SearchAddr, &i.StorageAddr, &i.CacheAddr} {
		if strings.HasPrefix(*a, ":") {
			*a = net.JoinHostPort(host, (*a)[1:])
		}
	}
	return i, nil
}

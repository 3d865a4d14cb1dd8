package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// Sentinel errors.
var (
	// ErrUnavailable: no etcd session (the cluster is unreachable or has
	// no quorum, or the plane is still connecting); the decision waits.
	ErrUnavailable = errors.New("control plane unavailable")
	// ErrStaleToken: the fencing token is no longer the current holder's;
	// the job's effects were not committed.
	ErrStaleToken = errors.New("stale fencing token")
	// ErrInvalid: an invalid argument (a malformed job name, ...).
	ErrInvalid = errors.New("invalid argument")
)

// DefaultLeaseTTL is the lease of a node's session: its registry key,
// its leadership and its job leases end this long after the node stops
// renewing it.
const DefaultLeaseTTL = 10 * time.Second

// Config configures a Plane.
type Config struct {
	// Endpoints are etcd client URLs.
	Endpoints []string
	// NodeID names this node in the registry and the election; unique in
	// the cluster.
	NodeID string
	// Roles and Addrs are published in the registry.
	Roles []string
	Addrs map[string]string
	// Campaign makes the node a candidate for the control leader (the
	// "control" role); the leader runs the jobs added with AddJob.
	Campaign bool
	// LeaseTTL is the session lease (DefaultLeaseTTL when 0; whole
	// seconds, at least 2 s).
	LeaseTTL time.Duration
	// LockTimeout bounds LockSchema (5 s when 0).
	LockTimeout time.Duration
	// Prefix starts every key ("/openwit/" when empty).
	Prefix     string
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Validate checks c and fills defaults.
func (c *Config) Validate() error {
	if len(c.Endpoints) == 0 {
		return fmt.Errorf("%w: no etcd endpoints", ErrInvalid)
	}
	if c.NodeID == "" || strings.ContainsAny(c.NodeID, "/\x00") {
		return fmt.Errorf("%w: node id %q (non-empty, no '/')", ErrInvalid, c.NodeID)
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = DefaultLeaseTTL
	}
	if c.LeaseTTL < 2*time.Second || c.LeaseTTL%time.Second != 0 {
		return fmt.Errorf("%w: lease TTL %s (whole seconds, at least 2s)", ErrInvalid, c.LeaseTTL)
	}
	if c.LockTimeout == 0 {
		c.LockTimeout = 5 * time.Second
	}
	if c.Prefix == "" {
		c.Prefix = "/openwit/"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Registerer == nil {
		c.Registerer = prometheus.NewRegistry()
	}
	return nil
}

// Election roles of a node (Status.Role).
const (
	RoleLeader       = "leader"
	RoleCandidate    = "candidate"
	RoleObserver     = "observer"     // does not run the control role
	RoleDisconnected = "disconnected" // no etcd session
)

// JobSpec is a periodic job the control leader runs.
type JobSpec struct {
	Name  string
	Every time.Duration
	Run   JobFunc
}

// JobFunc is one run of a job. token is the run's fencing token; effects
// the job commits must be fenced with it (Jobs.Commit, Jobs.Check or a
// store that remembers the highest token, like the catalog's Fence).
type JobFunc func(ctx context.Context, token int64) error

// Plane is this node's view of the control plane: an etcd session (one
// lease) that carries the node's registry key, its candidacy for the
// control leader and its job leases. Nothing on the query or ingest path
// uses it. Methods are safe for concurrent use.
type Plane struct {
	cfg    Config
	cli    *clientv3.Client
	log    *slog.Logger
	jobs   *Jobs
	owners *Owners

	mu       sync.Mutex
	sess     *concurrency.Session
	sessCh   chan struct{} // closed when sess is set; replaced when it ends
	role     string
	leaderID string // as seen when this node won or lost
	lastErr  string
	specs    []JobSpec
	jobErr   map[string]string

	schemaSem chan struct{} // one schema lock holder per process (a session has one mutex key)
	relays    []*NotifyRelay
	closers   []func() // background watchers (tables_clusterdml.go)

	cancel context.CancelFunc
	done   chan struct{}

	isLeader prometheus.Gauge
	hasSess  prometheus.Gauge
	runs     *prometheus.CounterVec
}

// New connects the client (lazily: New does not wait for etcd).
func New(cfg Config) (*Plane, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:            cfg.Endpoints,
		DialTimeout:          2 * time.Second,
		DialKeepAliveTime:    2 * time.Second,
		DialKeepAliveTimeout: 2 * time.Second,
		Logger:               newZapLogger(cfg.Logger, "etcd-client", nil),
	})
	if err != nil {
		return nil, fmt.Errorf("etcd client: %w", err)
	}
	f := promauto.With(cfg.Registerer)
	p := &Plane{
		cfg: cfg, cli: cli, log: cfg.Logger, sessCh: make(chan struct{}), role: RoleDisconnected,
		jobErr: map[string]string{}, schemaSem: make(chan struct{}, 1),
		isLeader: f.NewGauge(prometheus.GaugeOpts{Name: "openwit_control_leader",
			Help: "1 while this node is the control leader."}),
		hasSess: f.NewGauge(prometheus.GaugeOpts{Name: "openwit_control_session",
			Help: "1 while this node holds an etcd session (lease kept alive)."}),
		runs: f.NewCounterVec(prometheus.CounterOpts{Name: "openwit_control_job_runs_total",
			Help: "Job runs on this node by job and result (committed, failed, stale)."}, []string{"job", "result"}),
	}
	p.jobs = &Jobs{p: p, runs: map[int64]*jobRun{}, local: map[string]*sync.Mutex{}}
	p.owners = newOwners(p, cfg.Registerer)
	return p, nil
}

// Client is the etcd client (tests, status).
func (p *Plane) Client() *clientv3.Client { return p.cli }

// Jobs returns the job runner.
func (p *Plane) Jobs() *Jobs { return p.jobs }

// AddJob registers a periodic job run by the leader. Call before Start.
func (p *Plane) AddJob(s JobSpec) error {
	if err := checkJobName(s.Name); err != nil {
		return err
	}
	if s.Every <= 0 || s.Run == nil {
		return fmt.Errorf("%w: job %s needs a period and a function", ErrInvalid, s.Name)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.specs = append(p.specs, s)
	return nil
}

// Start runs the session loop in the background: obtain a lease, register
// the node, campaign, run the leader's jobs; start over when the lease is
// lost.
func (p *Plane) Start() {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go func() {
		defer close(p.done)
		p.loop(ctx)
	}()
}

// Close resigns, revokes the lease (the registry key goes at once) and
// closes the client.
func (p *Plane) Close() error {
	p.mu.Lock()
	relays, closers := p.relays, p.closers
	p.relays, p.closers = nil, nil
	p.mu.Unlock()
	for _, r := range relays {
		r.Close()
	}
	for _, c := range closers {
		c()
	}
	p.owners.stop()
	if p.cancel != nil {
		p.cancel()
		<-p.done
	}
	return p.cli.Close()
}

func (p *Plane) key(parts ...string) string { return p.cfg.Prefix + strings.Join(parts, "/") }

func (p *Plane) loop(ctx context.Context) {
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := p.session1(ctx)
		if ctx.Err() != nil {
			return
		}
		p.setErr(err)
		if err != nil {
			p.log.Warn("control plane session ended", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// session1 lives through one lease.
func (p *Plane) session1(ctx context.Context) error {
	ttl := int64(p.cfg.LeaseTTL / time.Second)
	gctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	lease, err := p.cli.Grant(gctx, ttl)
	cancel()
	if err != nil {
		return fmt.Errorf("grant lease: %w", err)
	}
	sess, err := concurrency.NewSession(p.cli, concurrency.WithLease(lease.ID), concurrency.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("start session: %w", err)
	}
	defer func() {
		// Revoke on a clean stop so the node leaves the registry and the
		// election at once; after a lost lease this fails harmlessly.
		rctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, _ = p.cli.Revoke(rctx, lease.ID)
		cancel()
	}()
	if err := p.register(ctx, sess); err != nil {
		return err
	}
	p.setSession(sess)
	defer p.setSession(nil)
	p.setErr(nil)
	p.log.Info("control plane session", "node_id", p.cfg.NodeID, "lease_ttl", p.cfg.LeaseTTL, "campaign", p.cfg.Campaign)
	sctx, scancel := context.WithCancel(ctx)
	defer scancel()
	var wg sync.WaitGroup
	if p.cfg.Campaign {
		wg.Go(func() { p.campaign(sctx, sess) })
	} else {
		p.setRole(RoleObserver)
	}
	select {
	case <-ctx.Done():
	case <-sess.Done():
	}
	scancel()
	wg.Wait()
	if ctx.Err() != nil {
		return nil
	}
	return errors.New("lease lost (etcd unreachable or without quorum for a whole lease TTL)")
}

// NodeInfo is a node's registry entry.
type NodeInfo struct {
	ID      string            `json:"id"`
	Roles   []string          `json:"roles"`
	Addrs   map[string]string `json:"addrs,omitempty"`
	Started time.Time         `json:"started"`
}

func (p *Plane) register(ctx context.Context, sess *concurrency.Session) error {
	b, _ := json.Marshal(NodeInfo{ID: p.cfg.NodeID, Roles: p.cfg.Roles, Addrs: p.cfg.Addrs, Started: time.Now().UTC()})
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if _, err := p.cli.Put(rctx, p.key("nodes", p.cfg.NodeID), string(b), clientv3.WithLease(sess.Lease())); err != nil {
		return fmt.Errorf("register node: %w", err)
	}
	return nil
}

func (p *Plane) campaign(ctx context.Context, sess *concurrency.Session) {
	e := concurrency.NewElection(sess, p.key("election", "control"))
	for ctx.Err() == nil {
		p.setRole(RoleCandidate)
		if err := e.Campaign(ctx, p.cfg.NodeID); err != nil {
			if ctx.Err() == nil {
				p.log.Warn("control campaign", "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(500 * time.Millisecond):
				}
			}
			continue
		}
		p.log.Info("control leader elected", "node_id", p.cfg.NodeID, "term", e.Rev())
		p.setRole(RoleLeader)
		p.leadJobs(ctx)
		// Leadership ends with the session (or Close): resign so a
		// clean stop hands over at once.
		rctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = e.Resign(rctx)
		cancel()
		p.setRole(RoleCandidate)
		return
	}
}

// leadJobs runs every job spec until ctx ends.
func (p *Plane) leadJobs(ctx context.Context) {
	p.mu.Lock()
	specs := append([]JobSpec(nil), p.specs...)
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, s := range specs {
		wg.Go(func() {
			for ctx.Err() == nil {
				next, err := p.jobs.RunEvery(ctx, s.Name, s.Every, s.Run)
				p.mu.Lock()
				if err != nil && ctx.Err() == nil {
					p.jobErr[s.Name] = err.Error()
					p.log.Warn("job failed", "job", s.Name, "err", err)
					next = min(max(next, time.Second), s.Every)
				} else if err == nil {
					delete(p.jobErr, s.Name)
				}
				p.mu.Unlock()
				select {
				case <-ctx.Done():
				case <-time.After(next):
				}
			}
		})
	}
	wg.Wait()
	<-ctx.Done() // leadership lasts as long as the session
}

func (p *Plane) setSession(s *concurrency.Session) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.sess = s
	if s != nil {
		close(p.sessCh)
		p.hasSess.Set(1)
	} else {
		p.sessCh = make(chan struct{})
		p.hasSess.Set(0)
		p.role = RoleDisconnected
		p.isLeader.Set(0)
	}
}

// session returns the live session, waiting for one until ctx ends.
func (p *Plane) session(ctx context.Context) (*concurrency.Session, error) {
	for {
		p.mu.Lock()
		s, ch := p.sess, p.sessCh
		p.mu.Unlock()
		if s != nil {
			select {
			case <-s.Done():
			default:
				return s, nil
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: no etcd session: %s", ErrUnavailable, p.errText())
		case <-time.After(50 * time.Millisecond): // a session that just expired
		}
	}
}

func (p *Plane) setRole(r string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.role = r
	if r == RoleLeader {
		p.isLeader.Set(1)
	} else {
		p.isLeader.Set(0)
	}
}

func (p *Plane) setErr(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil {
		p.lastErr = ""
	} else {
		p.lastErr = err.Error()
	}
}

func (p *Plane) errText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.lastErr == "" {
		return "connecting"
	}
	return p.lastErr
}

// hasSession reports whether the node holds an etcd session now.
func (p *Plane) hasSession() bool {
	p.mu.Lock()
	s := p.sess
	p.mu.Unlock()
	if s == nil {
		return false
	}
	select {
	case <-s.Done():
		return false
	default:
		return true
	}
}

// IsLeader reports whether this node is the control leader now.
func (p *Plane) IsLeader() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.role == RoleLeader
}

// LockSchema takes the cluster-wide schema lock (an etcd mutex) so that
// CREATE/DROP/ALTER TABLE of two gateways never interleave. It fails with
// ErrUnavailable when the lock cannot be had within the lock timeout (no
// quorum). The returned function releases it.
//
// Each attempt has its own short deadline: a request that reached the etcd
// leader just as it died is never answered, and waiting for it would spend
// the whole timeout on one lost proposal while a new leader is elected in
// about a second. A lost attempt may still be applied later and leave this
// session's waiter key behind, which would stop every other node's DDL for
// as long as this node lives; a failed LockSchema therefore deletes that
// key before the next LockSchema of this process may start.
func (p *Plane) LockSchema(ctx context.Context) (func(), error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.LockTimeout)
	defer cancel()
	select {
	case p.schemaSem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("%w: schema lock: another DDL statement of this node is still waiting", ErrUnavailable)
	}
	release := func() { <-p.schemaSem }
	sess, err := p.session(ctx)
	if err != nil {
		release()
		return nil, err
	}
	m := concurrency.NewMutex(sess, p.key("locks", "schema"))
	attempt := min(2*time.Second, p.cfg.LockTimeout)
	for {
		actx, acancel := context.WithTimeout(ctx, attempt)
		err := m.Lock(actx)
		acancel()
		if err == nil {
			break
		}
		if ctx.Err() != nil || errors.Is(err, concurrency.ErrSessionExpired) {
			go p.dropWaiter(sess, release)
			return nil, fmt.Errorf("%w: schema lock: %v", ErrUnavailable, err)
		}
		p.log.Debug("schema lock: retrying", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	return func() {
		uctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if m.Unlock(uctx) != nil {
			go p.dropWaiter(sess, release)
			return
		}
		release()
	}, nil
}

// dropWaiter deletes this session's schema-lock key, which a failed Lock or
// Unlock may have left, then lets the next LockSchema of this process in.
// It gives up when the session ends (its lease takes the key with it).
func (p *Plane) dropWaiter(sess *concurrency.Session, release func()) {
	defer release()
	key := fmt.Sprintf("%s/%x", p.key("locks", "schema"), sess.Lease())
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := p.cli.Delete(ctx, key)
		cancel()
		if err == nil {
			return
		}
		select {
		case <-sess.Done():
			return
		case <-time.After(500 * time.Millisecond):
		}
	}
}

var jobNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,99}$`)

func checkJobName(name string) error {
	if !jobNameRE.MatchString(name) {
		return fmt.Errorf("%w: job name %q (lowercase letters, digits, '_', '.', '-')", ErrInvalid, name)
	}
	return nil
}

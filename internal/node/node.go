// Package node assembles the OpenWit roles a process runs (Config.Roles):
// a front node (gateway, coordinator, ingest, storage) has the catalog,
// object store, write-ahead log, ingester, planner, the PostgreSQL wire and
// Flight SQL gateways; with --storage-nodes it drops the storage role and
// its ingester hands sealed buffers to storage nodes (storage/handoff). A
// storage node (--roles storage) has the catalog, the object store, the
// storage service on --storage-addr and the storage jobs, and no client
// ports; a Kafka ingest node (--roles ingest) has the catalog, the object
// store and the Kafka consumer. A search worker has the object store and
// the search service; a cache node has the object store behind memory
// and disk caches and the cache service (storage/cache), which the other
// roles read through (cacherole.go); every process has the HTTP endpoint (/healthz,
// /readyz with the roles, /metrics, /cluster) and, with --gossip-addr, a
// gossip member (coordinator/membership) whose view gives a coordinator
// its search workers and an ingester its storage nodes.
package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"openwit/coordinator/membership"
	"openwit/coordinator/proxy"
	"openwit/gateway"
	"openwit/gateway/flightsql"
	"openwit/gateway/pgwire"
	"openwit/ingest"
	"openwit/ingest/wal"
	"openwit/internal/notify"
	"openwit/planner"
	"openwit/search"
	"openwit/storage"
	"openwit/storage/catalog"
	"openwit/storage/compact"
	"openwit/storage/handoff"
	"openwit/storage/objstore"
	"openwit/version"
)

// Node is a running OpenWit process.
type Node struct {
	cfg       Config
	log       *slog.Logger
	reg       *prometheus.Registry
	ready     atomic.Bool
	cat       catalog.Catalog
	bucket    objstore.Bucket
	wal       *wal.WAL
	ing       *ingest.Ingester
	eng       *planner.Engine
	hub       *notify.Hub // LISTEN/NOTIFY; relayed through etcd when the control plane runs
	pg        *pgwire.Server
	pgLn      net.Listener
	flight    *flightsql.Server
	fsqlLn    net.Listener
	sec       security       // users, TLS configurations, token key
	search    *search.Server // the search service, when this process runs it
	srchLn    net.Listener
	client    *search.Client // the coordinator's client of the search workers
	proxy     *proxy.Proxy   // --roles proxy
	members   *membership.Membership
	gossiper  atomic.Pointer[membership.Membership] // members, for goroutines started before it
	id        string                                // node id
	sampler   membership.ProcessSampler
	rates     loadRates // the previous load sample (cluster.go)
	http      *http.Server
	httpLn    net.Listener
	lock      *os.File
	cacheLock *os.File
	tier      cacheTier    // cache role and client (cacherole.go)
	kafka     *kafkaRunner // Kafka ingest, when configured
	ctl       controlState // etcd control plane (control.go)
	pub       *storage.Publisher
	store     *handoff.Server // the storage service (--storage-addr)
	storeLn   net.Listener
	handoff   *handoff.Client // the ingester's publisher with --storage-nodes
	errc      chan error
	// stopIndexer stops the indexer role (nil: not running).
	stopIndexer func()
	stopJobs    func() // stops the storage jobs (compaction.go)
}

// Start builds every component and starts serving. The HTTP endpoint comes
// up first (answering 503 on /readyz) so orchestration can watch recovery.
func Start(ctx context.Context, cfg Config, log *slog.Logger) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: log, reg: prometheus.NewRegistry(), errc: make(chan error, 4)}
	if err := n.start(ctx); err != nil {
		n.closeAll(context.Background())
		return nil, err
	}
	return n, nil
}

func (n *Node) start(ctx context.Context) (err error) {
	cfg, log := n.cfg, n.log
	roles, err := cfg.RoleSet()
	if err != nil {
		return err
	}
	if n.sec, err = loadSecurity(&n.cfg); err != nil {
		return err
	}
	if roles.Front() || roles[RoleControl] || roles[RoleStorage] || roles[RoleIngest] {
		// A search worker writes nothing locally: the other roles own
		// (and lock) the data dir, which keeps their node id.
		if err := os.MkdirAll(cfg.DataDir, 0o755); err != nil {
			return fmt.Errorf("create data dir: %w", err)
		}
		if n.lock, err = lockDataDir(cfg.DataDir); err != nil {
			return err
		}
	}
	n.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	n.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "openwit_build_info", Help: "Build information.",
		ConstLabels: prometheus.Labels{"version": version.Version}}, func() float64 { return 1 }))

	if err := n.startHTTP(); err != nil {
		return err
	}
	if roles[RoleProxy] {
		// A proxy holds no data: no data dir, object store or catalog.
		if err := n.startProxy(ctx); err != nil {
			return err
		}
		if err := n.startGossip(); err != nil {
			return err
		}
		n.ready.Store(true)
		log.Info("openwit ready", "version", version.Version, "roles", cfg.Roles, "http_addr", n.httpLn.Addr().String(),
			"pg_addr", n.pgLn.Addr().String(), "flight_addr", n.fsqlLn.Addr().String(), "gateways", len(cfg.Gateways), "tls", cfg.TLSCert != "")
		return nil
	}
	n.startEmbeddedEtcd(ctx, roles)
	if n.bucket, err = objstore.Open(ctx, cfg.ObjectStore); err != nil {
		return fmt.Errorf("open object store: %w", err)
	}
	if err := n.startCacheTier(roles); err != nil {
		return err
	}
	attrs := []any{"version", version.Version, "roles", cfg.Roles, "http_addr", n.httpLn.Addr().String()}
	if roles.Front() {
		if err := n.startFront(ctx); err != nil {
			return err
		}
		attrs = append(attrs, "pg_addr", n.pgLn.Addr().String(), "flight_addr", n.fsqlLn.Addr().String(),
			"data_dir", cfg.DataDir, "search_workers", len(cfg.SearchWorkers), "auth", cfg.Auth, "tls", cfg.TLSCert != "")
	}
	if !roles.Front() && (roles[RoleStorage] || roles[RoleIngest]) {
		if err := n.startBackend(roles); err != nil {
			return err
		}
	}
	if roles[RoleStorage] && cfg.StorageAddr != "" {
		if err := n.startStorage(); err != nil {
			return err
		}
		attrs = append(attrs, "storage_addr", n.storeLn.Addr().String())
	}
	if len(cfg.StorageNodes) > 0 {
		attrs = append(attrs, "storage_nodes", strings.Join(cfg.StorageNodes, ","))
	}
	if roles[RoleSearch] && cfg.SearchAddr != "" {
		if err := n.startSearch(); err != nil {
			return err
		}
		attrs = append(attrs, "search_addr", n.srchLn.Addr().String())
	}
	if n.tier.ln != nil {
		attrs = append(attrs, "cache_addr", n.tier.ln.Addr().String(), "cache_memory", int64(cfg.CacheMemory), "cache_dir", cfg.CacheDir)
	}
	if err := n.startGossip(); err != nil {
		return err
	}
	attrs = append(attrs, "node_id", n.id)
	if n.members != nil {
		attrs = append(attrs, "gossip_addr", n.members.Addr())
	}
	if roles[RoleIndexer] {
		if err := n.startIndexer(ctx); err != nil {
			return err
		}
	}
	if roles[RoleControl] && n.cat == nil {
		if n.cat, err = catalog.Open(ctx, cfg.Catalog); err != nil {
			return fmt.Errorf("open catalog: %w", err)
		}
	}
	n.goControl(roles)
	n.ready.Store(true)
	log.Info("openwit ready", attrs...)
	return nil
}

// startIndexer runs the indexer role: it opens the catalog unless the
// front roles did.
func (n *Node) startIndexer(ctx context.Context) (err error) {
	if n.cat == nil {
		if n.cat, err = catalog.Open(ctx, n.cfg.Catalog); err != nil {
			return fmt.Errorf("open catalog: %w", err)
		}
	}
	host, _ := os.Hostname()
	ix, err := storage.NewIndexer(storage.IndexerConfig{Catalog: n.cat, Bucket: n.bucket,
		Owner: fmt.Sprintf("%s/%d", host, os.Getpid()), Lease: n.cfg.IndexLease, Logger: n.log, Registerer: n.reg,
		Failpoint: n.failpoint()})
	if err != nil {
		return err
	}
	ictx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = ix.Run(ictx)
	}()
	n.stopIndexer = func() { cancel(); <-done }
	return nil
}

// diskCache puts the local-disk read cache of --cache-dir in front of b
// when the object store is remote; otherwise it returns b.
func (n *Node) diskCache(b objstore.Bucket) (objstore.Bucket, error) {
	cfg := n.cfg
	if cfg.CacheDir == "" {
		return b, nil
	}
	if _, local := n.tier.direct.(*objstore.Local); local {
		n.log.Info("object cache off: the object store is a local directory", "cache_dir", cfg.CacheDir)
		return b, nil
	}
	if err := os.MkdirAll(cfg.CacheDir, 0o750); err != nil {
		return nil, fmt.Errorf("create cache dir: %w", err)
	}
	var err error
	if n.cacheLock, err = lockDir(cfg.CacheDir, "cache dir"); err != nil {
		return nil, err
	}
	c, err := objstore.NewCache(b, objstore.CacheConfig{Dir: cfg.CacheDir, MaxBytes: int64(cfg.CacheSize), Registerer: n.reg})
	if err != nil {
		return nil, err
	}
	n.log.Info("object cache on", "cache_dir", cfg.CacheDir, "cache_size", int64(cfg.CacheSize), "cached_bytes", c.Bytes())
	return c, nil
}

// startFront starts the gateway, coordinator, ingest and storage roles.
func (n *Node) startFront(ctx context.Context) (err error) {
	cfg, log := n.cfg, n.log
	if n.cat, err = catalog.Open(ctx, cfg.Catalog); err != nil {
		return fmt.Errorf("open catalog: %w", err)
	}
	if n.wal, err = wal.Open(wal.Options{Dir: filepath.Join(cfg.DataDir, "wal"), Logger: log, Registerer: n.reg}); err != nil {
		return fmt.Errorf("open wal: %w", err)
	}
	nodeID, err := n.nodeID() // batch ids (NODE:LSN) stay stable across restarts of one WAL
	if err != nil {
		return err
	}
	roles, _ := cfg.RoleSet()
	var pub ingest.Publisher
	if roles[RoleStorage] {
		pub = n.publisher()
	} else {
		// --storage-nodes: hand the buffers to the storage nodes.
		hc, err := n.handoffClient()
		if err != nil {
			return err
		}
		pub = &refreshingPublisher{n: n, next: hc} // handoff_clusterdml.go
	}
	n.ing, err = ingest.New(ctx, ingest.Config{NodeID: nodeID,
		WAL: n.wal, Catalog: n.cat, Logger: log, Registerer: n.reg,
		Publisher: pub,
		FlushRows: cfg.FlushRows, FlushBytes: cfg.FlushBytes, FlushAge: cfg.FlushAge,
		RefreshInterval: sharedCatalogRefresh(cfg.Catalog),
		BufferLimit:     int64(cfg.IngestBufferLimit), WALSizeLimit: int64(cfg.WALSizeLimit),
	})
	if err != nil {
		return fmt.Errorf("start ingest: %w", err)
	}
	n.ing.Start()
	if err := n.startKafka(); err != nil {
		return err
	}
	if !n.ctl.on && roles[RoleStorage] {
		// Without a control plane this node runs the storage jobs itself
		// (swaps are compare-and-set, so concurrent nodes stay correct);
		// with one, the control leader runs them (control.go).
		if err := n.startCompaction(alwaysLeader{}); err != nil {
			return err
		}
	}
	if len(cfg.SearchWorkers) > 0 || cfg.GossipAddr != "" {
		n.client = search.NewClient(search.ClientConfig{TLS: n.sec.searchClient})
		n.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "openwit_search_fragment_reruns_total",
			Help: "Fragments run again on another worker (or here) after their worker failed."},
			func() float64 { return float64(n.client.Reruns()) }))
		n.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "openwit_search_workers",
			Help: "Search workers a query would use now (static list and alive gossip members)."},
			func() float64 { return float64(len(n.searchWorkers())) }))
	}
	ixCache := int64(cfg.IndexCacheSize)
	if ixCache <= 0 {
		ixCache = -1 // off
	}
	n.hub = notify.NewHub(log)
	// DELETE and TRUNCATE rewrite and swap files as compaction does
	// (docs/design/067-delete-truncate.md).
	// Their rewritten files are written under DATA_DIR/tmp/delete before
	// the upload; what a crash left there is removed now.
	dmlTmp := filepath.Join(cfg.DataDir, "tmp", "delete")
	if err := os.RemoveAll(dmlTmp); err != nil {
		return fmt.Errorf("delete temporary directory: %w", err)
	}
	if err := os.MkdirAll(dmlTmp, 0o755); err != nil {
		return fmt.Errorf("delete temporary directory: %w", err)
	}
	dml, err := compact.New(compact.Config{Catalog: n.cat, Bucket: n.tier.direct, Grace: cfg.GarbageGrace, Logger: log,
		OnReplace: n.ing.ReplaceFiles, Failpoint: n.failpoint(), TempDir: dmlTmp})
	if err != nil {
		return err
	}
	if n.eng, err = planner.New(planner.Config{Catalog: n.cat, Notify: n.hub, Ingester: n.ing, Bucket: n.bucket, Logger: log, Registerer: n.reg, IndexCacheBytes: ixCache, DML: dml,
		DefaultShardDuration: cfg.ShardDuration, Workers: n.searchWorkers, Search: n.client,
		QueryMemoryLimit: n.engineMemoryLimit(), Users: n.sec.names, SchemaLock: n.lockSchema,
		ClusterFlush: n.clusterFlush, TablesChanged: n.tablesChanged,
		TxWriteMaxBytes: int64(cfg.TxnWriteLimit), NodeID: nodeID}); err != nil {
		return err
	}
	// Tables DROP TABLE set aside in blocks this node never ended (design
	// 102) get their names back; in the background, as renaming them waits
	// for the schema lock (the control plane).
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		if err := n.eng.RestoreSetAside(ctx); err != nil {
			log.Warn("give back tables set aside by DROP TABLE", "err", err)
		}
	}()
	sec := n.sec
	n.pg, err = pgwire.NewServer(pgwire.Config{
		Addr: cfg.PGAddr, Backend: &gateway.PGBackend{Engine: n.eng}, Logger: log, Registerer: n.reg,
		MaxMessageSize: cfg.MaxMessageSize, Trust: cfg.Auth == AuthTrust,
		Users: sec.users, TLS: sec.tls, TLSRequired: cfg.TLSRequired,
	})
	if err != nil {
		return err
	}
	if n.pgLn, err = net.Listen("tcp", cfg.PGAddr); err != nil {
		return fmt.Errorf("listen on --pg-addr: %w", err)
	}
	go func() { n.errc <- n.pg.Serve(context.Background(), n.pgLn) }()
	switch {
	case cfg.Auth == AuthTrust:
		log.Warn("trust authentication: loopback clients connect without a password (development default)", "pg_addr", cfg.PGAddr)
	case sec.tls == nil && !isLoopback(cfg.FlightAddr):
		log.Warn("no TLS: Flight SQL clients send passwords and tokens in clear text (set --tls-cert and --tls-key)", "flight_addr", cfg.FlightAddr)
	}
	n.flight, err = flightsql.New(flightsql.Config{
		Engine: n.eng, Ingester: n.ing, Catalog: n.cat, Logger: log, Registerer: n.reg, Trust: cfg.Auth == AuthTrust,
		Users: sec.users, TLS: sec.tls, TokenKey: sec.tokenKey,
	})
	if err != nil {
		return err
	}
	if n.fsqlLn, err = net.Listen("tcp", cfg.FlightAddr); err != nil {
		return fmt.Errorf("listen on --flight-addr: %w", err)
	}
	go func() {
		if err := n.flight.Serve(context.Background(), n.fsqlLn); err != nil {
			n.errc <- err
		}
	}()
	return nil
}

// publisher returns the node's storage.Publisher, built on first use: the
// local ingester's (roles all) and the storage service's.
func (n *Node) publisher() *storage.Publisher {
	if n.pub == nil {
		n.pub = &storage.Publisher{Bucket: n.bucket, Catalog: n.cat, DeferIndex: n.cfg.DeferIndex, Logger: n.log, Failpoint: n.failpoint(),
			MaxUploadAge: n.cfg.GarbageGrace / 2}
	}
	return n.pub
}

// handoffClient returns the storage service's client (--storage-nodes),
// made on first use: the ingester's publisher and the Kafka consumer's.
func (n *Node) handoffClient() (*handoff.Client, error) {
	if n.handoff == nil {
		hc := handoff.ClientConfig{Nodes: n.storageNodes,
			TLS: n.sec.searchClient, Logger: n.log, Registerer: n.reg, Failpoint: n.failpoint()}
		if n.ctl.on {
			hc.Owner = n.shardOwner
		}
		c, err := handoff.NewClient(hc)
		if err != nil {
			return nil, err
		}
		n.handoff = c
	}
	return n.handoff, nil
}

// startBackend starts a storage or Kafka ingest node without the front
// roles: the catalog, the Kafka consumer (publishing its own files and
// offsets), and the storage jobs when no control plane runs them.
func (n *Node) startBackend(roles Roles) (err error) {
	if n.cat, err = catalog.Open(context.Background(), n.cfg.Catalog); err != nil {
		return fmt.Errorf("open catalog: %w", err)
	}
	if roles[RoleIngest] {
		if err := n.startKafka(); err != nil {
			return err
		}
	}
	if roles[RoleStorage] && !n.ctl.on {
		return n.startCompaction(alwaysLeader{})
	}
	return nil
}

// startStorage starts the storage service on its own listener
// (storage/handoff, docs/design/017-storage-role.md).
func (n *Node) startStorage() (err error) {
	hc := handoff.Config{Publisher: n.publisher(), Catalog: n.cat,
		Logger: n.log, Registerer: n.reg, TLS: n.sec.searchServer, Failpoint: n.failpoint()}
	if n.ctl.on {
		hc.OwnedElsewhere = n.shardOwnedElsewhere
	}
	n.store, err = handoff.NewServer(hc)
	if err != nil {
		return err
	}
	if n.storeLn, err = net.Listen("tcp", n.cfg.StorageAddr); err != nil {
		return fmt.Errorf("listen on --storage-addr: %w", err)
	}
	go func() {
		if err := n.store.Serve(context.Background(), n.storeLn); err != nil {
			n.errc <- err
		}
	}()
	return nil
}

// controlCloseTimeout bounds how long Shutdown waits for the node to
// leave the control plane.
const controlCloseTimeout = 15 * time.Second

// startProxy starts the proxy role: PostgreSQL wire and Flight SQL
// listeners routing to the configured gateways (coordinator/proxy).
func (n *Node) startProxy(ctx context.Context) (err error) {
	cfg := proxy.DefaultConfig()
	cfg.Backends = proxy.Static(n.cfg.Gateways)
	if n.cfg.GossipAddr != "" {
		// Gossip starts after the listeners (it advertises them): the
		// proxy reads the members at its first health check.
		cfg.Backends = gossipGateways{static: n.cfg.Gateways, members: func() []membership.Member {
			if m := n.gossiper.Load(); m != nil {
				return m.Members()
			}
			return nil
		}}
	}
	cfg.TLS, cfg.TLSRequired = n.sec.tls, n.cfg.TLSRequired
	cfg.GatewayTLS = n.sec.searchClient // with --tls-ca: TLS to the gateways, verified against it
	cfg.Logger, cfg.Registerer = n.log, n.reg
	cfg.MaxMessageSize = n.cfg.MaxMessageSize
	if n.proxy, err = proxy.New(cfg); err != nil {
		return err
	}
	if n.pgLn, err = net.Listen("tcp", n.cfg.PGAddr); err != nil {
		return fmt.Errorf("listen on --pg-addr: %w", err)
	}
	if n.fsqlLn, err = net.Listen("tcp", n.cfg.FlightAddr); err != nil {
		return fmt.Errorf("listen on --flight-addr: %w", err)
	}
	n.proxy.Start(ctx)
	go func() {
		if err := n.proxy.ServePG(n.pgLn); err != nil {
			n.errc <- err
		}
	}()
	go func() {
		if err := n.proxy.ServeFlight(n.fsqlLn); err != nil {
			n.errc <- err
		}
	}()
	return nil
}

// sharedCatalogRefresh is how often the ingester loads tables and files
// other nodes published: only a PostgreSQL catalog is shared.
func sharedCatalogRefresh(url string) time.Duration {
	if strings.HasPrefix(url, "postgres") {
		return time.Second
	}
	return 0
}

// engineMemoryLimit is --query-memory-limit as planner.Config wants it:
// -1 for no limit.
func (n *Node) engineMemoryLimit() int64 {
	b, _ := n.cfg.QueryMemoryBytes() // checked by Validate
	if b == 0 {
		return -1
	}
	return b
}

// startSearch starts the search service on its own listener (see
// docs/design/003-distributed-fragments.md).
func (n *Node) startSearch() (err error) {
	n.search, err = search.New(search.Config{Bucket: n.bucket, Logger: n.log, Registerer: n.reg, TLS: n.sec.searchServer,
		Parallelism: runtime.GOMAXPROCS(0), MemoryLimit: max(n.engineMemoryLimit(), 0)})
	if err != nil {
		return err
	}
	if n.srchLn, err = net.Listen("tcp", n.cfg.SearchAddr); err != nil {
		return fmt.Errorf("listen on --search-addr: %w", err)
	}
	go func() {
		if err := n.search.Serve(context.Background(), n.srchLn); err != nil {
			n.errc <- err
		}
	}()
	return nil
}

func (n *Node) startHTTP() error {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusOK)
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !n.ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		roles, _ := n.cfg.RoleSet()
		fmt.Fprintln(w, "ready")
		fmt.Fprintln(w, "roles:", strings.Join(roles.Names(), ","))
	})
	mux.HandleFunc("/cluster", n.serveCluster)
	mux.HandleFunc("GET /control", n.serveControl)
	mux.Handle("/metrics", promhttp.HandlerFor(n.reg, promhttp.HandlerOpts{Registry: n.reg}))
	// Go's profiler, for operators (CPU, heap, goroutines); --http-addr
	// is loopback unless set otherwise.
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	ln, err := net.Listen("tcp", n.cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen on --http-addr: %w", err)
	}
	n.httpLn = ln
	n.http = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := n.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.errc <- err
		}
	}()
	return nil
}

// Err reports a fatal serving error.
func (n *Node) Err() <-chan error { return n.errc }

// Flush publishes every buffered row as Parquet files (`openwit bench`
// flushes after loading so queries read Parquet).
func (n *Node) Flush(ctx context.Context) error {
	if n.ing == nil { // a search-only node holds no rows
		return nil
	}
	return n.ing.Flush(ctx)
}

// TableFiles returns the object store keys of the table's live data files
// (published and not retired by compaction), as the catalog lists them.
// Retired files stay in the object store for the garbage grace period, so
// a listing of the store is not the table (`openwit bench` gives DuckDB
// these).
func (n *Node) TableFiles(ctx context.Context, table string) ([]string, error) {
	if n.cat == nil {
		return nil, errors.New("this node has no catalog")
	}
	t, err := n.cat.GetTable(ctx, table)
	if err != nil {
		return nil, err
	}
	files, err := n.cat.ListFiles(ctx, t.ID)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(files))
	for i, f := range files {
		keys[i] = f.Path
	}
	return keys, nil
}

// Shutdown stops accepting work, finishes running statements, publishes
// every buffered row and closes the WAL and catalog.
func (n *Node) Shutdown(ctx context.Context) error {
	n.ready.Store(false)
	return n.closeAll(ctx)
}

func (n *Node) closeAll(ctx context.Context) error {
	var errs []error
	if n.members != nil {
		// Leave first: coordinators stop sending fragments here.
		if err := n.members.Close(ctx); err != nil {
			n.log.Warn("leave the cluster", "err", err)
		}
	}
	if n.stopIndexer != nil {
		n.stopIndexer()
	}
	if n.pg != nil {
		if err := n.pg.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop pgwire: %w", err))
		}
	} else if n.pgLn != nil {
		n.pgLn.Close()
	}
	if n.proxy != nil {
		if err := n.proxy.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop proxy: %w", err))
		}
	}
	if n.flight != nil {
		if err := n.flight.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop flight sql: %w", err))
		}
	}
	if n.fsqlLn != nil {
		n.fsqlLn.Close()
	}
	if n.search != nil {
		if err := n.search.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop search: %w", err))
		}
	}
	if n.srchLn != nil {
		n.srchLn.Close()
	}
	if n.store != nil {
		// Running hand-offs finish (their ingest nodes retry otherwise).
		if err := n.store.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("stop storage: %w", err))
		}
	}
	if n.storeLn != nil {
		n.storeLn.Close()
	}
	if err := n.stopCacheTier(ctx); err != nil {
		errs = append(errs, err)
	}
	n.stopKafka(ctx) // publishes its buffers before the catalog closes
	if n.stopJobs != nil {
		n.stopJobs()
	}
	// Leaving the control plane (resign, revoke, stop the embedded etcd
	// member) is bounded: the lease expires anyway, and publishing the
	// buffers below matters more than a tidy exit from etcd.
	n.unregisterIngester(ctx) // tables_clusterdml.go
	ctlDone := make(chan struct{})
	go func() { n.closeControl(); close(ctlDone) }()
	select {
	case <-ctlDone:
	case <-time.After(controlCloseTimeout):
		n.log.Warn("leaving the control plane is taking too long; going on", "after", controlCloseTimeout)
	}
	if n.pub != nil {
		n.pub.DeferIndexFromNow() // publish fast; the indexer role builds the artifacts later
	}
	if n.ing != nil {
		if err := n.ing.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("flush buffers: %w", err))
		}
	}
	if n.handoff != nil {
		n.handoff.Close()
	}
	if n.eng != nil {
		n.eng.Close()
	}
	if n.client != nil {
		n.client.Close()
	}
	if n.wal != nil {
		if err := n.wal.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close wal: %w", err))
		}
	}
	if n.cat != nil {
		if err := n.cat.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close catalog: %w", err))
		}
	}
	if n.http != nil {
		n.http.Shutdown(ctx)
	}
	if n.lock != nil {
		n.lock.Close()
	}
	if n.cacheLock != nil {
		n.cacheLock.Close()
	}
	return errors.Join(errs...)
}

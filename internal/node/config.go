package node

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"openwit/coordinator/proxy"
	"openwit/gateway/auth"
	"openwit/ingest"
	"openwit/planner/pgtypes"
)

// Config is the configuration of one `openwit serve` process. Flags
// override the optional YAML file (--config), which overrides defaults.
type Config struct {
	DataDir    string `yaml:"data_dir"`
	PGAddr     string `yaml:"pg_addr"`
	FlightAddr string `yaml:"flight_addr"`
	HTTPAddr   string `yaml:"http_addr"`
	// Roles is a comma-separated list of the roles to run (see
	// ParseRoles): "all" (the default), "gateway,coordinator" (a front
	// node), "storage" (a storage node), "ingest" (a Kafka ingest node),
	// "search" (a search worker) or "proxy" (alone; not part of "all").
	Roles string `yaml:"roles"`
	// StorageAddr is where the storage service listens (Arrow Flight
	// DoPut hand-offs from ingest nodes; storage/handoff). A process
	// running storage without gateway defaults to DefaultStorageAddr;
	// with a front node it runs only when set.
	StorageAddr string `yaml:"storage_addr"`
	// StorageNodes are the storage services (host:port) a front node's
	// ingester hands its buffers to, and where a Kafka consumer without
	// the storage role stages its files; with them a front node runs no
	// storage role itself. "gossip" alone: the live gossip members
	// running the storage service (they are added to a static list too).
	StorageNodes []string `yaml:"storage_nodes"`
	// SearchAddr is where the search service listens (Arrow Flight,
	// internal traffic). A search worker defaults to DefaultSearchAddr;
	// with --roles all it runs only when set.
	SearchAddr string `yaml:"search_addr"`
	// SearchWorkers are the search workers (host:port) a coordinator
	// sends fragments over Parquet files to; empty runs them in process.
	SearchWorkers []string `yaml:"search_workers"`
	// Gateways are the gateways a proxy (--roles proxy) spreads clients
	// over by weighted round-robin (--gateways "pg=H:P,flight=H:P,weight=N;...").
	Gateways []proxy.Gateway `yaml:"gateways"`
	// NodeID names this node in the cluster (gossip); empty means the id
	// stored in DATA_DIR/node_id (a front node) or HOSTNAME-SEARCHPORT (a
	// search worker).
	NodeID string `yaml:"node_id"`
	// GossipAddr is the gossip (memberlist) address, UDP and TCP; empty
	// runs no gossip. Join are gossip addresses of existing members.
	GossipAddr string   `yaml:"gossip_addr"`
	Join       []string `yaml:"join"`
	// AdvertiseHost is the host name or IP other nodes reach this one at:
	// it replaces an unspecified listen host (0.0.0.0, ::) in the
	// addresses the node gossips and registers (containers, NAT). Empty:
	// the listen addresses as they are.
	AdvertiseHost string `yaml:"advertise_host"`
	// Weight is this node's relative capacity as a search worker: it owns
	// files in proportion (weighted rendezvous hashing).
	Weight float64 `yaml:"weight"`
	// Catalog is the catalog URL: sqlite:PATH (default DATA_DIR/catalog.db)
	// or postgres://...
	Catalog string `yaml:"catalog"`
	// ObjectStore is the object store URL: file:///PATH (default
	// DATA_DIR/objects) or s3://BUCKET/PREFIX?endpoint=URL&region=R.
	ObjectStore string `yaml:"object_store"`
	// CacheDir, when set and the object store is not a local directory,
	// holds a local-disk read cache of object blocks of at most CacheSize
	// bytes (storage/objstore Cache).
	CacheDir  string   `yaml:"cache_dir"`
	CacheSize ByteSize `yaml:"cache_size"`
	// CacheAddr is where the cache role serves (storage/cache; default
	// DefaultCacheAddr); CacheMemory bounds its memory LRU, in front of
	// CacheDir (default DATA_DIR/cache for the cache role). CacheNodes
	// are cache nodes (host:port) that search workers and coordinators
	// read objects through, besides those gossip finds.
	CacheAddr   string   `yaml:"cache_addr"`
	CacheMemory ByteSize `yaml:"cache_memory"`
	CacheNodes  []string `yaml:"cache_nodes"`
	// Auth is "trust" (the default: no passwords, loopback only) or
	// "password" (alias "scram-sha-256": SCRAM-SHA-256 on the PostgreSQL
	// wire, Basic credentials checked against the same verifiers on
	// Flight SQL).
	Auth string `yaml:"auth"`
	// Users are the accounts of password authentication; plaintext
	// passwords are turned into verifiers at start (see package
	// gateway/auth).
	Users []auth.Entry `yaml:"users"`
	// UsersFile is a YAML file with more users (a top-level "users" list,
	// same entries).
	UsersFile string `yaml:"users_file"`
	// TLSCert and TLSKey are PEM files of the server certificate (chain)
	// and its key, used by the PostgreSQL wire (after SSLRequest) and
	// Flight SQL (TLS only) gateways.
	TLSCert string `yaml:"tls_cert"`
	TLSKey  string `yaml:"tls_key"`
	// TLSRequired refuses PostgreSQL wire clients that do not negotiate
	// TLS (Flight SQL with a certificate is TLS only anyway).
	TLSRequired bool `yaml:"tls_required"`
	// TLSCA is a PEM bundle of the CAs that sign the nodes' certificates.
	// With it (and TLSCert/TLSKey) the search service runs mutual TLS: a
	// worker accepts only coordinators presenting a certificate from
	// these CAs, and a coordinator verifies workers against them.
	TLSCA string `yaml:"tls_ca"`
	// TokenKeyFile holds the key (at least 32 bytes) that signs Flight SQL
	// bearer tokens, so gateways sharing it accept each other's tokens.
	// Empty: a random key per process.
	TokenKeyFile string `yaml:"token_key_file"`
	LogLevel     string `yaml:"log_level"`
	// Ingest buffers are flushed to Parquet files at these thresholds.
	FlushRows  int64         `yaml:"flush_rows"`
	FlushBytes int64         `yaml:"flush_bytes"`
	FlushAge   time.Duration `yaml:"flush_age"`
	// DeferIndex publishes files without index artifacts and leaves them
	// to the indexer role (the catalog's index queue) instead of building
	// them in the publish path.
	DeferIndex bool `yaml:"defer_index"`
	// HeapHugePages advises the Go heap to use transparent huge pages
	// where the host leaves them to applications (internal/hugepages).
	// `openwit serve` reads it; the node itself does not.
	HeapHugePages bool `yaml:"heap_huge_pages"`
	// IndexLease is how long the indexer role holds a queued file: a build
	// must finish within it, and the file of a builder that died is taken
	// by another after it. 0 means one minute.
	IndexLease time.Duration `yaml:"index_lease"`
	// IndexCacheSize bounds the index artifacts a coordinator keeps
	// decoded for pruning; 0 turns pruning by artifacts off.
	IndexCacheSize ByteSize `yaml:"index_cache_size"`
	// IngestBufferLimit and WALSizeLimit bound the rows held in memory and
	// the WAL; past them producers get a retryable error (SQLSTATE 53000,
	// gRPC ResourceExhausted) instead of the node running out of memory.
	IngestBufferLimit ByteSize `yaml:"ingest_buffer_limit"`
	WALSizeLimit      ByteSize `yaml:"wal_size_limit"`
	// ShardDuration is the default time-shard width of new tables.
	ShardDuration time.Duration `yaml:"shard_duration"`
	// MaxMessageSize bounds one PostgreSQL protocol message.
	MaxMessageSize int `yaml:"max_message_size"`
	// QueryMemoryLimit is what the vectorized aggregations of one query
	// may hold on this node, with a unit ("2GB", "512MB"); "0" means no
	// limit. Sessions change theirs with SET openwit.query_memory_limit.
	QueryMemoryLimit string `yaml:"query_memory_limit"`
	// TxnWriteLimit bounds the rows one transaction block holds in memory
	// until COMMIT writes them as one WAL record (design 059); over it a
	// statement fails with 54000. 0 means the planner's default (192 MiB);
	// it must stay below the WAL's record size limit (256 MiB).
	TxnWriteLimit ByteSize `yaml:"txn_write_limit"`
	// Kafka configures Kafka ingest (kafka.go).
	Kafka KafkaConfig `yaml:"kafka"`
	// CompactionInterval is how often the storage role runs compaction,
	// retention and garbage collection (storage/compact); 0 disables them.
	// CompactionTargetSize is the size of compacted files; GarbageGrace
	// how long replaced or dropped files stay readable (must exceed the
	// longest query) and how old an unpublished object must be before it
	// is deleted as an orphan.
	CompactionInterval   time.Duration `yaml:"compaction_interval"`
	CompactionTargetSize ByteSize      `yaml:"compaction_target_size"`
	GarbageGrace         time.Duration `yaml:"garbage_grace"`
	// EtcdEndpoints are the client URLs of an external etcd cluster. Empty:
	// a front or control node runs an embedded single-member etcd under
	// DATA_DIR/etcd on EtcdEmbedAddr (clients) and EtcdEmbedPeerAddr
	// ("off" there runs no control plane).
	EtcdEndpoints     []string `yaml:"etcd_endpoints"`
	EtcdEmbedAddr     string   `yaml:"etcd_embed_addr"`
	EtcdEmbedPeerAddr string   `yaml:"etcd_embed_peer_addr"`
	// ControlLeaseTTL is the etcd session lease: a dead node leaves the
	// registry, the leadership and its job leases this long after it died.
	ControlLeaseTTL time.Duration `yaml:"control_lease_ttl"`
	// ClusterFlushTimeout bounds how long DELETE, UPDATE and TRUNCATE wait
	// for the other ingest nodes to publish their buffered rows of the
	// table (docs/design/078-cluster-dml.md).
	ClusterFlushTimeout time.Duration `yaml:"cluster_flush_timeout"`
}

// ControlPlane reports whether the process joins an etcd control plane, and
// whether it runs the embedded member for it.
func (c *Config) ControlPlane(roles Roles) (on, embedded bool) {
	if len(c.EtcdEndpoints) > 0 {
		return true, false
	}
	if c.EtcdEmbedAddr == "off" || !(roles.Front() || roles[RoleControl]) {
		return false, false
	}
	return true, true
}

// QueryMemoryBytes returns QueryMemoryLimit in bytes (0: no limit).
func (c *Config) QueryMemoryBytes() (int64, error) {
	n, err := pgtypes.ParseMemory(c.QueryMemoryLimit, 0)
	if err != nil {
		return 0, fmt.Errorf("--query-memory-limit: %w", err)
	}
	return n, nil
}

// Authentication modes (Config.Auth).
const (
	AuthTrust    = "trust"
	AuthPassword = "password"
)

// DefaultSearchAddr is the search service address of a search worker
// that does not set one.
const DefaultSearchAddr = "127.0.0.1:8816"

// DefaultStorageAddr is the storage service address of a storage node
// that does not set one.
const DefaultStorageAddr = "127.0.0.1:8817"

// StorageNodesGossip as --storage-nodes takes the storage nodes from gossip
// only.
const StorageNodesGossip = "gossip"

// Role names.
const (
	RoleAll         = "all"
	RoleGateway     = "gateway"
	RoleCoordinator = "coordinator"
	RoleIngest      = "ingest"
	RoleStorage     = "storage"
	RoleSearch      = "search"
	// RoleProxy routes clients to gateways; it runs alone and is not part
	// of "all" (a proxy in front of its own gateway would route to itself).
	RoleProxy   = "proxy"
	RoleIndexer = "indexer"
	RoleControl = "control"
	// RoleCache serves hot object bytes to the search path; not part of
	// "all" (a single process gains nothing from a service in front of
	// its own disk cache).
	RoleCache = "cache"
)

// DefaultCacheAddr is the cache service address of a cache node that
// does not set one.
const DefaultCacheAddr = "127.0.0.1:8818"

// Roles is the set of roles a process runs.
type Roles map[string]bool

// ParseRoles parses a comma-separated role list. Empty means all.
// Gateway and coordinator run together and bring ingest and storage (the
// coordinator reads the ingest buffers); Config.RoleSet takes storage away
// from a front node given --storage-nodes. Without gateway, "storage" is
// a storage node (the storage service and the storage jobs, no client
// ports) and "ingest" a Kafka ingest node (it needs --kafka-brokers).
func ParseRoles(s string) (Roles, error) {
	r := Roles{}
	for _, name := range strings.Split(s, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		switch name {
		case "":
		case RoleAll, RoleGateway, RoleCoordinator, RoleIngest, RoleStorage, RoleSearch, RoleIndexer, RoleControl, RoleProxy, RoleCache:
			r[name] = true
		default:
			return nil, fmt.Errorf("--roles: unknown role %q (known: all, gateway, coordinator, ingest, storage, search, indexer, control, cache, proxy)", name)
		}
	}
	switch {
	case len(r) == 0:
		r[RoleAll] = true
	case r[RoleProxy] && len(r) > 1:
		return nil, errors.New("--roles: proxy runs alone (it listens on --pg-addr and --flight-addr in front of the gateways)")
	case r[RoleAll] && len(r) > 1 && !(len(r) == 2 && r[RoleCache]):
		return nil, errors.New(`--roles: "all" already names every role but cache`)
	}
	if r[RoleAll] {
		for _, n := range []string{RoleGateway, RoleCoordinator, RoleIngest, RoleStorage, RoleSearch, RoleIndexer, RoleControl} {
			r[n] = true
		}
		return r, nil
	}
	if r[RoleGateway] || r[RoleCoordinator] {
		if !r[RoleGateway] || !r[RoleCoordinator] {
			return nil, errors.New("--roles: gateway and coordinator run together in this version (with ingest and storage); name both")
		}
		r[RoleIngest], r[RoleStorage] = true, true
	}
	return r, nil
}

// RoleSet parses c.Roles (ParseRoles) and applies --storage-nodes: a front
// node handing its buffers to storage nodes runs no storage role.
func (c *Config) RoleSet() (Roles, error) {
	r, err := ParseRoles(c.Roles)
	if err != nil {
		return nil, err
	}
	if r.Front() && len(c.StorageNodes) > 0 {
		delete(r, RoleStorage)
	}
	return r, nil
}

// Names returns the roles in a fixed order ("all" left out).
func (r Roles) Names() []string {
	var out []string
	for _, n := range []string{RoleGateway, RoleCoordinator, RoleIngest, RoleStorage, RoleSearch, RoleIndexer, RoleControl, RoleProxy} {
		if r[n] {
			out = append(out, n)
		}
	}
	return out
}

// Front reports whether the process runs the client-facing roles
// (gateway, coordinator, ingest, storage).
func (r Roles) Front() bool { return r[RoleGateway] }

// Only reports whether the process runs the search role and nothing else.
func (r Roles) Only(role string) bool { return r[role] && len(r) == 1 }

// DefaultConfig returns the embedded single-process defaults.
func DefaultConfig() Config {
	return Config{
		DataDir:          "./openwit-data",
		PGAddr:           "127.0.0.1:5433",
		FlightAddr:       "127.0.0.1:8815",
		HTTPAddr:         "127.0.0.1:8080",
		Roles:            "all",
		Auth:             "trust",
		LogLevel:         "info",
		FlushRows:        1 << 20,
		FlushBytes:       128 << 20,
		FlushAge:         30 * time.Second,
		HeapHugePages:    true,
		IndexCacheSize:   256 << 20,
		ShardDuration:    time.Hour,
		MaxMessageSize:   64 << 20,
		QueryMemoryLimit: "2GB",
		CacheSize:        DefaultCacheSize,
		CacheMemory:      1 << 30,
		Weight:           1,

		IngestBufferLimit: ingest.DefaultBufferLimit,
		WALSizeLimit:      ingest.DefaultWALSizeLimit,

		CompactionInterval:   5 * time.Minute,
		CompactionTargetSize: 256 << 20,
		GarbageGrace:         time.Hour,
		EtcdEmbedAddr:        "127.0.0.1:2479",
		EtcdEmbedPeerAddr:    "127.0.0.1:2480",
		ControlLeaseTTL:      10 * time.Second,
		ClusterFlushTimeout:  DefaultClusterFlushTimeout,
	}
}

// DefaultCacheSize is the object cache's size limit when --cache-size is
// not given.
const DefaultCacheSize = 10 << 30

// ByteSize is a number of bytes written as an integer with an optional
// binary unit: 1048576, 512KiB, 64MiB, 10GiB, 1TiB (K, M, G, T alone mean
// the same).
type ByteSize int64

// String implements flag.Value.
func (b *ByteSize) String() string { return strconv.FormatInt(int64(*b), 10) }

// Set implements flag.Value.
func (b *ByteSize) Set(s string) error { return b.UnmarshalText([]byte(s)) }

// UnmarshalText parses a size (used by the YAML decoder too): bytes, or
// a number with a unit as pgtypes.ParseMemory reads it (KiB, MB, G, ...).
func (b *ByteSize) UnmarshalText(text []byte) error {
	n, err := pgtypes.ParseMemory(string(text), 1)
	if err != nil {
		return fmt.Errorf("invalid size %q (want bytes, or a number with KiB, MiB, GiB or TiB)", strings.TrimSpace(string(text)))
	}
	*b = ByteSize(n)
	return nil
}

// LoadFile merges a YAML file into c. Unknown keys are an error, so a typo
// does not silently fall back to a default.
func (c *Config) LoadFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config: %w", err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, errEOF(err)) {
		return fmt.Errorf("parse config %s: %w", path, err)
	}
	return nil
}

func errEOF(err error) error {
	if err != nil && err.Error() == "EOF" {
		return err
	}
	return errors.New("not eof")
}

// Validate checks the configuration and fills derived defaults.
func (c *Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("data dir must be set")
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return err
	}
	c.DataDir = abs
	roles, err := c.RoleSet()
	if err != nil {
		return err
	}
	if roles.Only(RoleSearch) && c.SearchAddr == "" {
		c.SearchAddr = DefaultSearchAddr
	}
	if err := c.validateStorage(roles); err != nil {
		return err
	}
	addrs := map[string]string{"pg-addr": c.PGAddr, "flight-addr": c.FlightAddr, "http-addr": c.HTTPAddr}
	if c.SearchAddr != "" {
		addrs["search-addr"] = c.SearchAddr
	}
	if c.StorageAddr != "" {
		addrs["storage-addr"] = c.StorageAddr
	}
	for name, a := range addrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("--%s %q: %w", name, a, err)
		}
	}
	if c.SearchAddr != "" && !roles[RoleSearch] {
		return fmt.Errorf("--search-addr is set but the search role is not in --roles %q", c.Roles)
	}
	if c.SearchAddr != "" && !isLoopback(c.SearchAddr) && (c.TLSCA == "" || c.TLSCert == "") {
		// Without mutual TLS anyone reaching the port could run
		// fragments over the object store.
		return fmt.Errorf("the search service needs mutual TLS (--tls-ca, --tls-cert, --tls-key) off loopback addresses; --search-addr is %s", c.SearchAddr)
	}
	for i, w := range c.SearchWorkers {
		w = strings.TrimSpace(w)
		if _, _, err := net.SplitHostPort(w); err != nil {
			return fmt.Errorf("--search-workers %q: %w", w, err)
		}
		c.SearchWorkers[i] = w
	}
	if err := c.validateGateways(roles); err != nil {
		return err
	}
	if len(c.SearchWorkers) > 0 && !roles[RoleCoordinator] {
		return fmt.Errorf("--search-workers is for a coordinator; --roles %q runs none", c.Roles)
	}
	if err := c.validateGossip(); err != nil {
		return err
	}
	switch c.Auth {
	case AuthTrust:
		if roles.Front() && !isLoopback(c.PGAddr) {
			return fmt.Errorf("trust authentication is only allowed on loopback addresses; --pg-addr is %s (use --auth password)", c.PGAddr)
		}
		if roles.Front() && !isLoopback(c.FlightAddr) {
			return fmt.Errorf("trust authentication is only allowed on loopback addresses; --flight-addr is %s (use --auth password)", c.FlightAddr)
		}
	case AuthPassword, "scram-sha-256":
		c.Auth = AuthPassword
		if roles.Front() && len(c.Users) == 0 && c.UsersFile == "" {
			return errors.New("--auth password needs users: a users list in the config file or --users-file")
		}
	default:
		return fmt.Errorf("--auth %q: want trust or password", c.Auth)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if c.TLSRequired && c.TLSCert == "" {
		return errors.New("--tls-required needs --tls-cert and --tls-key")
	}
	if c.TLSCA != "" && c.TLSCert == "" {
		return errors.New("--tls-ca needs --tls-cert and --tls-key (the node's own certificate)")
	}
	if c.Catalog == "" {
		c.Catalog = "sqlite:" + filepath.Join(c.DataDir, "catalog.db")
	}
	if c.ObjectStore == "" {
		c.ObjectStore = "file://" + filepath.Join(c.DataDir, "objects")
	}
	if err := c.validateCacheRole(roles); err != nil {
		return err
	}
	if c.CacheDir != "" {
		if c.CacheSize <= 0 {
			return fmt.Errorf("--cache-size %d: must be positive with --cache-dir", c.CacheSize)
		}
		if c.CacheDir, err = filepath.Abs(c.CacheDir); err != nil {
			return err
		}
	}
	if c.FlushAge <= 0 || c.FlushRows <= 0 || c.FlushBytes <= 0 {
		return errors.New("flush thresholds must be positive")
	}
	if _, err := c.QueryMemoryBytes(); err != nil {
		return err
	}
	if err := c.Kafka.validate(); err != nil {
		return err
	}
	if roles[RoleIngest] && !roles.Front() && len(c.Kafka.Brokers) == 0 {
		return errors.New("--roles ingest without gateway is a Kafka ingest node: it needs --kafka-brokers and --kafka-topics (SQL and Flight ingest come with gateway,coordinator)")
	}
	if c.TxnWriteLimit < 0 || c.TxnWriteLimit > 240<<20 {
		return fmt.Errorf("--txn-write-limit must be between 0 (default) and 240MiB (a transaction is one WAL record of at most 256 MiB), got %d", c.TxnWriteLimit)
	}
	if c.CompactionInterval < 0 || c.CompactionTargetSize <= 0 || c.GarbageGrace <= 0 {
		return errors.New("--compaction-interval must be >= 0, --compaction-target-size and --garbage-grace positive")
	}
	if err := c.validateControl(roles); err != nil {
		return err
	}
	if c.ShardDuration < time.Minute {
		return fmt.Errorf("shard duration %s is below 1m", c.ShardDuration)
	}
	return nil
}

// validateStorage checks --storage-addr and --storage-nodes against the
// roles and fills the storage node's default address.
func (c *Config) validateStorage(roles Roles) error {
	if roles[RoleStorage] && !roles.Front() && c.StorageAddr == "" {
		c.StorageAddr = DefaultStorageAddr
	}
	if c.StorageAddr != "" {
		if !roles[RoleStorage] {
			return fmt.Errorf("--storage-addr is set but the storage role is not in --roles %q (or --storage-nodes took it away)", c.Roles)
		}
		if _, _, err := net.SplitHostPort(c.StorageAddr); err != nil {
			return fmt.Errorf("--storage-addr %q: %w", c.StorageAddr, err)
		}
		if !isLoopback(c.StorageAddr) && (c.TLSCA == "" || c.TLSCert == "") {
			// Without mutual TLS anyone reaching the port could publish
			// files into any table.
			return fmt.Errorf("the storage service needs mutual TLS (--tls-ca, --tls-cert, --tls-key) off loopback addresses; --storage-addr is %s", c.StorageAddr)
		}
	}
	if len(c.StorageNodes) == 0 {
		return nil
	}
	if !roles.Front() && (!roles[RoleIngest] || roles[RoleStorage]) {
		return fmt.Errorf("--storage-nodes is for a front node (gateway,coordinator) or a Kafka ingest node (ingest without storage); --roles %q is neither", c.Roles)
	}
	for i, a := range c.StorageNodes {
		a = strings.TrimSpace(a)
		c.StorageNodes[i] = a
		if a == StorageNodesGossip {
			if len(c.StorageNodes) > 1 {
				return errors.New(`--storage-nodes: "gossip" stands alone (gossip members are added to a static list anyway)`)
			}
			if c.GossipAddr == "" {
				return errors.New(`--storage-nodes gossip needs --gossip-addr`)
			}
			continue
		}
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("--storage-nodes %q: %w", a, err)
		}
	}
	return nil
}

// validateGateways checks --gateways against the roles.
func (c *Config) validateGateways(roles Roles) error {
	switch {
	case roles[RoleProxy] && len(c.Gateways) == 0 && c.GossipAddr == "":
		return errors.New("--roles proxy needs gateways: --gateways pg=HOST:PORT,flight=HOST:PORT,weight=N;... or gossip (--gossip-addr, --join) to find them")
	case !roles[RoleProxy] && len(c.Gateways) > 0:
		return fmt.Errorf("--gateways is for a proxy; --roles %q runs none", c.Roles)
	}
	for i := range c.Gateways {
		if err := c.Gateways[i].Normalize(); err != nil {
			return fmt.Errorf("--gateways: %w", err)
		}
	}
	return proxy.CheckGateways(c.Gateways)
}

func isLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// validateCacheRole checks the cache role's flags and fills its defaults.
func (c *Config) validateCacheRole(roles Roles) error {
	if roles[RoleCache] {
		if c.CacheAddr == "" {
			c.CacheAddr = DefaultCacheAddr
		}
		if c.CacheDir == "" {
			c.CacheDir = filepath.Join(c.DataDir, "cache")
		}
		if c.CacheMemory <= 0 {
			return fmt.Errorf("--cache-memory %d: must be positive for the cache role", c.CacheMemory)
		}
	} else if c.CacheAddr != "" {
		return fmt.Errorf("--cache-addr is set but the cache role is not in --roles %q", c.Roles)
	}
	if c.CacheAddr != "" {
		if _, _, err := net.SplitHostPort(c.CacheAddr); err != nil {
			return fmt.Errorf("--cache-addr %q: %w", c.CacheAddr, err)
		}
		if !isLoopback(c.CacheAddr) && (c.TLSCA == "" || c.TLSCert == "") {
			return fmt.Errorf("the cache service needs mutual TLS (--tls-ca, --tls-cert, --tls-key) off loopback addresses; --cache-addr is %s", c.CacheAddr)
		}
	}
	for i, a := range c.CacheNodes {
		a = strings.TrimSpace(a)
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("--cache-nodes %q: %w", a, err)
		}
		c.CacheNodes[i] = a
	}
	if len(c.CacheNodes) > 0 && roles[RoleProxy] {
		return errors.New("--cache-nodes is for search workers and coordinators; a proxy reads no objects")
	}
	return nil
}

func (c *Config) validateGossip() error {
	if strings.ContainsAny(c.AdvertiseHost, "/ ") || (strings.Contains(c.AdvertiseHost, ":") && net.ParseIP(c.AdvertiseHost) == nil) {
		return fmt.Errorf("--advertise-host %q: want a host name or an IP", c.AdvertiseHost)
	}
	if c.GossipAddr == "" {
		if len(c.Join) > 0 {
			return errors.New("--join needs --gossip-addr")
		}
		return nil
	}
	if _, _, err := net.SplitHostPort(c.GossipAddr); err != nil {
		return fmt.Errorf("--gossip-addr %q: %w", c.GossipAddr, err)
	}
	for i, j := range c.Join {
		j = strings.TrimSpace(j)
		if _, _, err := net.SplitHostPort(j); err != nil {
			return fmt.Errorf("--join %q: %w", j, err)
		}
		c.Join[i] = j
	}
	if !isLoopback(c.GossipAddr) && c.TLSCA == "" {
		// Gossip is not authenticated: off loopback, a forged member
		// could offer itself as a search worker. With mutual TLS a
		// coordinator only talks to workers holding a certificate of the
		// CA.
		return fmt.Errorf("gossip off loopback addresses needs mutual TLS between nodes (--tls-ca, --tls-cert, --tls-key); --gossip-addr is %s", c.GossipAddr)
	}
	if !(c.Weight > 0) || c.Weight > 1e6 {
		return fmt.Errorf("--weight %v: want a positive number up to 1e6", c.Weight)
	}
	return nil
}

func (c *Config) validateControl(roles Roles) error {
	for i, e := range c.EtcdEndpoints {
		e = strings.TrimSpace(e)
		u, err := url.Parse(e)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--etcd-endpoints %q: want http://HOST:PORT", e)
		}
		c.EtcdEndpoints[i] = e
	}
	if _, embedded := c.ControlPlane(roles); embedded {
		for name, a := range map[string]string{"etcd-embed-addr": c.EtcdEmbedAddr, "etcd-embed-peer-addr": c.EtcdEmbedPeerAddr} {
			if _, _, err := net.SplitHostPort(a); err != nil {
				return fmt.Errorf("--%s %q: %w", name, a, err)
			}
		}
	}
	if strings.ContainsAny(c.NodeID, "/\x00") {
		return fmt.Errorf("--node-id %q: no '/'", c.NodeID)
	}
	if c.ClusterFlushTimeout < 0 {
		return fmt.Errorf("--cluster-flush-timeout %s: must not be negative", c.ClusterFlushTimeout)
	}
	if c.ControlLeaseTTL < 2*time.Second || c.ControlLeaseTTL%time.Second != 0 {
		return fmt.Errorf("--control-lease-ttl %s: whole seconds, at least 2s", c.ControlLeaseTTL)
	}
	return nil
}

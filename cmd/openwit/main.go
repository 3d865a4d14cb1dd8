// Command openwit is the single OpenWit binary: `openwit serve` runs every
// role in one process on embedded defaults; `openwit bench` runs the
// end-to-end benchmark against DuckDB and PostgreSQL; `openwit version`
// prints the version.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"openwit/coordinator/proxy"
	"openwit/internal/hugepages"
	"openwit/internal/node"
	"openwit/version"
)

func main() {
	// The server works in UTC; sessions apply their own TimeZone.
	time.Local = time.UTC
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	switch os.Args[1] {
	case "serve":
		os.Exit(serve(os.Args[2:]))
	case "bench":
		os.Exit(benchCmd(os.Args[2:]))
	case "status":
		os.Exit(status(os.Args[2:]))
	case "passwd":
		os.Exit(passwd(os.Args[2:]))
	case "version", "--version":
		fmt.Println("openwit", version.Version)
	case "help", "-h", "--help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "openwit: unknown command %q\n\n", os.Args[1])
		usage()
		os.Exit(2)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage: openwit <command> [flags]

commands:
  serve     run OpenWit (every role in one process on embedded defaults)
  bench     benchmark OpenWit against DuckDB and PostgreSQL on synthetic logs
  status    print the cluster's nodes, health and load (from a node's /cluster)
  passwd    print the SCRAM-SHA-256 verifier of a password read from stdin
  version   print the version

run 'openwit serve --help' or 'openwit bench --help' for their flags.
`)
}

func serve(args []string) int {
	cfg, err := parseServeArgs(args, os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "openwit: --log-level:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	// Listen for signals before starting: a SIGTERM during startup (catalog
	// open, WAL replay) is handled as soon as the node is up.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	ctx := context.Background()
	if cfg.HeapHugePages {
		stopAdvice := adviseHugePages(log)
		defer stopAdvice()
	}
	n, err := node.Start(ctx, cfg, log)
	if err != nil {
		log.Error("start failed", "err", err)
		return 1
	}
	code := 0
	select {
	case s := <-sig:
		log.Info("shutting down", "signal", s.String())
	case err := <-n.Err():
		log.Error("serving failed", "err", err)
		code = 1
	}
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := n.Shutdown(sctx); err != nil {
		log.Error("shutdown", "err", err)
		code = 1
	}
	log.Info("stopped")
	return code
}

// adviseHugePages keeps the Go heap advised to use transparent huge pages
// (internal/hugepages) until the returned function is called. A kernel
// that refuses the advice is logged once and left alone.
func adviseHugePages(log *slog.Logger) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := hugepages.Run(ctx, 10*time.Millisecond, hugepages.DefaultReserve()); err != nil {
			log.Warn("heap huge pages: the kernel refused the advice; the heap stays on 4 KiB pages", "err", err)
		}
	}()
	return func() { cancel(); <-done }
}

// parseServeArgs turns the arguments of `openwit serve` into a Config: the
// YAML file named by --config first, then the flags over it. Errors are
// printed to out (flag.ErrHelp after the usage). The docker-compose.yml test
// parses every service's command line with it, so the cluster file and the
// binary cannot disagree on the flags.
func parseServeArgs(args []string, out io.Writer) (node.Config, error) {
	cfg := node.DefaultConfig()
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(out)
	configPath := fs.String("config", "", "YAML config file (flags override it)")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "directory for the WAL, the embedded catalog and the local object store")
	fs.StringVar(&cfg.PGAddr, "pg-addr", cfg.PGAddr, "PostgreSQL wire protocol listen address")
	fs.StringVar(&cfg.FlightAddr, "flight-addr", cfg.FlightAddr, "Arrow Flight SQL listen address (queries, bulk ingest)")
	fs.StringVar(&cfg.HTTPAddr, "http-addr", cfg.HTTPAddr, "HTTP listen address for /healthz, /readyz and /metrics")
	fs.StringVar(&cfg.Roles, "roles", cfg.Roles, "roles to run: all, gateway,coordinator (a front node: clients, ingest, and storage unless --storage-nodes), storage (a storage node: hand-offs on --storage-addr, storage jobs), ingest (alone: a Kafka ingest node), search (a search worker), control (candidate for the control leader), indexer, cache (a cache node; not part of all), or proxy (alone; routes clients to --gateways or the gateways gossip finds)")
	fs.Func("gateways", `gateways of a proxy: "pg=HOST:PORT,flight=HOST:PORT,weight=N;..." (weighted round-robin over the healthy ones)`, func(v string) (err error) {
		cfg.Gateways, err = proxy.ParseGateways(v)
		return err
	})
	fs.StringVar(&cfg.SearchAddr, "search-addr", cfg.SearchAddr, "search service listen address (default "+node.DefaultSearchAddr+" for --roles search; with all, off unless set)")
	fs.Func("search-workers", "comma-separated host:port list of the search workers a coordinator distributes fragments to", func(v string) error {
		cfg.SearchWorkers = nil
		for _, w := range strings.Split(v, ",") {
			if w = strings.TrimSpace(w); w != "" {
				cfg.SearchWorkers = append(cfg.SearchWorkers, w)
			}
		}
		return nil
	})
	fs.StringVar(&cfg.StorageAddr, "storage-addr", cfg.StorageAddr, "storage service listen address: hand-offs of ingest buffers over Arrow Flight (default "+node.DefaultStorageAddr+" for --roles storage without gateway; otherwise off unless set)")
	fs.Func("storage-nodes", `comma-separated host:port list of the storage services a front node hands its ingest buffers to (it then runs no storage role), or "gossip" for the gossip members running one`, func(v string) error {
		cfg.StorageNodes = splitList(v)
		return nil
	})
	fs.StringVar(&cfg.NodeID, "node-id", cfg.NodeID, "this node's id in the cluster (default: stored in DATA_DIR/node_id, or HOSTNAME-SEARCHPORT for a search worker)")
	fs.StringVar(&cfg.GossipAddr, "gossip-addr", cfg.GossipAddr, "gossip (memberlist) listen address, UDP and TCP; off when empty")
	fs.StringVar(&cfg.AdvertiseHost, "advertise-host", cfg.AdvertiseHost, "host name or IP other nodes reach this one at, in place of an unspecified listen host (0.0.0.0) in what it gossips and registers")
	fs.Func("join", "comma-separated gossip addresses (host:port) of cluster members to join", func(v string) error {
		cfg.Join = splitList(v)
		return nil
	})
	fs.Float64Var(&cfg.Weight, "weight", cfg.Weight, "relative capacity of this node as a search worker (its share of the files)")
	fs.StringVar(&cfg.Catalog, "catalog", cfg.Catalog, "catalog URL: sqlite:PATH or postgres://... (default sqlite in --data-dir)")
	fs.StringVar(&cfg.ObjectStore, "object-store", cfg.ObjectStore, "object store URL: file:///PATH (default DATA_DIR/objects) or s3://BUCKET/PREFIX?endpoint=URL&region=R (credentials from the AWS environment variables or shared config)")
	fs.StringVar(&cfg.CacheDir, "cache-dir", cfg.CacheDir, "local-disk read cache of a remote (s3://) object store; off when empty")
	fs.Var(&cfg.CacheSize, "cache-size", "size limit of --cache-dir: bytes or a number with KiB, MiB, GiB, TiB")
	fs.StringVar(&cfg.CacheAddr, "cache-addr", cfg.CacheAddr, "cache service listen address of --roles cache (default "+node.DefaultCacheAddr+")")
	fs.Var(&cfg.CacheMemory, "cache-memory", "memory the cache role keeps blocks in (bytes or KiB, MiB, GiB), in front of --cache-dir")
	fs.Func("cache-nodes", "comma-separated host:port list of cache nodes that search workers and coordinators read objects through (gossip adds the ones it sees)", func(v string) error {
		cfg.CacheNodes = splitList(v)
		return nil
	})
	fs.StringVar(&cfg.Auth, "auth", cfg.Auth, "client authentication: trust (no passwords, loopback only) or password (SCRAM-SHA-256; users from the config file or --users-file)")
	fs.StringVar(&cfg.UsersFile, "users-file", cfg.UsersFile, "YAML file with a users list (name and password or verifier) for --auth password")
	fs.StringVar(&cfg.TLSCert, "tls-cert", cfg.TLSCert, "PEM certificate (chain) for TLS on the PostgreSQL wire and Flight SQL ports")
	fs.StringVar(&cfg.TLSKey, "tls-key", cfg.TLSKey, "PEM private key of --tls-cert")
	fs.StringVar(&cfg.TLSCA, "tls-ca", cfg.TLSCA, "PEM bundle of the CAs signing the nodes' certificates: mutual TLS between coordinators and search workers")
	fs.BoolVar(&cfg.TLSRequired, "tls-required", cfg.TLSRequired, "refuse PostgreSQL wire clients that do not use TLS")
	fs.StringVar(&cfg.TokenKeyFile, "token-key-file", cfg.TokenKeyFile, "file with the key (32+ bytes) signing Flight SQL bearer tokens, shared by gateways (default: random per process)")
	fs.StringVar(&cfg.LogLevel, "log-level", cfg.LogLevel, "debug, info, warn or error")
	fs.Int64Var(&cfg.FlushRows, "flush-rows", cfg.FlushRows, "flush a time shard's buffer to Parquet at this many rows")
	fs.DurationVar(&cfg.FlushAge, "flush-age", cfg.FlushAge, "flush a time shard's buffer when its oldest row is this old")
	fs.Var(&cfg.IndexCacheSize, "index-cache-size", "index artifacts a coordinator keeps decoded for file and row group pruning: bytes or a number with KiB, MiB, GiB; 0 turns that pruning off")
	fs.BoolVar(&cfg.DeferIndex, "defer-index", cfg.DeferIndex, "publish files without index artifacts and leave them to the indexer role")
	fs.BoolVar(&cfg.HeapHugePages, "heap-huge-pages", cfg.HeapHugePages, "back the Go heap with transparent huge pages where the host leaves them to applications (THP madvise mode); --heap-huge-pages=false leaves the heap on 4 KiB pages")
	fs.DurationVar(&cfg.IndexLease, "index-lease", cfg.IndexLease, "how long the indexer role holds a queued file (0: 1m); a dead builder's file is rebuilt after it")
	fs.Var(&cfg.IngestBufferLimit, "ingest-buffer-limit", "rows held in memory before Parquet (bytes or KiB, MiB, GiB); past it writes fail with SQLSTATE 53000 / ResourceExhausted")
	fs.Var(&cfg.WALSizeLimit, "wal-size-limit", "bytes of WAL not yet published (bytes or KiB, MiB, GiB); past it writes fail with SQLSTATE 53000 / ResourceExhausted")
	fs.DurationVar(&cfg.CompactionInterval, "compaction-interval", cfg.CompactionInterval, "how often to run compaction, retention and garbage collection (0 disables)")
	fs.Var(&cfg.TxnWriteLimit, "txn-write-limit", "rows one transaction block (BEGIN ... COMMIT) may hold in memory until COMMIT: bytes or a number with KiB, MiB; 0 means 192MiB (over it: SQLSTATE 54000)")
	fs.Var(&cfg.CompactionTargetSize, "compaction-target-size", "size of compacted files: bytes or a number with KiB, MiB, GiB, TiB")
	fs.DurationVar(&cfg.GarbageGrace, "garbage-grace", cfg.GarbageGrace, "how long replaced or dropped files stay readable before deletion (must exceed the longest query)")
	fs.DurationVar(&cfg.ShardDuration, "shard-duration", cfg.ShardDuration, "default time-shard width of new tables")
	fs.StringVar(&cfg.QueryMemoryLimit, "query-memory-limit", cfg.QueryMemoryLimit, "memory one query's aggregations may hold on this node, e.g. 2GB or 512MB; 0 means no limit (over it: SQLSTATE 53200)")
	node.KafkaFlags(fs, &cfg.Kafka)
	fs.Func("etcd-endpoints", "comma-separated client URLs of an external etcd cluster (default: an embedded single-member etcd under --data-dir)", func(v string) error {
		cfg.EtcdEndpoints = nil
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" {
				cfg.EtcdEndpoints = append(cfg.EtcdEndpoints, e)
			}
		}
		return nil
	})
	fs.StringVar(&cfg.EtcdEmbedAddr, "etcd-embed-addr", cfg.EtcdEmbedAddr, "client address of the embedded etcd (without --etcd-endpoints); off: no control plane")
	fs.StringVar(&cfg.EtcdEmbedPeerAddr, "etcd-embed-peer-addr", cfg.EtcdEmbedPeerAddr, "peer address of the embedded etcd")
	fs.DurationVar(&cfg.ControlLeaseTTL, "control-lease-ttl", cfg.ControlLeaseTTL, "etcd lease of this node's registry entry, leadership and job leases (whole seconds)")
	fs.DurationVar(&cfg.ClusterFlushTimeout, "cluster-flush-timeout", cfg.ClusterFlushTimeout, "how long DELETE, UPDATE and TRUNCATE wait for the other ingest nodes to publish their buffered rows of the table before failing with 55P03")
	// A config file is applied first; flags given on the command line win.
	for i, a := range args {
		if a == "--config" || a == "-config" {
			if i+1 < len(args) {
				if err := cfg.LoadFile(args[i+1]); err != nil {
					fmt.Fprintln(out, "openwit:", err)
					return cfg, err
				}
			}
		} else if v, ok := strings.CutPrefix(a, "--config="); ok {
			if err := cfg.LoadFile(v); err != nil {
				fmt.Fprintln(out, "openwit:", err)
				return cfg, err
			}
		}
	}
	err := fs.Parse(args)
	_ = configPath
	return cfg, err
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

package node

import (
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"openwit/coordinator/proxy"
	"openwit/ingest/kafka"
)

func TestParseRoles(t *testing.T) {
	cases := []struct {
		in      string
		front   bool
		search  bool
		wantErr string
	}{
		{"", true, true, ""},
		{"all", true, true, ""},
		{"search", false, true, ""},
		{"gateway,coordinator", true, false, ""},
		{" Gateway , coordinator ,ingest,storage", true, false, ""},
		{"gateway,coordinator,search", true, true, ""},
		{"indexer", false, false, ""},
		{"gateway,coordinator,indexer", true, false, ""},
		{"coordinator", false, false, "gateway and coordinator"},
		{"ingest", false, false, ""},
		{"storage", false, false, ""},
		{"storage,search,indexer", false, true, ""},
		{"all,search", false, false, "already names every role"},
		{"proxy", false, false, ""},
		{"proxy,search", false, false, "proxy runs alone"},
		{"all,proxy", false, false, "proxy runs alone"},
		{"router", false, false, `unknown role "router"`},
		{"cache", false, false, ""},
		{"search,cache", false, true, ""},
		{"all,cache", true, true, ""},
		{"cache,proxy", false, false, "proxy runs alone"},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			r, err := ParseRoles(c.in)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(c.in, "indexer") || c.in == "" || c.in == "all" {
				if !r[RoleIndexer] {
					t.Fatalf("%q does not run the indexer", c.in)
				}
			}
			if r.Front() != c.front || r[RoleSearch] != c.search {
				t.Fatalf("front %v search %v, want %v %v", r.Front(), r[RoleSearch], c.front, c.search)
			}
			if r[RoleProxy] != (c.in == "proxy") {
				t.Fatalf("proxy role %v for %q (all does not include it)", r[RoleProxy], c.in)
			}
			if r[RoleCache] != strings.Contains(c.in, "cache") {
				t.Fatalf("cache role %v for %q (all does not include it)", r[RoleCache], c.in)
			}
			if r.Front() && (!r[RoleIngest] || !r[RoleStorage] || !r[RoleCoordinator]) {
				t.Fatalf("a front node runs every front role: %v", r)
			}
		})
	}
}

func TestValidateRoles(t *testing.T) {
	base := func() Config {
		c := DefaultConfig()
		c.DataDir = t.TempDir()
		return c
	}
	t.Run("search worker defaults its address", func(t *testing.T) {
		c := base()
		c.Roles = "search"
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if c.SearchAddr != DefaultSearchAddr {
			t.Fatalf("search addr %q", c.SearchAddr)
		}
	})
	t.Run("all runs no search service unless asked", func(t *testing.T) {
		c := base()
		if err := c.Validate(); err != nil || c.SearchAddr != "" {
			t.Fatalf("%v, search addr %q", err, c.SearchAddr)
		}
	})
	t.Run("storage node defaults its address", func(t *testing.T) {
		c := base()
		c.Roles = "storage"
		if err := c.Validate(); err != nil || c.StorageAddr != DefaultStorageAddr {
			t.Fatalf("%v, storage addr %q", err, c.StorageAddr)
		}
		if r, _ := c.RoleSet(); r.Front() || !r[RoleStorage] || r[RoleIngest] {
			t.Fatalf("roles %v", r.Names())
		}
	})
	t.Run("a front node with storage nodes runs no storage", func(t *testing.T) {
		c := base()
		c.Roles = "gateway,coordinator"
		c.StorageNodes = []string{" 127.0.0.1:8817", "127.0.0.1:8818"}
		if err := c.Validate(); err != nil || c.StorageAddr != "" || c.StorageNodes[0] != "127.0.0.1:8817" {
			t.Fatalf("%v, storage addr %q, nodes %q", err, c.StorageAddr, c.StorageNodes)
		}
		if r, _ := c.RoleSet(); !r.Front() || r[RoleStorage] || !r[RoleIngest] {
			t.Fatalf("roles %v", r.Names())
		}
		c.StorageNodes = nil
		if r, _ := c.RoleSet(); !r[RoleStorage] {
			t.Fatalf("without --storage-nodes a front node keeps storage: %v", r.Names())
		}
	})
	t.Run("a Kafka ingest node", func(t *testing.T) {
		c := base()
		c.Roles = "ingest"
		c.Kafka.Brokers, c.Kafka.Topics = []string{"127.0.0.1:9092"}, []kafka.Topic{{Name: "logs"}}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		// With storage nodes it stages its files there.
		c.StorageNodes = []string{"127.0.0.1:8817"}
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		if r, _ := c.RoleSet(); !r[RoleIngest] || r[RoleStorage] {
			t.Fatalf("roles %v", r.Names())
		}
	})
	bad := map[string]func(c *Config){
		"ingest alone without kafka":      func(c *Config) { c.Roles = "ingest" },
		"storage addr without the role":   func(c *Config) { c.Roles = "search"; c.StorageAddr = "127.0.0.1:1" },
		"storage addr with storage nodes": func(c *Config) { c.StorageAddr = "127.0.0.1:1"; c.StorageNodes = []string{"127.0.0.1:2"} },
		"storage addr off loopback":       func(c *Config) { c.Roles = "storage"; c.StorageAddr = "0.0.0.0:8817" },
		"storage nodes on a storage node": func(c *Config) { c.Roles = "storage"; c.StorageNodes = []string{"127.0.0.1:2"} },
		"storage nodes on ingest,storage": func(c *Config) {
			c.Roles = "ingest,storage"
			c.Kafka.Brokers, c.Kafka.Topics = []string{"127.0.0.1:9092"}, []kafka.Topic{{Name: "logs"}}
			c.StorageNodes = []string{"127.0.0.1:2"}
		},
		"bad storage node":                    func(c *Config) { c.StorageNodes = []string{"nohost"} },
		"storage nodes gossip without gossip": func(c *Config) { c.StorageNodes = []string{"gossip"} },
		"search addr without the role":        func(c *Config) { c.Roles = "gateway,coordinator"; c.SearchAddr = "127.0.0.1:1" },
		"search addr off loopback":            func(c *Config) { c.Roles = "search"; c.SearchAddr = "0.0.0.0:8816" },
		"bad worker address":                  func(c *Config) { c.SearchWorkers = []string{"nohost"} },
		"workers on a search worker":          func(c *Config) { c.Roles = "search"; c.SearchWorkers = []string{"127.0.0.1:1"} },
		"bad role":                            func(c *Config) { c.Roles = "gateway,proxy" },
		"proxy without gateways":              func(c *Config) { c.Roles = "proxy" },
		"gateways without the proxy":          func(c *Config) { c.Gateways = []proxy.Gateway{{PGAddr: "127.0.0.1:1"}} },
		"gateway without addresses":           func(c *Config) { c.Roles = "proxy"; c.Gateways = []proxy.Gateway{{Name: "a"}} },
		"gateway weight too large": func(c *Config) {
			c.Roles = "proxy"
			c.Gateways = []proxy.Gateway{{PGAddr: "127.0.0.1:1", Weight: proxy.MaxWeight + 1}}
		},
		"duplicate gateways": func(c *Config) {
			c.Roles = "proxy"
			c.Gateways = []proxy.Gateway{{PGAddr: "127.0.0.1:1"}, {PGAddr: "127.0.0.1:1"}}
		},
	}
	for name, mod := range bad {
		t.Run(name, func(t *testing.T) {
			c := base()
			mod(&c)
			if err := c.Validate(); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestLoadFileRoles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "openwit.yaml")
	yaml := "roles: gateway,coordinator\nsearch_workers:\n  - 127.0.0.1:9001\n  - 127.0.0.1:9002\n"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	c.DataDir = t.TempDir()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Roles != "gateway,coordinator" || !slices.Equal(c.SearchWorkers, []string{"127.0.0.1:9001", "127.0.0.1:9002"}) {
		t.Fatalf("loaded %q %q", c.Roles, c.SearchWorkers)
	}
	path2 := filepath.Join(t.TempDir(), "worker.yaml")
	if err := os.WriteFile(path2, []byte("roles: search\nsearch_addr: 127.0.0.1:9003\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	w := DefaultConfig()
	if err := w.LoadFile(path2); err != nil {
		t.Fatal(err)
	}
	if err := w.Validate(); err != nil || w.SearchAddr != "127.0.0.1:9003" {
		t.Fatalf("%v, search addr %q", err, w.SearchAddr)
	}
}

func TestLoadFileGateways(t *testing.T) {
	path := filepath.Join(t.TempDir(), "proxy.yaml")
	text := "roles: proxy\ngateways:\n  - pg: 127.0.0.1:5433\n    flight: 127.0.0.1:8815\n    weight: 3\n  - name: b\n    pg: 127.0.0.1:5434\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := []proxy.Gateway{
		{Name: "127.0.0.1:5433", PGAddr: "127.0.0.1:5433", FlightAddr: "127.0.0.1:8815", Weight: 3},
		{Name: "b", PGAddr: "127.0.0.1:5434", Weight: 1},
	}
	if !slices.Equal(c.Gateways, want) {
		t.Fatalf("gateways %+v, want %+v", c.Gateways, want)
	}
}

func TestQueryMemoryLimitConfig(t *testing.T) {
	for in, want := range map[string]int64{"2GB": 2 << 30, "512MB": 512 << 20, "0": 0, "1GiB": 1 << 30} {
		c := DefaultConfig()
		c.QueryMemoryLimit = in
		if err := c.Validate(); err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		if got, _ := c.QueryMemoryBytes(); got != want {
			t.Errorf("%q: %d bytes, want %d", in, got, want)
		}
	}
	for _, in := range []string{"2048", "lots", "", "-1GB"} {
		c := DefaultConfig()
		c.QueryMemoryLimit = in
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "--query-memory-limit") {
			t.Errorf("%q: %v, want a --query-memory-limit error", in, err)
		}
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]int64{
		"0": 0, "1048576": 1 << 20, "512KiB": 512 << 10, "64MiB": 64 << 20, "10GiB": 10 << 30,
		"1TiB": 1 << 40, "2G": 2 << 30, "3 MB": 3 << 20, "7k": 7 << 10,
	} {
		var b ByteSize
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, b, err, want)
		}
	}
	var c Config
	if err := yaml.Unmarshal([]byte("cache_size: 1048576\n"), &c); err != nil || c.CacheSize != 1<<20 {
		t.Errorf("YAML integer cache_size: %d, %v", c.CacheSize, err)
	}
	for _, in := range []string{"", "GiB", "-1", "1.5GiB", "10XB", "99999999999TiB"} {
		var b ByteSize
		if err := b.Set(in); err == nil {
			t.Errorf("Set(%q) = %d, want an error", in, b)
		}
	}
}

func TestLoadFileCache(t *testing.T) {
	path := filepath.Join(t.TempDir(), "openwit.yaml")
	yaml := "roles: search\nobject_store: s3://b/p?endpoint=http://127.0.0.1:1\ncache_dir: cache\ncache_size: 2GiB\n"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.CacheSize != 2<<30 || !filepath.IsAbs(c.CacheDir) {
		t.Fatalf("cache_size %d, cache_dir %q", c.CacheSize, c.CacheDir)
	}
	c.CacheSize = 0
	if err := c.Validate(); err == nil {
		t.Fatal("a cache dir with size 0 validated")
	}
}

// TestCacheRoleConfig checks the cache role's defaults and YAML keys, and
// refuses its flags where they make no sense.
func TestCacheRoleConfig(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "openwit.yaml")
	yaml := "roles: cache\ndata_dir: " + dir + "\ncache_memory: 64MiB\n"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.CacheAddr != DefaultCacheAddr || c.CacheDir != filepath.Join(dir, "cache") || c.CacheMemory != 64<<20 {
		t.Fatalf("cache_addr %q, cache_dir %q, cache_memory %d", c.CacheAddr, c.CacheDir, c.CacheMemory)
	}
	yaml = "roles: search\ncache_nodes: [127.0.0.1:8818, 127.0.0.1:8819]\n"
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	c = DefaultConfig()
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil || len(c.CacheNodes) != 2 || c.CacheAddr != "" {
		t.Fatalf("%v, cache_nodes %v, cache_addr %q", err, c.CacheNodes, c.CacheAddr)
	}
	bad := map[string]func(c *Config){
		"cache addr without the role": func(c *Config) { c.Roles = "search"; c.CacheAddr = "127.0.0.1:1" },
		"cache addr off loopback":     func(c *Config) { c.Roles = "cache"; c.CacheAddr = "0.0.0.0:8818" },
		"bad cache addr":              func(c *Config) { c.Roles = "cache"; c.CacheAddr = "nohost" },
		"no cache memory":             func(c *Config) { c.Roles = "cache"; c.CacheMemory = 0 },
		"bad cache node":              func(c *Config) { c.Roles = "search"; c.CacheNodes = []string{"nohost"} },
		"cache nodes on a proxy": func(c *Config) {
			c.Roles = "proxy"
			c.Gateways = []proxy.Gateway{{PGAddr: "127.0.0.1:1"}}
			c.CacheNodes = []string{"127.0.0.1:1"}
		},
	}
	for name, mod := range bad {
		t.Run(name, func(t *testing.T) {
			c := DefaultConfig()
			c.DataDir = t.TempDir()
			mod(&c)
			if err := c.Validate(); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestValidateGossip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "openwit.yaml")
	doc := "roles: search\nnode_id: w1\ngossip_addr: 127.0.0.1:7947\njoin:\n  - 127.0.0.1:7946\n  - ' localhost:7948'\nweight: 2.5\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	if err := c.LoadFile(path); err != nil {
		t.Fatal(err)
	}
	c.DataDir = t.TempDir()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.NodeID != "w1" || c.GossipAddr != "127.0.0.1:7947" || !slices.Equal(c.Join, []string{"127.0.0.1:7946", "localhost:7948"}) || c.Weight != 2.5 {
		t.Fatalf("loaded %+v", c)
	}
	for name, tc := range map[string]struct {
		mod  func(*Config)
		want string
	}{
		"join without gossip":   {func(c *Config) { c.GossipAddr = "" }, "--join needs --gossip-addr"},
		"bad gossip address":    {func(c *Config) { c.GossipAddr = "7947" }, "--gossip-addr"},
		"bad join address":      {func(c *Config) { c.Join = []string{"host"} }, "--join"},
		"off loopback, no mTLS": {func(c *Config) { c.GossipAddr = "0.0.0.0:7947" }, "mutual TLS"},
		"zero weight":           {func(c *Config) { c.Weight = 0 }, "--weight"},
		"NaN weight":            {func(c *Config) { c.Weight = math.NaN() }, "--weight"},
	} {
		t.Run(name, func(t *testing.T) {
			c := DefaultConfig()
			c.DataDir, c.Roles, c.GossipAddr, c.Join = t.TempDir(), "search", "127.0.0.1:7947", []string{"127.0.0.1:7946"}
			tc.mod(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestControlConfig(t *testing.T) {
	base := func(roles string) Config {
		c := DefaultConfig()
		c.DataDir, c.Roles = t.TempDir(), roles
		return c
	}
	for _, tc := range []struct {
		roles, embedAddr string
		endpoints        []string
		on, embedded     bool
		control          bool
	}{
		{"all", "127.0.0.1:2479", nil, true, true, true},
		{"gateway,coordinator", "127.0.0.1:2479", nil, true, true, false},
		{"control", "127.0.0.1:2479", nil, true, true, true},
		{"search", "127.0.0.1:2479", nil, false, false, false},
		{"search", "", []string{"http://127.0.0.1:2379"}, true, false, false},
		{"search,control", "", []string{"http://127.0.0.1:2379"}, true, false, true},
		{"all", "off", nil, false, false, true},
	} {
		c := base(tc.roles)
		c.EtcdEmbedAddr, c.EtcdEndpoints = tc.embedAddr, tc.endpoints
		if err := c.Validate(); err != nil {
			t.Fatalf("%+v: %v", tc, err)
		}
		roles, _ := ParseRoles(c.Roles)
		on, embedded := c.ControlPlane(roles)
		if on != tc.on || embedded != tc.embedded || roles[RoleControl] != tc.control {
			t.Errorf("%+v: on %v embedded %v control %v", tc, on, embedded, roles[RoleControl])
		}
	}
	for _, bad := range []func(*Config){
		func(c *Config) { c.EtcdEndpoints = []string{"127.0.0.1:2379"} },
		func(c *Config) { c.EtcdEmbedAddr = "nowhere" },
		func(c *Config) { c.NodeID = "a/b" },
		func(c *Config) { c.ControlLeaseTTL = 1500 * time.Millisecond },
	} {
		c := base("all")
		bad(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%+v validated", c)
		}
	}
}

func TestLoadFileStorage(t *testing.T) {
	dir := t.TempDir()
	front := filepath.Join(dir, "front.yaml")
	if err := os.WriteFile(front, []byte("roles: gateway,coordinator\nstorage_nodes:\n  - 127.0.0.1:9101\n  - 127.0.0.1:9102\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	if err := c.LoadFile(front); err != nil {
		t.Fatal(err)
	}
	c.DataDir = t.TempDir()
	if err := c.Validate(); err != nil || !slices.Equal(c.StorageNodes, []string{"127.0.0.1:9101", "127.0.0.1:9102"}) {
		t.Fatalf("%v, storage nodes %q", err, c.StorageNodes)
	}
	store := filepath.Join(dir, "storage.yaml")
	if err := os.WriteFile(store, []byte("roles: storage\nstorage_addr: 127.0.0.1:9103\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := DefaultConfig()
	if err := s.LoadFile(store); err != nil {
		t.Fatal(err)
	}
	s.DataDir = t.TempDir()
	if err := s.Validate(); err != nil || s.StorageAddr != "127.0.0.1:9103" {
		t.Fatalf("%v, storage addr %q", err, s.StorageAddr)
	}
}

package node

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Config is the configuration of one `openwit serve` process. Flags
// override the optional YAML file (--config), which overrides defaults.
type Config struct {
	DataDir    string `yaml:"data_dir"`
	PGAddr     string `yaml:"pg_addr"`
	FlightAddr string `yaml:"flight_addr"`
	HTTPAddr   string `yaml:"http_addr"`
	Roles      string `yaml:"roles"`
	// Catalog is the catalog URL: sqlite:PATH (default DATA_DIR/catalog.db)
	// or postgres://...
	Catalog string `yaml:"catalog"`
	// ObjectStore is the object store URL: file:///PATH (default
	// DATA_DIR/objects).
	ObjectStore string `yaml:"object_store"`
	// Auth is "trust" (the default: loopback only) or "password" (not yet
	// implemented).
	Auth     string `yaml:"auth"`
	LogLevel string `yaml:"log_level"`
	// Ingest buffers are flushed to Parquet files at these thresholds.
	FlushRows  int64         `yaml:"flush_rows"`
	FlushBytes int64         `yaml:"flush_bytes"`
	FlushAge   time.Duration `yaml:"flush_age"`
	// ShardDuration is the default time-shard width of new tables.
	ShardDuration time.Duration `yaml:"shard_duration"`
	// MaxMessageSize bounds one PostgreSQL protocol message.
	MaxMessageSize int `yaml:"max_message_size"`
}

// DefaultConfig returns the embedded single-process defaults.
func DefaultConfig() Config {
	return Config{
		DataDir:        "./openwit-data",
		PGAddr:         "127.0.0.1:5433",
		FlightAddr:     "127.0.0.1:8815",
		HTTPAddr:       "127.0.0.1:8080",
		Roles:          "all",
		Auth:           "trust",
		LogLevel:       "info",
		FlushRows:      1 << 20,
		FlushBytes:     128 << 20,
		FlushAge:       30 * time.Second,
		ShardDuration:  time.Hour,
		MaxMessageSize: 64 << 20,
	}
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
	for name, a := range map[string]string{"pg-addr": c.PGAddr, "flight-addr": c.FlightAddr, "http-addr": c.HTTPAddr} {
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("--%s %q: %w", name, a, err)
		}
	}
	if c.Roles != "all" && c.Roles != "" {
		return fmt.Errorf("--roles %q: only \"all\" (every role in one process) is available in this version", c.Roles)
	}
	switch c.Auth {
	case "trust":
		if !isLoopback(c.PGAddr) {
			return fmt.Errorf("trust authentication is only allowed on loopback addresses; --pg-addr is %s", c.PGAddr)
		}
	default:
		return fmt.Errorf("auth %q is not supported yet (only \"trust\" on loopback)", c.Auth)
	}
	if c.Catalog == "" {
		c.Catalog = "sqlite:" + filepath.Join(c.DataDir, "catalog.db")
	}
	if c.ObjectStore == "" {
		c.ObjectStore = "file://" + filepath.Join(c.DataDir, "objects")
	}
	if c.FlushAge <= 0 || c.FlushRows <= 0 || c.FlushBytes <= 0 {
		return errors.New("flush thresholds must be positive")
	}
	if c.ShardDuration < time.Minute {
		return fmt.Errorf("shard duration %s is below 1m", c.ShardDuration)
	}
	return nil
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

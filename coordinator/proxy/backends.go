package proxy

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// Gateway is one gateway the proxy may send clients to.
type Gateway struct {
	// Name identifies the gateway in metrics and logs and across
	// refreshes of a Backends provider; default: PGAddr, else FlightAddr.
	Name string `yaml:"name"`
	// PGAddr is the gateway's PostgreSQL wire address (host:port); empty:
	// the gateway takes no PostgreSQL clients from the proxy.
	PGAddr string `yaml:"pg"`
	// FlightAddr is the gateway's Flight SQL address; empty: no Flight SQL
	// clients.
	FlightAddr string `yaml:"flight"`
	// Weight is the gateway's share of new connections relative to the
	// others (1 to 1000; 0 in a config means 1).
	Weight int `yaml:"weight"`
}

// MaxWeight bounds Gateway.Weight.
const MaxWeight = 1000

// Backends provides the gateways the proxy balances over. The proxy calls
// Gateways at start and then once per health-check interval, so a
// provider fed by gossip membership changes the set and the weights
// without restarting the proxy. A gateway missing from the returned list
// (by Name) gets no new connections; its open sessions continue until
// either side closes them (draining). Gateways must be safe for concurrent
// use and must not keep or modify the returned slice after returning it.
type Backends interface {
	Gateways() []Gateway
}

// Static is a fixed list of gateways (--gateways or the config file).
type Static []Gateway

// Gateways implements Backends.
func (s Static) Gateways() []Gateway { return s }

var _ Backends = Static(nil)

// Normalize checks g and fills its defaults (Name, Weight).
func (g *Gateway) Normalize() error {
	if g.PGAddr == "" && g.FlightAddr == "" {
		return fmt.Errorf("gateway %q: needs a pg or a flight address", g.Name)
	}
	for _, a := range []string{g.PGAddr, g.FlightAddr} {
		if a == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(a); err != nil {
			return fmt.Errorf("gateway address %q: %w", a, err)
		}
	}
	if g.Weight == 0 {
		g.Weight = 1
	}
	if g.Weight < 1 || g.Weight > MaxWeight {
		return fmt.Errorf("gateway %q: weight %d is outside 1..%d", g.Name, g.Weight, MaxWeight)
	}
	if g.Name == "" {
		g.Name = g.PGAddr
		if g.Name == "" {
			g.Name = g.FlightAddr
		}
	}
	return nil
}

// ParseGateways parses the --gateways flag: gateways separated by ';',
// each a comma-separated list of key=value with the keys pg, flight,
// weight and name, e.g.
// "pg=10.0.0.1:5433,flight=10.0.0.1:8815,weight=2;pg=10.0.0.2:5433".
// The returned gateways are normalized.
func ParseGateways(s string) ([]Gateway, error) {
	var out []Gateway
	for _, spec := range strings.Split(s, ";") {
		spec = strings.TrimSpace(spec)
		if spec == "" {
			continue
		}
		var g Gateway
		for _, kv := range strings.Split(spec, ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok {
				return nil, fmt.Errorf("--gateways %q: want key=value, got %q", spec, kv)
			}
			v = strings.TrimSpace(v)
			switch strings.TrimSpace(k) {
			case "pg":
				g.PGAddr = v
			case "flight":
				g.FlightAddr = v
			case "name":
				g.Name = v
			case "weight":
				w, err := strconv.Atoi(v)
				if err != nil || w < 1 {
					return nil, fmt.Errorf("--gateways %q: weight %q is not a positive integer", spec, v)
				}
				g.Weight = w
			default:
				return nil, fmt.Errorf("--gateways %q: unknown key %q (known: pg, flight, weight, name)", spec, k)
			}
		}
		if err := g.Normalize(); err != nil {
			return nil, fmt.Errorf("--gateways: %w", err)
		}
		out = append(out, g)
	}
	return out, CheckGateways(out)
}

// CheckGateways reports duplicate names.
func CheckGateways(gs []Gateway) error {
	seen := make(map[string]bool, len(gs))
	for _, g := range gs {
		if seen[g.Name] {
			return fmt.Errorf("gateway %q is listed twice", g.Name)
		}
		seen[g.Name] = true
	}
	return nil
}

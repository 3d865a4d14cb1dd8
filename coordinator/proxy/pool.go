package proxy

import (
	"log/slog"
	"sync"
)

// Protocols a gateway serves through the proxy.
const (
	protoPG = iota
	protoFlight
	numProtos
)

var protoNames = [numProtos]string{"pg", "flight"}

// backend is the proxy's state of one gateway. gw, up and the counters
// are guarded by pool.mu.
type backend struct {
	gw      Gateway
	up      bool
	checked bool // at least one health check has reported
	removed bool // no longer in the Backends list: draining
	oks     int  // consecutive successful checks
	fails   int  // consecutive failed checks
	// cur is the smooth weighted round-robin "current weight" per
	// protocol.
	cur [numProtos]int
}

func (b *backend) addr(proto int) string {
	if proto == protoPG {
		return b.gw.PGAddr
	}
	return b.gw.FlightAddr
}

// pool holds the gateways and picks one per new connection by smooth
// weighted round-robin (the interleaving nginx uses: each pick adds every
// eligible gateway's weight to its current weight, takes the largest and
// subtracts the total from it) over the gateways that are up, not removed
// and serve the protocol.
type pool struct {
	log        *slog.Logger
	met        *metrics
	rise, fall int

	mu     sync.Mutex
	order  []*backend // in Backends order
	byName map[string]*backend
}

func newPool(log *slog.Logger, met *metrics, rise, fall int) *pool {
	return &pool{log: log, met: met, rise: rise, fall: fall, byName: make(map[string]*backend)}
}

// refresh applies a new gateway list: new gateways are added (down until
// their first check), known ones take the new addresses and weight, and
// missing ones are removed (draining). It returns the current backends.
func (p *pool) refresh(gs []Gateway) []*backend {
	p.mu.Lock()
	defer p.mu.Unlock()
	seen := make(map[string]bool, len(gs))
	order := make([]*backend, 0, len(gs))
	for _, g := range gs {
		if err := g.Normalize(); err != nil || seen[g.Name] {
			p.log.Warn("proxy ignores an invalid gateway", "gateway", g.Name, "err", err)
			continue
		}
		seen[g.Name] = true
		b := p.byName[g.Name]
		if b == nil {
			b = &backend{gw: g}
			p.byName[g.Name] = b
			p.met.up.WithLabelValues(g.Name).Set(0)
			p.log.Info("proxy gateway added", "gateway", g.Name, "pg", g.PGAddr, "flight", g.FlightAddr, "weight", g.Weight)
		}
		b.gw = g
		p.met.weight.WithLabelValues(g.Name).Set(float64(g.Weight))
		order = append(order, b)
	}
	for name, b := range p.byName {
		if !seen[name] {
			b.removed, b.up = true, false
			delete(p.byName, name)
			p.met.up.DeleteLabelValues(name)
			p.met.weight.DeleteLabelValues(name)
			p.log.Info("proxy gateway removed; its sessions drain", "gateway", name)
		}
	}
	p.order = order
	return append([]*backend(nil), order...)
}

// pick chooses the gateway of a new connection, skipping those in tried;
// nil when none is eligible.
func (p *pool) pick(proto int, tried map[*backend]bool) (*backend, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var best *backend
	total := 0
	for _, b := range p.order {
		if !b.up || b.removed || b.addr(proto) == "" || tried[b] {
			continue
		}
		b.cur[proto] += b.gw.Weight
		total += b.gw.Weight
		if best == nil || b.cur[proto] > best.cur[proto] {
			best = b
		}
	}
	if best == nil {
		return nil, ""
	}
	best.cur[proto] -= total
	return best, best.addr(proto)
}

// name returns b's gateway name.
func (p *pool) name(b *backend) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return b.gw.Name
}

// report records one health check: a gateway goes down after fall failed
// checks in a row and comes back after rise good ones; the first check
// decides at once.
func (p *pool) report(b *backend, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b.removed {
		return
	}
	was := b.up
	if err == nil {
		b.fails, b.oks = 0, b.oks+1
		if !b.up && (!b.checked || b.oks >= p.rise) {
			b.up = true
		}
	} else {
		b.oks, b.fails = 0, b.fails+1
		if !b.checked || b.fails >= p.fall {
			b.up = false
		}
	}
	b.checked = true
	p.changed(b, was, err)
}

// markDown takes a gateway out at once after a failed connection attempt;
// the health checks bring it back.
func (p *pool) markDown(b *backend, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if b.removed {
		return
	}
	was := b.up
	b.up, b.oks, b.checked = false, 0, true
	p.changed(b, was, err)
}

func (p *pool) changed(b *backend, was bool, err error) {
	if b.up == was {
		return
	}
	if b.up {
		p.met.up.WithLabelValues(b.gw.Name).Set(1)
		p.log.Info("proxy gateway up", "gateway", b.gw.Name)
		return
	}
	p.met.up.WithLabelValues(b.gw.Name).Set(0)
	p.log.Warn("proxy gateway down", "gateway", b.gw.Name, "err", err)
}

package node

import (
	"math"

	"openwit/coordinator/membership"
	"openwit/coordinator/proxy"
)

// gossipGateways is the proxy's Backends when it gossips: the --gateways
// list united with the alive gateways gossip knows (those not leaving: a
// gateway shutting down drains). A gossiped gateway's weight is its
// --weight scaled by the share of its CPUs that is free, so new
// connections lean away from a busy gateway; the proxy re-reads the list
// every health-check interval.
type gossipGateways struct {
	static  []proxy.Gateway
	members func() []membership.Member
}

func (g gossipGateways) Gateways() []proxy.Gateway {
	out := append([]proxy.Gateway(nil), g.static...)
	known := map[string]bool{}
	for _, s := range g.static {
		known[s.PGAddr], known[s.FlightAddr] = true, true
	}
	for _, m := range g.members() {
		if m.Health != membership.Alive || m.Leaving || !m.HasRole(RoleGateway) || m.Self {
			continue
		}
		if (m.PGAddr == "" || known[m.PGAddr]) && (m.FlightAddr == "" || known[m.FlightAddr]) {
			continue // listed by --gateways already (or nothing to route to)
		}
		gw := proxy.Gateway{Name: m.ID, PGAddr: m.PGAddr, FlightAddr: m.FlightAddr, Weight: liveWeight(m)}
		if gw.Normalize() != nil {
			continue
		}
		out = append(out, gw)
	}
	return out
}

// liveWeight is 100 × the member's --weight × its free CPU share (at
// least a tenth), within the proxy's 1..1000.
func liveWeight(m membership.Member) int {
	w := m.Weight
	if w <= 0 {
		w = 1
	}
	free := 1.0
	if m.Load.CPUs > 0 {
		free = max(0.1, 1-m.Load.CPU/float64(m.Load.CPUs))
	}
	return int(min(1000, max(1, math.Round(100*w*free))))
}

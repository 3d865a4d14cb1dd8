package control

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Status is the control plane as this node sees it (GET /control).
type Status struct {
	NodeID string `json:"node_id"`
	// Role is this node's part in the election: leader, candidate,
	// observer (no control role) or disconnected (no etcd session).
	Role string `json:"role"`
	// Leader is the control leader's node id; empty when unknown (no
	// quorum, or no candidate).
	Leader string `json:"leader"`
	// LeaderTerm is the etcd revision of the leader's election key.
	LeaderTerm int64 `json:"leader_term,omitempty"`
	// Quorum reports that a linearizable read succeeded just now.
	Quorum bool `json:"quorum"`
	// Decisions is "active", or "paused" when there is no quorum or no
	// session: no leader acts, no job runs, schema changes wait.
	Decisions string           `json:"decisions"`
	Error     string           `json:"error,omitempty"`
	Members   []EndpointStatus `json:"members"`
	Nodes     []NodeInfo       `json:"nodes"`
	Jobs      []JobStatus      `json:"jobs"`
	// ShardOwners counts the (table, time shard) owner records by owner
	// node id (Owners; absent when there are none); registered storage
	// nodes that own none count 0.
	ShardOwners map[string]int `json:"shard_owners,omitempty"`
}

// EndpointStatus is one etcd endpoint's answer to a status request.
type EndpointStatus struct {
	Endpoint  string `json:"endpoint"`
	Reachable bool   `json:"reachable"`
	HasLeader bool   `json:"has_leader"`
	Error     string `json:"error,omitempty"`
}

// JobStatus is a job's committed state plus this node's view.
type JobStatus struct {
	Name string `json:"name"`
	JobState
	Paused    bool   `json:"paused"`
	LastError string `json:"last_error,omitempty"`
}

// Status gathers the status; each etcd request is bounded by a second, so
// it answers quickly without quorum too.
func (p *Plane) Status(ctx context.Context) Status {
	st := Status{NodeID: p.cfg.NodeID, Members: []EndpointStatus{}, Nodes: []NodeInfo{}, Jobs: []JobStatus{}}
	p.mu.Lock()
	st.Role = p.role
	hasSess := p.sess != nil
	specs := append([]JobSpec(nil), p.specs...)
	jobErr := maps.Clone(p.jobErr)
	if p.lastErr != "" {
		st.Error = p.lastErr
	}
	p.mu.Unlock()

	var wg sync.WaitGroup
	st.Members = make([]EndpointStatus, len(p.cfg.Endpoints))
	for i, ep := range p.cfg.Endpoints {
		wg.Go(func() {
			c, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			es := EndpointStatus{Endpoint: ep}
			r, err := p.cli.Status(c, ep)
			if err != nil {
				es.Error = err.Error()
			} else {
				es.Reachable, es.HasLeader = true, r.Leader != 0
			}
			st.Members[i] = es
		})
	}
	wg.Go(func() {
		c, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		// Linearizable: answers only with a quorum.
		g, err := p.cli.Get(c, p.key("election", "control"), clientv3.WithFirstCreate()...)
		if err != nil {
			st.Error = strings.TrimSpace(st.Error + " quorum check: " + err.Error())
			return
		}
		st.Quorum = true
		if len(g.Kvs) > 0 {
			st.Leader, st.LeaderTerm = string(g.Kvs[0].Value), g.Kvs[0].CreateRevision
		}
	})
	var nodes []NodeInfo
	states := map[string]JobState{}
	wg.Go(func() {
		c, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		// Serializable reads: a member without quorum still shows its
		// last view.
		g, err := p.cli.Get(c, p.key("nodes")+"/", clientv3.WithPrefix(), clientv3.WithSerializable())
		if err == nil {
			for _, kv := range g.Kvs {
				var n NodeInfo
				if json.Unmarshal(kv.Value, &n) == nil {
					nodes = append(nodes, n)
				}
			}
		}
		g, err = p.cli.Get(c, p.key("shards")+"/", clientv3.WithPrefix(), clientv3.WithSerializable())
		if err == nil {
			for _, kv := range g.Kvs {
				var r Owner
				if json.Unmarshal(kv.Value, &r) == nil {
					if st.ShardOwners == nil {
						st.ShardOwners = map[string]int{}
					}
					st.ShardOwners[r.NodeID]++
				}
			}
		}
		g, err = p.cli.Get(c, p.key("jobs")+"/", clientv3.WithPrefix(), clientv3.WithSerializable())
		if err == nil {
			for _, kv := range g.Kvs {
				name, ok := strings.CutSuffix(strings.TrimPrefix(string(kv.Key), p.key("jobs")+"/"), "/state")
				var js JobState
				if ok && json.Unmarshal(kv.Value, &js) == nil {
					states[name] = js
				}
			}
		}
	})
	wg.Wait()
	if nodes != nil {
		st.Nodes = nodes
	}
	if st.ShardOwners != nil {
		// A registered storage node that owns nothing shows as 0: the
		// node an operator looks for when one gets no shards.
		for _, n := range nodes {
			if _, ok := st.ShardOwners[n.ID]; !ok && slices.Contains(n.Roles, OwnerRole) {
				st.ShardOwners[n.ID] = 0
			}
		}
	}
	active := st.Quorum && hasSess
	st.Decisions = "active"
	if !active {
		st.Decisions = "paused"
	}
	names := map[string]bool{}
	for _, s := range specs {
		names[s.Name] = true
	}
	for n := range states {
		names[n] = true
	}
	for n := range names {
		st.Jobs = append(st.Jobs, JobStatus{Name: n, JobState: states[n], LastError: jobErr[n],
			Paused: !active || (st.Leader == "" && len(specs) > 0)})
	}
	slices.SortFunc(st.Jobs, func(a, b JobStatus) int { return strings.Compare(a.Name, b.Name) })
	return st
}

// String is a one-line summary for logs.
func (s Status) String() string {
	return fmt.Sprintf("leader=%q role=%s quorum=%v decisions=%s", s.Leader, s.Role, s.Quorum, s.Decisions)
}

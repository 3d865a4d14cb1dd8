package planner

import (
	"sort"
	"sync"
	"time"
)

// The sessions of this node, for pg_stat_activity. Each session owns an
// activity record it updates as statements start and end; readers (any
// session's query of pg_stat_activity) copy the records under their locks.

// sessionRegistry lists an engine's open sessions.
type sessionRegistry struct {
	mu       sync.Mutex
	sessions map[uint32]*activity
}

func (r *sessionRegistry) add(a *activity) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.sessions == nil {
		r.sessions = map[uint32]*activity{}
	}
	r.sessions[a.pid] = a
}

func (r *sessionRegistry) remove(pid uint32) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.sessions, pid)
}

// list returns a copy of every session's activity, by pid.
func (r *sessionRegistry) list() []activityRow {
	r.mu.Lock()
	all := make([]*activity, 0, len(r.sessions))
	for _, a := range r.sessions {
		all = append(all, a)
	}
	r.mu.Unlock()
	out := make([]activityRow, 0, len(all))
	for _, a := range all {
		a.mu.Lock()
		out = append(out, a.activityRow)
		a.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].pid < out[j].pid })
	return out
}

// activityRow is what pg_stat_activity shows of one session.
type activityRow struct {
	pid          uint32
	user         string
	application  string
	clientAddr   string // "" when unknown (in-process sessions)
	clientPort   int32
	backendStart time.Time
	xactStart    time.Time // zero outside a transaction block
	queryStart   time.Time // zero before the first statement
	stateChange  time.Time
	state        string // active, idle, idle in transaction, idle in transaction (aborted)
	query        string
}

// activity is a session's activityRow and its lock.
type activity struct {
	mu sync.Mutex
	activityRow
}

// SetClient records the client's address and port (pg_stat_activity's
// client_addr and client_port).
func (s *Session) SetClient(addr string, port int) {
	s.act.mu.Lock()
	defer s.act.mu.Unlock()
	s.act.clientAddr, s.act.clientPort = addr, int32(port)
}

// started records a statement starting.
func (s *Session) started(query string) {
	if !s.tx.active {
		s.txid = 0 // a new transaction: the statement's own
	}
	now := time.Now()
	s.act.mu.Lock()
	defer s.act.mu.Unlock()
	s.act.state, s.act.query, s.act.queryStart, s.act.stateChange = "active", query, now, now
	s.act.application = s.settings["application_name"]
	if s.tx.active && s.act.xactStart.IsZero() {
		s.act.xactStart = now
	}
}

// finished records the running statement ending (its rows closed).
func (s *Session) finished() {
	now := time.Now()
	state := "idle"
	switch {
	case s.tx.active && s.tx.failed:
		state = "idle in transaction (aborted)"
	case s.tx.active:
		state = "idle in transaction"
	}
	s.act.mu.Lock()
	defer s.act.mu.Unlock()
	s.act.state, s.act.stateChange = state, now
	s.act.application = s.settings["application_name"]
	if !s.tx.active {
		s.act.xactStart = time.Time{}
	}
}

package control

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/client/v3/concurrency"
)

// JobState is what etcd remembers of a job (key PREFIX/jobs/NAME/state).
// It changes only in a transaction fenced by the run's token, so Runs
// counts committed runs exactly.
type JobState struct {
	Runs    int64     `json:"runs"`
	Token   int64     `json:"token"`  // fencing token of the last committed run
	Holder  string    `json:"holder"` // node that committed it
	LastRun time.Time `json:"last_run"`
}

// Jobs runs work that must happen once at a time in the cluster under a
// job lease (an etcd mutex on this node's session). A run's fencing token
// is the etcd revision that created its lease key: a later holder always
// has a larger one. When the holder dies its key goes with its lease,
// after the lease TTL, and the next waiter takes over.
type Jobs struct {
	p *Plane

	mu    sync.Mutex
	runs  map[int64]*jobRun      // by token, while running
	local map[string]*sync.Mutex // one run per job name in this process
}

type jobRun struct {
	name      string
	key       string // lease key
	token     int64
	stateRev  int64 // mod revision of the state key when read (0: absent)
	state     JobState
	committed bool
}

// Run runs fn once in the cluster's lifetime of the job name: it waits for
// the job lease, and runs fn unless a run was already committed. A run
// commits when fn calls Commit or, if fn does not, when fn returns nil.
// ErrStaleToken means the lease was lost before the commit.
func (j *Jobs) Run(ctx context.Context, name string, fn JobFunc) error {
	_, err := j.run(ctx, name, func(s JobState) bool { return s.Runs == 0 }, fn)
	return err
}

// RunEvery runs fn if the last committed run of name is at least every
// ago (or there is none). It returns how long until the next run is due.
func (j *Jobs) RunEvery(ctx context.Context, name string, every time.Duration, fn JobFunc) (time.Duration, error) {
	st, err := j.run(ctx, name, func(s JobState) bool { return s.Runs == 0 || time.Since(s.LastRun) >= every }, fn)
	if err != nil {
		return every, err
	}
	return max(time.Until(st.LastRun.Add(every)), 0), nil
}

func (j *Jobs) run(ctx context.Context, name string, due func(JobState) bool, fn JobFunc) (JobState, error) {
	if err := checkJobName(name); err != nil {
		return JobState{}, err
	}
	j.mu.Lock()
	lm := j.local[name]
	if lm == nil {
		lm = new(sync.Mutex)
		j.local[name] = lm
	}
	j.mu.Unlock()
	lm.Lock()
	defer lm.Unlock()

	p := j.p
	sess, err := p.session(ctx)
	if err != nil {
		return JobState{}, err
	}
	// The run's context ends with the lease: a holder that lost it stops.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-sess.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	m := concurrency.NewMutex(sess, p.key("jobs", name, "lock"))
	if err := m.Lock(ctx); err != nil {
		return JobState{}, fmt.Errorf("job %s: take lease: %w", name, err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_ = m.Unlock(uctx)
		cancel()
	}()
	g, err := p.cli.Get(ctx, m.Key())
	if err != nil {
		return JobState{}, fmt.Errorf("job %s: read lease: %w", name, err)
	}
	if len(g.Kvs) == 0 {
		return JobState{}, fmt.Errorf("job %s: %w (lease key gone)", name, ErrStaleToken)
	}
	r := &jobRun{name: name, key: m.Key(), token: g.Kvs[0].CreateRevision}
	if r.state, r.stateRev, err = j.State(ctx, name); err != nil {
		return JobState{}, err
	}
	if !due(r.state) {
		return r.state, nil
	}
	j.mu.Lock()
	j.runs[r.token] = r
	j.mu.Unlock()
	defer func() {
		j.mu.Lock()
		delete(j.runs, r.token)
		j.mu.Unlock()
	}()
	if err := fn(ctx, r.token); err != nil {
		p.runs.WithLabelValues(name, "failed").Inc()
		return r.state, fmt.Errorf("job %s (token %d): %w", name, r.token, err)
	}
	if !r.committed {
		if err := j.Commit(ctx, r.token); err != nil {
			return r.state, err
		}
	}
	return r.state, nil
}

// State reads the job's state and the mod revision of its key (0 when the
// job never committed a run).
func (j *Jobs) State(ctx context.Context, name string) (JobState, int64, error) {
	g, err := j.p.cli.Get(ctx, j.p.key("jobs", name, "state"))
	if err != nil {
		return JobState{}, 0, fmt.Errorf("job %s: read state: %w", name, err)
	}
	var st JobState
	if len(g.Kvs) == 0 {
		return st, 0, nil
	}
	if err := json.Unmarshal(g.Kvs[0].Value, &st); err != nil {
		return st, 0, fmt.Errorf("job %s: decode state: %w", name, err)
	}
	return st, g.Kvs[0].ModRevision, nil
}

// Commit ends the run holding token: in one etcd transaction, only if the
// run's lease key still has that creation revision (the lease is still
// this run's) and the job state is unchanged since the run read it, it
// applies ops and records the run. Otherwise nothing is written and the
// error wraps ErrStaleToken. A run commits at most once.
func (j *Jobs) Commit(ctx context.Context, token int64, ops ...clientv3.Op) error {
	j.mu.Lock()
	r := j.runs[token]
	j.mu.Unlock()
	if r == nil || r.committed {
		j.p.runs.WithLabelValues(jobLabel(r), "stale").Inc()
		return fmt.Errorf("commit with token %d: %w (no such run in progress)", token, ErrStaleToken)
	}
	st := JobState{Runs: r.state.Runs + 1, Token: token, Holder: j.p.cfg.NodeID, LastRun: time.Now().UTC()}
	b, _ := json.Marshal(st)
	stateKey := j.p.key("jobs", r.name, "state")
	resp, err := j.p.cli.Txn(ctx).If(
		clientv3.Compare(clientv3.CreateRevision(r.key), "=", token),
		clientv3.Compare(clientv3.ModRevision(stateKey), "=", r.stateRev),
	).Then(append(ops, clientv3.OpPut(stateKey, string(b)))...).Commit()
	if err != nil {
		// The outcome is unknown: counted as failed, though etcd may have
		// applied it (JobState.Runs is the truth).
		j.p.runs.WithLabelValues(r.name, "failed").Inc()
		return fmt.Errorf("job %s: commit: %w", r.name, err)
	}
	if !resp.Succeeded {
		j.p.runs.WithLabelValues(r.name, "stale").Inc()
		return fmt.Errorf("job %s: commit with token %d: %w", r.name, token, ErrStaleToken)
	}
	r.committed, r.state = true, st
	j.p.runs.WithLabelValues(r.name, "committed").Inc()
	return nil
}

// Check returns nil if token still holds its job lease (a linearizable
// etcd transaction), ErrStaleToken if not. Use it before effects that
// cannot join Commit's transaction (object deletes); between Check and
// the effect the lease can still expire, so such effects must be
// idempotent.
func (j *Jobs) Check(ctx context.Context, token int64) error {
	j.mu.Lock()
	r := j.runs[token]
	j.mu.Unlock()
	if r == nil {
		return fmt.Errorf("token %d: %w (no such run in progress)", token, ErrStaleToken)
	}
	resp, err := j.p.cli.Txn(ctx).If(clientv3.Compare(clientv3.CreateRevision(r.key), "=", token)).Commit()
	if err != nil {
		return fmt.Errorf("job %s: check token: %w", r.name, err)
	}
	if !resp.Succeeded {
		return fmt.Errorf("job %s: token %d: %w", r.name, token, ErrStaleToken)
	}
	return nil
}

func jobLabel(r *jobRun) string {
	if r == nil {
		return "unknown"
	}
	return r.name
}

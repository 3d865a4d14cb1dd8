package node

import (
	"context"
	"time"

	"openwit/storage/compact"
)

// Leader decides whether this process runs the cluster-wide storage jobs
// (compaction, retention, garbage collection) now. The seam for the control
// plane: for now the storage role always leads (alwaysLeader); a job lease
// with a fencing token from etcd replaces it.
type Leader interface {
	IsLeader() bool
}

type alwaysLeader struct{}

func (alwaysLeader) IsLeader() bool { return true }

// startCompaction runs the storage jobs every --compaction-interval in the
// background until stop is closed.
func (n *Node) startCompaction(leader Leader) error {
	if n.cfg.CompactionInterval == 0 {
		return nil
	}
	jobs, err := compact.New(compact.Config{
		Catalog: n.cat, Bucket: n.bucket, Logger: n.log, Registerer: n.reg,
		TargetBytes: int64(n.cfg.CompactionTargetSize), Grace: n.cfg.GarbageGrace,
		OnReplace: n.ing.ReplaceFiles,
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	n.stopJobs = func() { cancel(); <-done }
	go func() {
		defer close(done)
		tick := time.NewTicker(n.cfg.CompactionInterval)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			if !leader.IsLeader() {
				continue
			}
			for _, step := range []struct {
				name string
				run  func(context.Context) error
			}{{"compaction", jobs.Compact}, {"retention", jobs.Retain}, {"garbage", jobs.Collect}} {
				if err := step.run(ctx); err != nil && ctx.Err() == nil {
					n.log.Warn("storage job failed", "job", step.name, "err", err)
				}
			}
		}
	}()
	return nil
}

package node

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
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
	jobs, err := n.storageJobs()
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
			for _, step := range storageSteps(jobs) {
				if err := step.run(ctx); err != nil && ctx.Err() == nil {
					n.log.Warn("storage job failed", "job", step.name, "err", err)
				}
			}
		}
	}()
	return nil
}

// storageJobs builds the storage jobs over this node's catalog and object
// store; swaps are applied to the local ingester's file list when it runs
// one (other nodes follow through their catalog refresh).
func (n *Node) storageJobs() (*compact.Jobs, error) {
	// Merges spill sorted runs under DATA_DIR/tmp/compact; what a crash
	// left there is removed at start.
	tmp := filepath.Join(n.cfg.DataDir, "tmp", "compact")
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("compaction temporary directory: %w", err)
	}
	if err := os.MkdirAll(tmp, 0o755); err != nil {
		return nil, fmt.Errorf("compaction temporary directory: %w", err)
	}
	cfg := compact.Config{
		Catalog: n.cat, Bucket: n.tier.direct, Logger: n.log, Registerer: n.reg,
		TargetBytes: int64(n.cfg.CompactionTargetSize), Grace: n.cfg.GarbageGrace,
		Failpoint: n.failpoint(), TempDir: tmp,
	}
	if n.ing != nil {
		cfg.OnReplace = n.ing.ReplaceFiles
	}
	return compact.New(cfg)
}

type storageStep struct {
	name string
	run  func(context.Context) error
}

// storageSteps are the storage jobs in the order they run.
func storageSteps(jobs *compact.Jobs) []storageStep {
	return []storageStep{{"compaction", jobs.Compact}, {"retention", jobs.Retain}, {"garbage", jobs.Collect}}
}

// failpoint returns the crash-test hook of the storage jobs and the
// indexer, or nil. With OPENWIT_TEST_FAILPOINT=<point> (see
// compact.Config.Failpoint, storage.IndexerConfig.Failpoint) the job logs
// "failpoint reached" there and waits until the file named by
// OPENWIT_TEST_FAILPOINT_RELEASE exists (forever when unset), so a test can
// kill the process or act at that moment; <point>@N stops only the Nth
// time the point is reached. For tests only.
func (n *Node) failpoint() func(context.Context, string) {
	want := os.Getenv("OPENWIT_TEST_FAILPOINT")
	if want == "" {
		return nil
	}
	nth := int64(0)
	if i := strings.LastIndexByte(want, '@'); i >= 0 {
		v, err := strconv.ParseInt(want[i+1:], 10, 64)
		if err == nil && v > 0 {
			want, nth = want[:i], v
		}
	}
	var reached atomic.Int64
	release := os.Getenv("OPENWIT_TEST_FAILPOINT_RELEASE")
	return func(ctx context.Context, point string) {
		if point != want {
			return
		}
		if k := reached.Add(1); nth > 0 && k != nth {
			return
		}
		n.log.Warn("failpoint reached", "point", point)
		for {
			if release != "" {
				if _, err := os.Stat(release); err == nil {
					n.log.Warn("failpoint released", "point", point)
					return
				}
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
}

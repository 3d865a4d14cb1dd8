package compact

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"openwit/storage/catalog"
	"openwit/storage/objstore"
)

// TablesPrefix is the object store prefix under which every data file lives
// (storage.FileKey); orphans are looked for only there.
const TablesPrefix = "tables/"

// indexSuffix ends the key of a data file's index artifact
// (storage.IndexKey).
const indexSuffix = ".parquet.idx"

// collectBatch bounds the garbage rows handled per catalog round trip.
const collectBatch = 1000

// Collect deletes the objects retired more than the grace period ago and
// then forgets their garbage rows, and deletes orphans: objects under
// TablesPrefix that neither a file row nor a garbage row names and that
// were written more than the grace period ago (an upload whose publish
// never happened). An index artifact ("<file>.idx") is an orphan only when
// its data file is not named either: an artifact uploaded by an indexer
// that died before linking it, or whose file was compacted away
// meanwhile, would otherwise stay forever, while one whose file is still
// published waits for an indexer to link it. Objects younger than the
// grace are never deleted: they may be uploads about to be published.
// Orphans are only looked for when the bucket implements
// objstore.ModTimer.
func (j *Jobs) Collect(ctx context.Context) error {
	if err := j.collectRetired(ctx); err != nil {
		return err
	}
	return j.collectOrphans(ctx)
}

func (j *Jobs) collectRetired(ctx context.Context) error {
	before := j.cfg.Now().Add(-j.cfg.Grace)
	for {
		gs, err := j.cfg.Catalog.ListGarbage(ctx, before, collectBatch)
		if err != nil {
			return fmt.Errorf("collect garbage: %w", err)
		}
		if len(gs) == 0 {
			return nil
		}
		paths := make([]string, 0, len(gs))
		for _, g := range gs {
			if err := j.cfg.Bucket.Delete(ctx, g.Path); err != nil {
				return fmt.Errorf("collect garbage: delete %s: %w", g.Path, err)
			}
			paths = append(paths, g.Path)
		}
		// The objects are gone before their rows: a crash in between
		// leaves rows whose repeated delete is a no-op.
		if err := j.cfg.Catalog.DeleteGarbage(ctx, paths); err != nil {
			return fmt.Errorf("collect garbage: %w", err)
		}
		j.m.garbageDeleted.WithLabelValues("retired").Add(float64(len(paths)))
		j.cfg.Logger.Info("deleted garbage", "objects", len(paths))
		if len(gs) < collectBatch {
			return nil
		}
	}
}

func (j *Jobs) collectOrphans(ctx context.Context) error {
	mt, ok := j.cfg.Bucket.(objstore.ModTimer)
	if !ok {
		return nil
	}
	// List the objects first and read the catalog after: an object
	// published meanwhile is then named, never taken for an orphan.
	var keys []string
	err := j.cfg.Bucket.List(ctx, TablesPrefix, func(key string, _ int64) error {
		if strings.HasSuffix(key, ".parquet") || strings.HasSuffix(key, indexSuffix) {
			keys = append(keys, key)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("collect orphans: %w", err)
	}
	if len(keys) == 0 {
		return nil
	}
	named, err := j.namedObjects(ctx)
	if err != nil {
		return fmt.Errorf("collect orphans: %w", err)
	}
	cut := j.cfg.Now().Add(-j.cfg.Grace)
	for _, key := range keys {
		if named[key] {
			continue
		}
		if strings.HasSuffix(key, indexSuffix) && named[strings.TrimSuffix(key, ".idx")] {
			continue // its file may still get it linked, or retires it
		}
		at, err := mt.ModTime(ctx, key)
		if errors.Is(err, objstore.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("collect orphans: %w", err)
		}
		if !at.Before(cut) {
			continue // young: maybe an upload about to be published
		}
		if err := j.cfg.Bucket.Delete(ctx, key); err != nil {
			return fmt.Errorf("collect orphans: delete %s: %w", key, err)
		}
		j.m.garbageDeleted.WithLabelValues("orphan").Inc()
		j.cfg.Logger.Info("deleted orphan object", "file", key, "written", at)
	}
	return nil
}

// namedObjects returns the keys the catalog names: published files and
// their index artifacts, then
// garbage (read last, so a file retired between the reads is still named).
func (j *Jobs) namedObjects(ctx context.Context) (map[string]bool, error) {
	named := map[string]bool{}
	tables, err := j.cfg.Catalog.ListTables(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		files, err := j.cfg.Catalog.ListFiles(ctx, t.ID)
		if errors.Is(err, catalog.ErrNotFound) {
			continue // dropped meanwhile: its files are in garbage now
		}
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			named[f.Path] = true
			if f.Index != nil {
				named[f.Index.Path] = true // its index artifact
			}
		}
	}
	gs, err := j.cfg.Catalog.ListGarbage(ctx, j.cfg.Now().Add(24*365*time.Hour), 0)
	if err != nil {
		return nil, err
	}
	for _, g := range gs {
		named[g.Path] = true
	}
	return named, nil
}

package compact

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"openwit/storage/catalog"
)

// RetentionOption is the table option (CREATE TABLE ... WITH (retention =
// '30 days'), ALTER TABLE ... SET (retention = ...)) that bounds the age of
// a table's data.
const RetentionOption = "retention"

// ParseRetention parses a retention period: one or more "<number> <unit>"
// pairs ("30 days", "1 day 12 hours", "90d", "2 weeks") with units
// s/sec/second(s), min/minute(s), h/hour(s), d/day(s), w/week(s); a day is
// 24 hours. The result is positive.
func ParseRetention(s string) (time.Duration, error) {
	fields := strings.Fields(strings.ToLower(s))
	// Split "90d" into "90" "d".
	var toks []string
	for _, f := range fields {
		i := strings.IndexFunc(f, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
		if i > 0 {
			toks = append(toks, f[:i], f[i:])
		} else {
			toks = append(toks, f)
		}
	}
	if len(toks) == 0 || len(toks)%2 != 0 {
		return 0, fmt.Errorf("retention %q: want <number> <unit>, e.g. '30 days'", s)
	}
	var total time.Duration
	for i := 0; i < len(toks); i += 2 {
		n, err := strconv.ParseFloat(toks[i], 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("retention %q: %q is not a number", s, toks[i])
		}
		var unit time.Duration
		switch toks[i+1] {
		case "s", "sec", "secs", "second", "seconds":
			unit = time.Second
		case "m", "min", "mins", "minute", "minutes":
			unit = time.Minute
		case "h", "hour", "hours":
			unit = time.Hour
		case "d", "day", "days":
			unit = 24 * time.Hour
		case "w", "week", "weeks":
			unit = 7 * 24 * time.Hour
		default:
			return 0, fmt.Errorf("retention %q: unknown unit %q (want seconds, minutes, hours, days or weeks)", s, toks[i+1])
		}
		if n*float64(unit) > float64(100*365*24*time.Hour) {
			return 0, fmt.Errorf("retention %q: longer than 100 years", s)
		}
		total += time.Duration(n * float64(unit))
	}
	if total <= 0 {
		return 0, fmt.Errorf("retention %q: must be positive", s)
	}
	return total, nil
}

// Retain drops, in every table with a retention option, the time shards
// that end before now - retention: all their files leave the catalog in
// one transaction per table and become garbage. Files without a shard
// width (ShardDuration 0) go when their newest row is older than the cut.
// A table whose option does not parse is skipped with an error.
func (j *Jobs) Retain(ctx context.Context) error {
	tables, err := j.cfg.Catalog.ListTables(ctx)
	if err != nil {
		return fmt.Errorf("retention: %w", err)
	}
	var errs []error
	for _, t := range tables {
		v, ok := t.Options[RetentionOption]
		if !ok {
			continue
		}
		keep, err := ParseRetention(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("retention of table %s: %w", t.Name, err))
			continue
		}
		if err := j.retainTable(ctx, t, j.cfg.Now().Add(-keep).UnixMicro()); err != nil && !errors.Is(err, catalog.ErrNotFound) {
			errs = append(errs, fmt.Errorf("retention of table %s: %w", t.Name, err))
		}
	}
	return errors.Join(errs...)
}

func (j *Jobs) retainTable(ctx context.Context, t *catalog.Table, cut int64) error {
	files, err := j.cfg.Catalog.ListFiles(ctx, t.ID)
	if err != nil {
		return err
	}
	var ids []string
	shards := map[int64]bool{}
	for _, f := range files {
		end := f.MaxTime + 1
		if t.ShardDuration > 0 {
			end = f.Shard + t.ShardDuration.Microseconds()
		}
		if end <= cut {
			ids = append(ids, f.ID)
			shards[f.Shard] = true
		}
	}
	if len(ids) == 0 {
		return nil
	}
	err = j.cfg.Catalog.ReplaceFiles(ctx, t.ID, ids, nil)
	if errors.Is(err, catalog.ErrConflict) {
		j.m.conflicts.Inc()
		return nil // a compaction swapped some: the next run sees its output
	}
	if err != nil {
		return err
	}
	j.m.shardsDropped.Add(float64(len(shards)))
	j.m.filesDropped.Add(float64(len(ids)))
	j.cfg.Logger.Info("retention dropped shards", "table", t.Name, "shards", len(shards), "files", len(ids))
	if j.cfg.OnReplace != nil {
		j.cfg.OnReplace(t.ID, ids, nil)
	}
	return nil
}

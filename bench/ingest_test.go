package bench

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// TestRunIngest runs `openwit bench ingest` small: every method loads every
// row (RunIngest checks the acknowledged and counted rows and that Parquet
// files were written) and reports a rate.
func TestRunIngest(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	rep, err := RunIngest(ctx, IngestConfig{Gen: GenConfig{Rows: 20_000, Seed: 5, Days: 1, BatchSize: 4096},
		StatementRows: 7_000, Progress: logWriter{t}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, m := range []string{MethodEncode, MethodFlight, MethodFlightDeferred, MethodCopyText, MethodCopyBinary, MethodKafka} {
		want[EngineOpenWit+"/"+m] = true
	}
	want[EnginePostgres+"/"+MethodCopyText], want[EnginePostgres+"/"+MethodCopyBinary] = true, true
	for _, r := range rep.Results {
		key := r.Engine + "/" + r.Method
		if !want[key] {
			t.Errorf("unexpected result %s", key)
		}
		delete(want, key)
		if r.Rows != 20_000 || r.RowsPerSec <= 0 || r.Seconds <= 0 {
			t.Errorf("%s: %+v", key, r)
		}
		if r.Method == MethodKafka { // no acknowledgement, no final flush: the consumer publishes
			if r.Publishes <= 0 || r.Publishes > r.Rows {
				t.Errorf("%s: %d publishes for %d rows", key, r.Publishes, r.Rows)
			}
			continue
		}
		if r.Publishes != 0 {
			t.Errorf("%s: %d kafka publishes", key, r.Publishes)
		}
		if r.Engine == EngineOpenWit && r.Method != MethodEncode && (r.AckSeconds <= 0 || r.AckSeconds > r.Seconds) {
			t.Errorf("%s: ack %.3fs of %.3fs", key, r.AckSeconds, r.Seconds)
		}
		if r.Engine == EngineOpenWit && r.Method != MethodEncode && (r.FlushCPUSeconds <= 0 || r.FlushCPUSeconds > r.CPUSeconds) {
			t.Errorf("%s: flush cpu %.3fs of %.3fs", key, r.FlushCPUSeconds, r.CPUSeconds)
		}
		// One day of rows: 24 hourly shards, each published once early
		// (cold) at most and once more by the final flush (design 061).
		if r.Engine == EngineOpenWit && r.Method != MethodEncode && (r.Files < 24 || r.Files > 48) {
			t.Errorf("%s: %d parquet files for 24 hourly shards", key, r.Files)
		}
	}
	for k := range want {
		t.Errorf("missing result %s", k)
	}
	if rep.ArrowBytes <= 0 || rep.Cores <= 0 {
		t.Errorf("report: %+v", rep)
	}
}

// TestAppendJSONString: the Kafka method's records are JSON whose strings
// decode to the column values, whatever bytes they hold.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "tab\tnew\nline\x01\x1f", "ünïcode ✓"} {
		var got string
		b := appendJSONString(nil, s)
		if err := json.Unmarshal(b, &got); err != nil || got != s {
			t.Errorf("%q: encoded %s, decoded %q, %v", s, b, got, err)
		}
	}
}

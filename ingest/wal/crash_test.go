package wal

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"hash/crc32"
	"math/rand/v2"
	"os"
	"os/exec"
	"sync"
	"testing"
)

// crashDirEnv makes TestCrashChild act as the writer process of TestCrashKill.
const crashDirEnv = "OPENWIT_WAL_CRASH_DIR"

// TestCrashKill runs a writer process, SIGKILLs it at an arbitrary moment
// while it appends, syncs and rolls segments, and checks that every record it
// acknowledged survives with its payload. Each round restarts on the
// directory the previous kill left behind.
func TestCrashKill(t *testing.T) {
	dir := t.TempDir()
	acked := map[uint64]uint32{} // lsn -> CRC32 (IEEE) of the payload
	for round := range 4 {
		var stderr bytes.Buffer
		cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
		cmd.Stderr = &stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		want := 100 + 150*round
		sc := bufio.NewScanner(stdout)
		n := 0
		for n < want && sc.Scan() {
			var lsn uint64
			var sum uint32
			if _, err := fmt.Sscanf(sc.Text(), "ack %d %x", &lsn, &sum); err != nil {
				continue // not an acknowledgement
			}
			acked[lsn] = sum
			n++
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait() // "signal: killed"
		if n < want {
			t.Fatalf("round %d: writer stopped after %d acks: %s", round, n, stderr.String())
		}

		w := openWAL(t, Options{Dir: dir})
		got := map[uint64]uint32{}
		next := uint64(1)
		err = w.Replay(0, func(lsn uint64, p []byte) error {
			if lsn != next {
				return fmt.Errorf("replayed lsn %d, want %d", lsn, next)
			}
			next++
			got[lsn] = crc32.ChecksumIEEE(p)
			return nil
		})
		if err != nil {
			t.Fatalf("round %d: replay: %v", round, err)
		}
		for lsn, sum := range acked {
			if g, ok := got[lsn]; !ok || g != sum {
				t.Fatalf("round %d: acknowledged lsn %d lost or changed (present %v)", round, lsn, ok)
			}
		}
		t.Logf("round %d: %d acknowledged, %d replayed, %d segments", round, len(acked), len(got), len(segmentFiles(t, dir)))
		closeWAL(t, w)
	}
}

// TestCrashChild is the writer process of TestCrashKill. It writes until it
// is killed and prints "ack <lsn> <crc>" after each durable write.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process of TestCrashKill")
	}
	w, err := Open(Options{Dir: dir, SegmentSize: 32 << 10})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	var outMu sync.Mutex
	for g := range 8 {
		go func() {
			r := rand.New(rand.NewPCG(uint64(g), uint64(os.Getpid())))
			payload := func() []byte {
				p := make([]byte, r.IntN(2000))
				for i := range p {
					p[i] = byte(r.Uint32())
				}
				return p
			}
			for {
				// An unacknowledged append, so records that were never
				// synced are in flight when the kill comes.
				if _, err := w.Append(payload()); err != nil {
					fmt.Fprintln(os.Stderr, "append:", err)
					os.Exit(2)
				}
				p := payload()
				lsn, err := w.Write(context.Background(), p)
				if err != nil {
					fmt.Fprintln(os.Stderr, "write:", err)
					os.Exit(2)
				}
				outMu.Lock()
				fmt.Fprintf(os.Stdout, "ack %d %08x\n", lsn, crc32.ChecksumIEEE(p))
				outMu.Unlock()
			}
		}()
	}
	select {} // until killed
}

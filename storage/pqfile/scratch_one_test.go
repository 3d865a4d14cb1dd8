package pqfile_test

import (
	"os"
	"runtime"
	"testing"
	"time"
)

func TestScratchOne(t *testing.T) {
	data, err := os.ReadFile("/tmp/hang.parquet")
	if err != nil {
		t.Skip()
	}
	go func() {
		time.Sleep(3 * time.Second)
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		os.WriteFile("/tmp/hang.stack", buf[:n], 0o644)
		os.Exit(3)
	}()
	readEverything(t, data)
}

// Package testseed gives randomized tests their seed.
package testseed

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
)

// Seed returns the seed of a randomized test: OPENWIT_TEST_SEED when set
// (to replay a failure), else a random one. It logs the seed first, so
// that a panic or a crash, which loses the failure message that would
// name it, still shows it: OPENWIT_TEST_SEED=N go test ./pkg -run TestName.
func Seed(tb testing.TB) uint64 {
	tb.Helper()
	seed := rand.Uint64()
	if s := os.Getenv("OPENWIT_TEST_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			tb.Fatalf("OPENWIT_TEST_SEED=%q: %v", s, err)
		}
		seed = v
	}
	tb.Logf("seed %d (replay: OPENWIT_TEST_SEED=%d)", seed, seed)
	return seed
}

package exec

import (
	"testing"

	"openwit/internal/testseed"
)

// testSeed returns the seed of a randomized test (testseed.Seed:
// OPENWIT_TEST_SEED=N replays a run).
func testSeed(t *testing.T) uint64 { return testseed.Seed(t) }

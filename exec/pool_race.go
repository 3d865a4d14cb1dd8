//go:build race

package exec

// poisonFreed makes every Pool poison freed buffers in race-detector
// builds (tests), so a read after release shows as garbage.
const poisonFreed = true

//go:build !race

package exec

// raceEnabled is whether the race detector is on; the differential
// tests try fewer tables under its slowdown.
const raceEnabled = false

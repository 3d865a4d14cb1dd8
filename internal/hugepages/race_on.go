//go:build race

package hugepages

// raceEnabled: the race detector writes the shadow of every allocation,
// so a reserve would be touched (1 GiB resident, seconds of startup).
const raceEnabled = true

//go:build !race

package flightsql_test

// raceEnabled is set when the race detector is on: large tests shrink.
const raceEnabled = false

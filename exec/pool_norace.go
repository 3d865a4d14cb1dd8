//go:build !race

package exec

// poisonFreed: see pool_race.go.
const poisonFreed = false

//go:build race

package testserver

import "os"

const raceEnabled = true

// A race-built program sleeps GORACE's atexit_sleep_ms (one second by
// default) before it exits, so that other goroutines can finish reporting
// a race. The servers a test stops have already shut down every goroutine,
// and tests stop hundreds of them (the SQL corpus starts one per script and
// mode): without the sleep a race still fails the test, through the exit
// status 66 that Stop checks. Children inherit the environment; a GORACE
// the caller set is left alone.
func init() {
	if _, ok := os.LookupEnv("GORACE"); !ok {
		os.Setenv("GORACE", "atexit_sleep_ms=0")
	}
}

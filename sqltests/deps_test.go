package sqltests

// The corpus runs the openwit binary testserver builds in a subprocess, so
// the Go test cache cannot see its sources. Linking the packages the
// server is made of into this test binary makes a change to any of them
// invalidate a cached `go test ./sqltests/` result.
import (
	_ "openwit/coordinator/proxy"
	_ "openwit/gateway/auth"
	_ "openwit/internal/node"
	_ "openwit/version"
)

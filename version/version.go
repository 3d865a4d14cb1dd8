// Package version holds the OpenWit version, set at link time with
// -ldflags "-X openwit/version.Version=...".
package version

// Version is the OpenWit release.
var Version = "0.1.0-dev"

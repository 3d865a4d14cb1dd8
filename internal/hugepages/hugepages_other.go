//go:build !linux

package hugepages

import (
	"context"
	"time"
)

// Supported reports whether this platform can advise (Linux).
const Supported = false

// Advise does nothing off Linux.
func Advise() (int64, error) { return 0, nil }

// Run does nothing off Linux.
func Run(ctx context.Context, interval time.Duration, reserve int64) error { return nil }

// DefaultReserve is 0 off Linux.
func DefaultReserve() int64 { return 0 }

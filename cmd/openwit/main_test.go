package main

import (
	"testing"

	"openwit/internal/testserver"
)

// TestMain removes the openwit binary the tests built.
func TestMain(m *testing.M) { testserver.Main(m) }

package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoICURuntime checks that the openwit binary does not link the
// WebAssembly runtime go-mysql-server's MySQL regular expressions start in
// every process (go.mod replaces github.com/dolthub/go-icu-regex with
// third_party/go-icu-regex; docs/design/057), and that the replacement is
// the one in the repository.
func TestNoICURuntime(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}} {{with .Module}}{{.Path}} {{with .Replace}}{{.Path}}{{end}}{{end}}", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	found := false
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if strings.HasPrefix(f[0], "github.com/tetratelabs/wazero") {
			t.Errorf("openwit links %s", f[0])
		}
		if f[0] == "github.com/dolthub/go-icu-regex" {
			found = true
			if len(f) < 3 || f[2] != "./third_party/go-icu-regex" {
				t.Errorf("go-icu-regex is not replaced by ./third_party/go-icu-regex: %q", line)
			}
		}
	}
	if !found {
		t.Error("go-icu-regex is no longer a dependency: drop its replacement from go.mod and third_party")
	}
}

package main

import (
	"os/exec"
	"strings"
	"testing"

	"openwit/internal/testserver"
)

func TestVersion(t *testing.T) {
	t.Parallel()
	for _, arg := range []string{"version", "--version"} {
		t.Run(arg, func(t *testing.T) {
			out, err := exec.Command(testserver.Binary(t), arg).Output()
			if err != nil {
				t.Fatalf("openwit %s: %v", arg, err)
			}
			line, rest, _ := strings.Cut(string(out), "\n")
			v, ok := strings.CutPrefix(line, "openwit ")
			if !ok || strings.TrimSpace(v) == "" || rest != "" {
				t.Errorf("openwit %s printed %q, want one line \"openwit VERSION\"", arg, out)
			}
		})
	}
}

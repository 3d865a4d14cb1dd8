package planner_test

import (
	"strings"
	"testing"
)

// TestCurrentSettingMatchesShow checks current_setting against SHOW for
// every setting SHOW ALL lists, and that set_config is a SET.
func TestCurrentSettingMatchesShow(t *testing.T) {
	h := newHarness(t)
	all := h.mustQuery("SHOW ALL")
	lines := strings.Split(all, "\n")
	if len(lines) < 20 {
		t.Fatalf("SHOW ALL lists %d settings", len(lines))
	}
	for _, l := range lines {
		name := strings.Split(l, "|")[0]
		t.Run(name, func(t *testing.T) {
			show := h.mustQuery("SHOW " + name)
			got := h.mustQuery("SELECT current_setting('" + name + "')")
			if got != show {
				t.Errorf("current_setting(%q) = %q, SHOW says %q", name, got, show)
			}
			if upper := h.mustQuery("SELECT current_setting('" + strings.ToUpper(name) + "')"); upper != show {
				t.Errorf("current_setting(%q) = %q, want %q", strings.ToUpper(name), upper, show)
			}
		})
	}
	if _, err := h.query("SELECT current_setting('no_such_setting')"); err == nil || !strings.Contains(err.Error(), "unrecognized configuration parameter") {
		t.Errorf("unknown setting: %v", err)
	}
	if got := h.mustQuery("SELECT set_config('openwit.vectorize', 'off', false)"); got != "off" {
		t.Errorf("set_config returned %q", got)
	}
	if got := h.mustQuery("SHOW openwit.vectorize"); got != "off" {
		t.Errorf("SHOW after set_config: %q", got)
	}
	if _, err := h.query("SELECT set_config('openwit.vectorize', 'maybe', false)"); err == nil {
		t.Error("set_config accepted a bad boolean")
	}
	if got := h.mustQuery("SHOW openwit.vectorize"); got != "off" {
		t.Errorf("a failed set_config changed the setting: %q", got)
	}
}

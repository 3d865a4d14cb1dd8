package pgtypes

import "testing"

func TestParseMemory(t *testing.T) {
	ok := []struct {
		in   string
		bare int64
		want int64
	}{
		{"2GB", 0, 2 << 30}, {"2GiB", 0, 2 << 30}, {"512 MB", 0, 512 << 20}, {"64kB", 0, 64 << 10},
		{"64kb", 0, 64 << 10}, {"100B", 0, 100}, {"1TB", 0, 1 << 40}, {"0", 1024, 0}, {"4096", 1024, 4 << 20},
		{" 3mb ", 0, 3 << 20},
	}
	for _, c := range ok {
		got, err := ParseMemory(c.in, c.bare)
		if err != nil || got != c.want {
			t.Errorf("ParseMemory(%q, %d) = %d, %v; want %d", c.in, c.bare, got, err, c.want)
		}
	}
	for _, in := range []string{"", "GB", "-1GB", "2XB", "12", "1.5GB", "99999999999TB"} {
		if got, err := ParseMemory(in, 0); err == nil {
			t.Errorf("ParseMemory(%q) = %d, want an error", in, got)
		}
	}
	for n, want := range map[int64]string{0: "0", 2 << 30: "2GB", 1536 << 20: "1536MB", 100: "100B", 3 << 10: "3kB"} {
		if got := FormatMemory(n); got != want {
			t.Errorf("FormatMemory(%d) = %q, want %q", n, got, want)
		}
	}
}

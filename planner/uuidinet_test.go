package planner_test

import "testing"

func TestUUIDInetEngine(t *testing.T) {
	h := newHarness(t)
	h.mustQuery(`CREATE TABLE u (ts timestamptz NOT NULL, id uuid, ip inet, net cidr)`)
	h.mustQuery(`INSERT INTO u VALUES ('2024-01-01 00:00:01+00', 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '10.1.2.3/8', '10.0.0.0/8'),
		('2024-01-01 00:00:02+00', '00000000000000000000000000000000', '::1', '2001:db8::/32')`)
	for _, c := range []struct{ sql, want string }{
		{`SELECT id, ip, net FROM u ORDER BY ts`, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11|10.1.2.3/8|10.0.0.0/8\n00000000-0000-0000-0000-000000000000|::1|2001:db8::/32"},
		{`SELECT count(*) FROM u WHERE id = '{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}'`, "1"},
		{`SELECT count(*) FROM u WHERE ip <<= '10.0.0.0/8'`, "1"},
	} {
		got, err := h.query(c.sql)
		if err != nil {
			t.Errorf("%s: %v", c.sql, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s:\ngot  %q\nwant %q", c.sql, got, c.want)
		}
	}
}

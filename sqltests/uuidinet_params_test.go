package sqltests

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"openwit/internal/testpg"
	"openwit/internal/testserver"
)

// TestUUIDInetParams runs uuid, inet and cidr parameters and results over
// the extended protocol against PostgreSQL 15 and OpenWit and wants the
// same bytes: parameters in text and binary (uuid: 16 bytes; inet/cidr:
// family, bits, is_cidr, length, address), results in text and binary,
// the same result type OIDs (uuid 2950, inet 869, cidr 650); then pgx's
// own types (pgtype.UUID, netip.Prefix, netip.Addr) in both directions, and
// COPY FROM in binary (pgx CopyFrom) and text into uuid/inet/cidr columns;
// and inet_client_addr/inet_server_addr of the connection.
func TestUUIDInetParams(t *testing.T) {
	pg := testpg.Start(t)
	pconn := testserver.Connect(t, pg.CreateDB(t, "uuidinet_params"))
	srv := testserver.Start(t, testserver.Options{Args: []string{"--flush-age=1h"}})
	oconn := testserver.Connect(t, srv.DSN())
	for _, c := range []*pgx.Conn{pconn, oconn} {
		mustExecConn(t, c, "CREATE TABLE up (ts timestamptz NOT NULL, n int, id uuid, ip inet, net cidr)")
		mustExecConn(t, c, `INSERT INTO up VALUES
			('2024-01-01 00:00:00+00', 1, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '10.1.2.3/8', '10.0.0.0/8'),
			('2024-01-01 00:00:01+00', 2, '00000000-0000-0000-0000-000000000001', '2001:db8::1', '2001:db8::/32'),
			('2024-01-01 00:00:02+00', 3, NULL, '192.168.1.5', '192.168.1.0/24')`)
	}
	const (
		uuidOID = pgtype.UUIDOID
		inetOID = pgtype.InetOID
		cidrOID = pgtype.CIDROID
	)
	u := []byte{0xa0, 0xee, 0xbc, 0x99, 0x9c, 0x0b, 0x4e, 0xf8, 0xbb, 0x6d, 0x6b, 0xb9, 0xbd, 0x38, 0x0a, 0x11}
	inet4 := []byte{2, 8, 0, 4, 10, 1, 2, 3}   // 10.1.2.3/8
	cidr4 := []byte{2, 8, 1, 4, 10, 0, 0, 0}   // 10.0.0.0/8
	badCIDR := []byte{2, 8, 1, 4, 10, 1, 0, 0} // bits past the mask
	inet6 := append([]byte{3, 128, 0, 16}, make([]byte, 16)...)
	inet6[len(inet6)-1] = 1 // ::1
	cases := []struct {
		sql     string
		params  [][]byte
		oids    []uint32
		formats []int16
	}{
		{"SELECT $1::uuid", [][]byte{[]byte("A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11")}, []uint32{uuidOID}, []int16{0}},
		{"SELECT $1::uuid", [][]byte{u}, []uint32{uuidOID}, []int16{1}},
		{"SELECT n FROM up WHERE id = $1", [][]byte{u}, []uint32{uuidOID}, []int16{1}},
		{"SELECT n FROM up WHERE id = $1", [][]byte{[]byte("{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}")}, []uint32{uuidOID}, []int16{0}},
		{"SELECT id, n FROM up ORDER BY id", nil, nil, nil},
		{"SELECT $1::uuid", [][]byte{[]byte("nope")}, []uint32{uuidOID}, []int16{0}},
		{"SELECT $1::uuid", [][]byte{u[:15]}, []uint32{uuidOID}, []int16{1}},
		{"SELECT $1::inet, $2::cidr", [][]byte{[]byte("10.1.2.3/8"), []byte("10.0.0.0/8")}, []uint32{inetOID, cidrOID}, []int16{0, 0}},
		{"SELECT $1::inet, $2::cidr, $3::inet", [][]byte{inet4, cidr4, inet6}, []uint32{inetOID, cidrOID, inetOID}, []int16{1, 1, 1}},
		{"SELECT n FROM up WHERE ip = $1", [][]byte{inet4}, []uint32{inetOID}, []int16{1}},
		{"SELECT n FROM up WHERE ip << $1 ORDER BY n", [][]byte{[]byte("192.168.0.0/16")}, []uint32{inetOID}, []int16{0}},
		{"SELECT ip, net, n FROM up ORDER BY ip", nil, nil, nil},
		{"SELECT host(ip), masklen(ip), network(ip) FROM up ORDER BY n", nil, nil, nil},
		{"SELECT $1::cidr", [][]byte{badCIDR}, []uint32{cidrOID}, []int16{1}},
		{"SELECT $1::inet", [][]byte{[]byte("10.1.2.300")}, []uint32{inetOID}, []int16{0}},
		// Both servers are reached over TCP on 127.0.0.1.
		{"SELECT inet_client_addr(), inet_server_addr(), inet_client_port() > 0, inet_server_port() > 0", nil, nil, nil},
	}
	for _, c := range cases {
		for _, resultFormat := range []int16{0, 1} {
			want := jsonParamsRun(t, pconn, c.sql, c.params, c.oids, c.formats, resultFormat)
			got := jsonParamsRun(t, oconn, c.sql, c.params, c.oids, c.formats, resultFormat)
			if got != want {
				t.Errorf("%s %v (result format %d):\n got %s\nwant %s", c.sql, c.params, resultFormat, got, want)
			}
		}
	}

	// Error messages of bad input, word for word.
	for _, q := range []string{"SELECT 'not-a-uuid'::uuid", "SELECT '192.168.1.5/24'::cidr", "SELECT '1.2.3.4/'::inet",
		"SELECT '10.1.2'::inet", "SELECT '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid"} {
		msg := func(c *pgx.Conn) string {
			_, err := c.Exec(t.Context(), q)
			var pe *pgconn.PgError
			if !errors.As(err, &pe) {
				return fmt.Sprint(err)
			}
			return pe.Code + " " + pe.Message
		}
		if got, want := msg(oconn), msg(pconn); got != want {
			t.Errorf("%s: got %q, want %q", q, got, want)
		}
	}

	// pgx's own types, as applications use them: uuid as pgtype.UUID
	// (sent in binary), inet as netip.Prefix and netip.Addr.
	render := func(c *pgx.Conn) string {
		var id pgtype.UUID
		var p netip.Prefix
		var a netip.Addr
		var n int
		in := pgtype.UUID{Bytes: [16]byte(u), Valid: true}
		err := c.QueryRow(t.Context(), "SELECT n, id, ip, host(ip)::inet FROM up WHERE id = $1 AND ip <<= $2",
			in, netip.MustParsePrefix("10.0.0.0/8")).Scan(&n, &id, &p, &a)
		if err != nil {
			return "error " + err.Error()
		}
		return fmt.Sprintf("%d %x %s %s", n, id.Bytes, p, a)
	}
	if got, want := render(oconn), render(pconn); got != want {
		t.Errorf("pgx types: got %s, want %s", got, want)
	}

	// COPY FROM: pgx's CopyFrom sends binary; then text.
	rows := [][]any{
		{pgtype.Timestamptz{Time: mustTime("2024-01-02T00:00:00Z"), Valid: true}, 10, pgtype.UUID{Bytes: [16]byte(u), Valid: true},
			netip.MustParsePrefix("172.16.0.1/12"), netip.MustParsePrefix("172.16.0.0/12")},
		{pgtype.Timestamptz{Time: mustTime("2024-01-02T00:00:01Z"), Valid: true}, 11, nil, netip.MustParsePrefix("::1/128"), nil},
	}
	copyAll := func(c *pgx.Conn) string {
		if _, err := c.CopyFrom(t.Context(), pgx.Identifier{"up"}, []string{"ts", "n", "id", "ip", "net"}, pgx.CopyFromRows(rows)); err != nil {
			return "copy binary: " + err.Error()
		}
		text := "2024-01-02 00:00:02+00\t12\tA0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11\t10.9.8.7/16\t10.9\n"
		if _, err := c.PgConn().CopyFrom(t.Context(), strings.NewReader(text), "COPY up (ts, n, id, ip, net) FROM STDIN"); err != nil {
			return "copy text: " + err.Error()
		}
		bad := "2024-01-02 00:00:03+00\t13\tnot-a-uuid\t\\N\t\\N\n"
		_, err := c.PgConn().CopyFrom(t.Context(), strings.NewReader(bad), "COPY up (ts, n, id, ip, net) FROM STDIN")
		res := "bad copy: " + fmt.Sprint(err != nil)
		return res + " | " + jsonParamsRun(t, c, "SELECT n, id, ip, net FROM up WHERE n >= 10 ORDER BY n", nil, nil, nil, 0)
	}
	if got, want := copyAll(oconn), copyAll(pconn); got != want {
		t.Errorf("COPY:\n got %s\nwant %s", got, want)
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

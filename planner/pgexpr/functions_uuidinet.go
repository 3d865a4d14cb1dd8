package pgexpr

import (
	"crypto/rand"
	"net/netip"

	"github.com/dolthub/go-mysql-server/sql"

	"openwit/internal/pgerror"
	"openwit/planner/pgtypes"
	"openwit/storage"
)

// uuidInetFuncs are gen_random_uuid and the network address functions of
// PostgreSQL (host, masklen, family, network, broadcast, netmask,
// hostmask, set_masklen, text, abbrev) over inet and cidr values.
var uuidInetFuncs = map[string]funcDef{
	"gen_random_uuid": {args: []argKind{}, result: uuidResult, eval: func([]any, []sql.Type) (any, error) {
		return storage.FormatUUID(randomUUID()), nil
	}},
	"host": {args: []argKind{kAny}, check: inetArgs, result: textResult, eval: inetFunc(func(a storage.Inet) any {
		a.Bits, a.CIDR = a.MaxBits(), false
		return a.String()
	})},
	"masklen": {args: []argKind{kAny}, check: inetArgs, result: int32Result, eval: inetFunc(func(a storage.Inet) any { return int32(a.Bits) })},
	"family":  {args: []argKind{kAny}, check: inetArgs, result: int32Result, eval: inetFunc(func(a storage.Inet) any { return int32(a.Family()) })},
	"network": {args: []argKind{kAny}, check: inetArgs, result: cidrResult, eval: inetFunc(func(a storage.Inet) any {
		a = a.Masked()
		a.CIDR = true
		return a
	})},
	"broadcast": {args: []argKind{kAny}, check: inetArgs, result: inetResult, eval: inetFunc(func(a storage.Inet) any {
		b := a.Addr.AsSlice()
		for i := range b {
			b[i] |= ^maskByte(a.Bits, i)
		}
		return storage.Inet{Addr: addrOf(b), Bits: a.Bits}
	})},
	"netmask": {args: []argKind{kAny}, check: inetArgs, result: inetResult, eval: inetFunc(func(a storage.Inet) any {
		b := a.Addr.AsSlice()
		for i := range b {
			b[i] = maskByte(a.Bits, i)
		}
		return storage.Inet{Addr: addrOf(b), Bits: a.MaxBits()}
	})},
	"hostmask": {args: []argKind{kAny}, check: inetArgs, result: inetResult, eval: inetFunc(func(a storage.Inet) any {
		b := a.Addr.AsSlice()
		for i := range b {
			b[i] = ^maskByte(a.Bits, i)
		}
		return storage.Inet{Addr: addrOf(b), Bits: a.MaxBits()}
	})},
	"text": {args: []argKind{kAny}, check: inetArgs, result: textResult, eval: inetFunc(func(a storage.Inet) any { return a.Text() })},
	"abbrev": {args: []argKind{kAny}, check: inetArgs, result: textResult, eval: func(a []any, ts []sql.Type) (any, error) {
		x, err := inetArg(a[0], ts[0])
		if err != nil {
			return nil, err
		}
		if x.CIDR {
			return abbrevCIDR(x), nil
		}
		return x.String(), nil
	}},
	"set_masklen": {args: []argKind{kAny, kInt}, check: inetArgs, result: sameInetType, eval: func(a []any, ts []sql.Type) (any, error) {
		x, err := inetArg(a[0], ts[0])
		if err != nil {
			return nil, err
		}
		n, ok := pgtypes.Int64(a[1])
		if !ok {
			return nil, pgerror.New(pgerror.InvalidParameterValue, "invalid mask length")
		}
		if n == -1 {
			n = int64(x.MaxBits())
		}
		if n < 0 || n > int64(x.MaxBits()) {
			return nil, pgerror.New(pgerror.InvalidParameterValue, "invalid mask length: %d", n)
		}
		x.Bits = int(n)
		if x.CIDR {
			x = x.Masked()
		}
		return x, nil
	}},
	// inet_same_family and inet_merge (the smallest network holding
	// both) take two inet or cidr arguments (inet_arith.go).
	"inet_same_family": {args: []argKind{kAny, kAny}, check: twoInetArgs, result: boolResult, eval: inetPair(func(x, y storage.Inet) (any, error) {
		if x.Family() == y.Family() {
			return int8(1), nil
		}
		return int8(0), nil
	})},
	"inet_merge": {args: []argKind{kAny, kAny}, check: twoInetArgs, result: cidrResult, eval: inetPair(inetMerge)},
}

func uuidResult([]sql.Expression) sql.Type { return pgtypes.UUIDType }
func inetResult([]sql.Expression) sql.Type { return pgtypes.InetType }
func cidrResult([]sql.Expression) sql.Type { return pgtypes.CIDRType }

// sameInetType is the type of the first argument: set_masklen(cidr, int)
// is cidr, set_masklen(inet, int) (or of an untyped literal) inet.
func sameInetType(args []sql.Expression) sql.Type {
	if _, cidr := pgtypes.IsInet(args[0].Type()); cidr {
		return pgtypes.CIDRType
	}
	return pgtypes.InetType
}

// inetArgs accepts an inet or cidr first argument, or an untyped literal
// (read as inet, PostgreSQL's only candidate).
func inetArgs(args []sql.Expression) bool {
	t := args[0].Type()
	if ok, _ := pgtypes.IsInet(t); ok {
		return true
	}
	return isTextLiteral(args[0]) && uuidInetTarget(t) == ""
}

// inetArg reads a function's inet argument: a value, or text (a literal).
func inetArg(v any, t sql.Type) (storage.Inet, error) {
	switch x := v.(type) {
	case storage.Inet:
		return x, nil
	case string:
		_, cidr := pgtypes.IsInet(t)
		a, err := storage.ParseInet(x, cidr)
		if err != nil {
			return storage.Inet{}, inputError(err)
		}
		return a, nil
	}
	return storage.Inet{}, pgerror.New(pgerror.DatatypeMismatch, "expected an inet value, got %T", v)
}

func inetFunc(f func(storage.Inet) any) func([]any, []sql.Type) (any, error) {
	return func(a []any, ts []sql.Type) (any, error) {
		x, err := inetArg(a[0], ts[0])
		if err != nil {
			return nil, err
		}
		return f(x), nil
	}
}

// maskByte is byte i of the netmask of a bits-long prefix.
func maskByte(bits, i int) byte {
	n := bits - 8*i
	switch {
	case n >= 8:
		return 0xff
	case n <= 0:
		return 0
	}
	return byte(0xff << (8 - n))
}

func addrOf(b []byte) netip.Addr {
	a, _ := netip.AddrFromSlice(b)
	return a
}

// abbrevCIDR is abbrev(cidr): an IPv4 network prints only the octets its
// mask covers ("10.1/16"); IPv6 the words it covers (abbrevCIDR6).
func abbrevCIDR(a storage.Inet) string {
	if !a.Addr.Is4() {
		return abbrevCIDR6(a) // inet_catmisc.go
	}
	b := a.Addr.As4()
	n := (a.Bits + 7) / 8
	if n == 0 {
		n = 1
	}
	out := make([]byte, 0, 20)
	for i := range n {
		if i > 0 {
			out = append(out, '.')
		}
		out = appendUint(out, int(b[i]))
	}
	out = append(out, '/')
	out = appendUint(out, a.Bits)
	return string(out)
}

func appendUint(b []byte, n int) []byte {
	if n >= 10 {
		b = appendUint(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

// randomUUID is a version 4 (random) UUID, as gen_random_uuid makes.
func randomUUID() [16]byte {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

// connAddrFuncs are inet_client_addr, inet_client_port, inet_server_addr
// and inet_server_port: the session's TCP connection, NULL without one.
var connAddrFuncs = map[string]funcDef{
	"inet_client_addr": {args: []argKind{}, result: inetResult, evalCtx: connAddr(func(c connAddrs) any { return addrValue(c.client) })},
	"inet_server_addr": {args: []argKind{}, result: inetResult, evalCtx: connAddr(func(c connAddrs) any { return addrValue(c.server) })},
	"inet_client_port": {args: []argKind{}, result: int32Result, evalCtx: connAddr(func(c connAddrs) any { return portValue(c.client, c.clientPort) })},
	"inet_server_port": {args: []argKind{}, result: int32Result, evalCtx: connAddr(func(c connAddrs) any { return portValue(c.server, c.serverPort) })},
}

type connAddrs struct {
	client, server         string
	clientPort, serverPort int
}

func connAddr(f func(connAddrs) any) func(*sql.Context, []any, []sql.Type) (any, error) {
	return func(ctx *sql.Context, _ []any, _ []sql.Type) (any, error) {
		s, ok := ctx.Session.(interface {
			ConnAddrs() (string, int, string, int)
		})
		if !ok {
			return nil, nil
		}
		var c connAddrs
		c.client, c.clientPort, c.server, c.serverPort = s.ConnAddrs()
		return f(c), nil
	}
}

func addrValue(s string) any {
	if s == "" {
		return nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return nil
	}
	a = a.Unmap()
	return storage.Inet{Addr: a, Bits: a.BitLen()}
}

func portValue(addr string, port int) any {
	if addr == "" {
		return nil
	}
	return int32(port)
}

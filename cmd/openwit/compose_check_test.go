package main

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"openwit/internal/node"
)

// composeFile is the part of a docker-compose.yml the checks read.
type composeFile struct {
	Services map[string]*composeService `yaml:"services"`
	Volumes  map[string]any             `yaml:"volumes"`
}

type composeService struct {
	Image       string       `yaml:"image"`
	Build       any          `yaml:"build"`
	Hostname    string       `yaml:"hostname"`
	Entrypoint  stringList   `yaml:"entrypoint"`
	Command     stringList   `yaml:"command"`
	Environment envMap       `yaml:"environment"`
	Volumes     []string     `yaml:"volumes"`
	Ports       []string     `yaml:"ports"`
	DependsOn   dependsOn    `yaml:"depends_on"`
	Healthcheck *healthcheck `yaml:"healthcheck"`
}

type healthcheck struct {
	Test    stringList `yaml:"test"`
	Disable bool       `yaml:"disable"`
}

// stringList is a command, entrypoint or health test: a YAML list, or a
// string split on spaces (quotes refused: the checks do not run a shell
// parser).
type stringList []string

func (l *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		if strings.ContainsAny(n.Value, `"'\`) {
			return fmt.Errorf("line %d: write %q as a YAML list", n.Line, n.Value)
		}
		*l = strings.Fields(n.Value)
		return nil
	}
	var s []string
	err := n.Decode(&s)
	*l = s
	return err
}

// envMap is an environment: a map, or a list of NAME=VALUE.
type envMap map[string]string

func (e *envMap) UnmarshalYAML(n *yaml.Node) error {
	*e = envMap{}
	if n.Kind == yaml.SequenceNode {
		var s []string
		if err := n.Decode(&s); err != nil {
			return err
		}
		for _, kv := range s {
			k, v, _ := strings.Cut(kv, "=")
			(*e)[k] = v
		}
		return nil
	}
	var m map[string]yaml.Node
	if err := n.Decode(&m); err != nil {
		return err
	}
	for k, v := range m {
		(*e)[k] = v.Value
	}
	return nil
}

// dependsOn is depends_on: a list of names, or a map from name to its
// condition.
type dependsOn []string

func (d *dependsOn) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.SequenceNode {
		var s []string
		err := n.Decode(&s)
		*d = s
		return err
	}
	var m map[string]any
	if err := n.Decode(&m); err != nil {
		return err
	}
	*d = nil
	for k := range m {
		*d = append(*d, k)
	}
	slices.Sort(*d)
	return nil
}

func parseCompose(b []byte) (*composeFile, error) {
	var f composeFile
	if err := yaml.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	if len(f.Services) == 0 {
		return nil, errors.New("no services")
	}
	return &f, nil
}

// listenFlags are the listen addresses each role needs reachable from other
// containers.
var listenFlags = map[string][]string{
	"proxy":   {"pg-addr", "flight-addr", "http-addr"},
	"gateway": {"pg-addr", "flight-addr", "http-addr"},
	"search":  {"search-addr", "http-addr"},
	"storage": {"storage-addr", "http-addr"},
	"cache":   {"cache-addr", "http-addr"},
	"ingest":  {"http-addr"},
	"indexer": {"http-addr"},
	"control": {"http-addr"},
}

// wantRoles is the cluster of issue 7: services per role mix (control: at
// least one).
var wantRoles = map[string]int{"proxy": 1, "coordinator,gateway": 2, "ingest": 2, "storage": 1, "indexer": 1,
	"search": 2, "cache": 1, "control": 1}

// composeCheck collects what is wrong with a compose file.
type composeCheck struct {
	dir      string          // the file's directory (bind mount sources)
	certs    map[string]bool // files deploy/gen-certs.sh writes (relative to dir)
	f        *composeFile
	problems []string
	listens  map[string]map[int]bool // service -> TCP ports it listens on
	refs     []composeRef
}

// composeRef is a host:port a service names as a peer.
type composeRef struct{ from, what, addr string }

func (c *composeCheck) problem(svc, format string, a ...any) {
	c.problems = append(c.problems, fmt.Sprintf("service %s: %s", svc, fmt.Sprintf(format, a...)))
}

func (c *composeCheck) listen(svc string, port int) {
	if c.listens[svc] == nil {
		c.listens[svc] = map[int]bool{}
	}
	c.listens[svc][port] = true
}

// checkCompose runs every check and returns the problems found.
func checkCompose(dir string, certs map[string]bool, f *composeFile) []string {
	c := &composeCheck{dir: dir, certs: certs, f: f, listens: map[string]map[int]bool{}}
	names := make([]string, 0, len(f.Services))
	for name := range f.Services {
		names = append(names, name)
	}
	slices.Sort(names)
	roleMix := map[string][]string{}
	nodeIDs := map[string]string{}
	hostPorts := map[string]string{}
	for _, name := range names {
		s := f.Services[name]
		c.common(name, s, hostPorts)
		if isOpenWit(s) {
			mix, id := c.openwit(name, s)
			if mix != "" {
				roleMix[mix] = append(roleMix[mix], name)
			}
			if id != "" {
				if other, dup := nodeIDs[id]; dup {
					c.problem(name, "node id %q is also %s's", id, other)
				}
				nodeIDs[id] = name
			}
		} else {
			c.other(name, s)
		}
	}
	for _, r := range c.refs {
		c.checkRef(r)
	}
	for mix, want := range wantRoles {
		got := len(roleMix[mix])
		if got != want && !(mix == "control" && got > want) {
			c.problems = append(c.problems, fmt.Sprintf("roles %s: %d services %v, want %d", mix, got, roleMix[mix], want))
		}
	}
	for mix, svcs := range roleMix {
		if _, ok := wantRoles[mix]; !ok {
			c.problems = append(c.problems, fmt.Sprintf("roles %s: services %v run a role mix the cluster does not plan", mix, svcs))
		}
	}
	return c.problems
}

func isOpenWit(s *composeService) bool {
	return s.Build != nil || strings.HasPrefix(s.Image, "openwit")
}

// common checks what every service needs: an image without a registry
// host, a health check, existing dependencies, mounts and host ports.
func (c *composeCheck) common(name string, s *composeService, hostPorts map[string]string) {
	if s.Image == "" {
		c.problem(name, "no image")
	} else if first, _, ok := strings.Cut(s.Image, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		c.problem(name, "image %s names a registry host (%s); use the plain image name", s.Image, first)
	}
	if s.Healthcheck == nil || s.Healthcheck.Disable || len(s.Healthcheck.Test) == 0 || s.Healthcheck.Test[0] == "NONE" {
		c.problem(name, "no health check")
	}
	for _, d := range s.DependsOn {
		if _, ok := c.f.Services[d]; !ok || d == name {
			c.problem(name, "depends_on %s: no such service", d)
		}
	}
	for _, v := range s.Volumes {
		src, _, _ := strings.Cut(v, ":")
		if strings.HasPrefix(src, ".") || strings.HasPrefix(src, "/") {
			if _, err := os.Stat(filepath.Join(c.dir, src)); err != nil {
				c.problem(name, "volume %s: %v", v, err)
			}
		} else if _, ok := c.f.Volumes[src]; !ok {
			c.problem(name, "volume %s: %s is not declared under the top-level volumes", v, src)
		}
	}
	for _, p := range s.Ports {
		proto := "tcp"
		if strings.HasSuffix(p, "/udp") {
			proto = "udp"
		}
		parts := strings.Split(strings.TrimSuffix(strings.TrimSuffix(p, "/udp"), "/tcp"), ":")
		if len(parts) < 2 {
			continue // no host port: Docker picks one
		}
		hp := strings.Join(parts[:len(parts)-1], ":") + "/" + proto
		if other, dup := hostPorts[hp]; dup {
			c.problem(name, "host port %s is also published by %s", hp, other)
		}
		hostPorts[hp] = name
		container, err := strconv.Atoi(parts[len(parts)-1])
		if err != nil {
			c.problem(name, "ports %q: bad container port", p)
		} else if proto == "tcp" {
			c.refs = append(c.refs, composeRef{name, "published port " + p, net.JoinHostPort(name, strconv.Itoa(container))})
		}
	}
}

// openwit checks an `openwit serve` service with the binary's own flag
// parser and validation. It returns the service's role mix and node id.
func (c *composeCheck) openwit(name string, s *composeService) (mix, id string) {
	c.image(name, s)
	if len(s.Command) == 0 || s.Command[0] != "serve" {
		c.problem(name, "command %q: want `serve ...`", s.Command)
		return "", ""
	}
	args := slices.Clone(s.Command[1:])
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--config="); ok {
			host, err := c.hostPath(s, v)
			if err != nil {
				c.problem(name, "--config: %v", err)
				return "", ""
			}
			args[i] = "--config=" + host
		}
	}
	raw := rawFlags(args)
	var cfg node.Config
	for {
		var err error
		cfg, err = parseServeArgs(args, io.Discard)
		if err == nil {
			break
		}
		flagName, ok := strings.CutPrefix(err.Error(), "flag provided but not defined: -")
		if !ok {
			c.problem(name, "openwit serve %s: %v", strings.Join(s.Command[1:], " "), err)
			return "", ""
		}
		c.problem(name, "flag --%s: not defined by `openwit serve`", flagName)
		args = dropFlag(args, flagName)
	}
	var roleNames []string
	for _, r := range strings.Split(cfg.Roles, ",") {
		if r = strings.ToLower(strings.TrimSpace(r)); r != "" {
			roleNames = append(roleNames, r)
		}
	}
	slices.Sort(roleNames)
	mix = strings.Join(roleNames, ",")
	if _, err := node.ParseRoles(cfg.Roles); err != nil {
		c.problem(name, "--roles %s: %v", cfg.Roles, err)
	} else {
		v := cfg
		if err := v.Validate(); err != nil {
			c.problem(name, "openwit serve refuses the configuration: %v", err)
		}
	}

	// Listen addresses: given, reachable from other containers, and
	// advertised under the service's name.
	known := map[string]string{"pg-addr": cfg.PGAddr, "flight-addr": cfg.FlightAddr, "http-addr": cfg.HTTPAddr,
		"search-addr": cfg.SearchAddr, "gossip-addr": cfg.GossipAddr}
	value := func(flag string) string {
		if v, ok := raw[flag]; ok {
			return v
		}
		return known[flag]
	}
	def := node.DefaultConfig()
	defaults := map[string]string{"pg-addr": def.PGAddr, "flight-addr": def.FlightAddr, "http-addr": def.HTTPAddr}
	need := map[string]bool{}
	for _, r := range roleNames {
		for _, f := range listenFlags[r] {
			need[f] = true
		}
	}
	if cfg.GossipAddr != "" && mix != "proxy" {
		need["gossip-addr"] = true
	}
	self := cmpOr(s.Hostname, name)
	unspecifiedHost := false
	var httpPort int
	for _, f := range slices.Sorted(maps.Keys(need)) {
		a := value(f)
		host, port, err := splitHostPort(a)
		switch {
		case a == "" || (a == defaults[f] && raw[f] == ""):
			c.problem(name, "--%s is not set (its default is loopback, unreachable from other containers)", f)
			continue
		case err != nil:
			c.problem(name, "--%s %q: %v", f, a, err)
			continue
		}
		if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
			unspecifiedHost = true
		} else if host != self {
			c.problem(name, "--%s %s: listen on 0.0.0.0:%d (a loopback or foreign host is unreachable from other containers)", f, a, port)
		}
		c.listen(name, port)
		if f == "http-addr" {
			httpPort = port
		}
	}
	if unspecifiedHost && need["gossip-addr"] && cfg.AdvertiseHost != self {
		c.problem(name, "--advertise-host %q, want %q: the node would gossip and register 0.0.0.0 addresses", cfg.AdvertiseHost, self)
	}
	if hc := s.Healthcheck; hc != nil && httpPort != 0 && !strings.Contains(strings.Join(hc.Test, " "), fmt.Sprintf(":%d/readyz", httpPort)) {
		c.problem(name, "health check %q does not GET /readyz on the --http-addr port %d", hc.Test, httpPort)
	}

	// Files the node reads must be mounted (and, under deploy/certs, be
	// what deploy/gen-certs.sh writes).
	for flag, p := range map[string]string{"tls-cert": cfg.TLSCert, "tls-key": cfg.TLSKey, "tls-ca": cfg.TLSCA,
		"token-key-file": cfg.TokenKeyFile, "users-file": cfg.UsersFile} {
		if p == "" {
			continue
		}
		host, err := c.hostPath(s, p)
		if err != nil {
			c.problem(name, "--%s: %v", flag, err)
			continue
		}
		rel, _ := filepath.Rel(c.dir, host)
		if strings.HasPrefix(rel, filepath.Join("deploy", "certs")+string(filepath.Separator)) {
			if !c.certs[rel] {
				c.problem(name, "--%s %s: deploy/gen-certs.sh does not write %s", flag, p, rel)
			}
		} else if _, err := os.Stat(host); err != nil {
			c.problem(name, "--%s: %v", flag, err)
		}
	}

	// Peers it names.
	ref := func(what string, addrs ...string) {
		for _, a := range addrs {
			c.refs = append(c.refs, composeRef{name, what, a})
		}
	}
	ref("--join", cfg.Join...)
	ref("--search-workers", cfg.SearchWorkers...)
	ref("--kafka-brokers", cfg.Kafka.Brokers...)
	ref("--storage-nodes", splitList(raw["storage-nodes"])...)
	ref("--cache-nodes", splitList(raw["cache-nodes"])...)
	for _, g := range cfg.Gateways {
		for _, a := range []string{g.PGAddr, g.FlightAddr} {
			if a != "" {
				ref("--gateways", a)
			}
		}
	}
	for _, e := range cfg.EtcdEndpoints {
		ref("--etcd-endpoints", urlHostPort(e))
	}
	if strings.HasPrefix(cfg.Catalog, "postgres") {
		hosts := dsnHosts(cfg.Catalog)
		ref("--catalog", hosts...)
		// The first host is the primary the postgres image initializes.
		h, _, _ := net.SplitHostPort(hosts[0])
		if pg := c.f.Services[h]; pg != nil && strings.HasPrefix(pg.Image, "postgres:") {
			var user, pass string
			if u, err := url.Parse(cfg.Catalog); err == nil && u.User != nil {
				user = u.User.Username()
				pass, _ = u.User.Password()
			}
			if user != pg.Environment["POSTGRES_USER"] || pass != pg.Environment["POSTGRES_PASSWORD"] {
				c.problem(name, "--catalog: user or password differ from %s's POSTGRES_USER/POSTGRES_PASSWORD", h)
			}
		}
	}
	if u, err := url.Parse(cfg.ObjectStore); err == nil && u.Scheme == "s3" && u.Query().Get("endpoint") != "" {
		ep := urlHostPort(u.Query().Get("endpoint"))
		ref("--object-store endpoint", ep)
		h, _, _ := net.SplitHostPort(ep)
		if gw := c.f.Services[h]; gw != nil && strings.HasPrefix(gw.Image, "versity/versitygw") &&
			(s.Environment["AWS_ACCESS_KEY_ID"] != gw.Environment["ROOT_ACCESS_KEY"] || s.Environment["AWS_SECRET_ACCESS_KEY"] != gw.Environment["ROOT_SECRET_KEY"]) {
			c.problem(name, "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY differ from %s's ROOT_ACCESS_KEY/ROOT_SECRET_KEY", h)
		}
	}
	if cfg.NodeID == "" && mix != "proxy" {
		c.problem(name, "no --node-id")
	}
	return mix, cfg.NodeID
}

// image checks that the OpenWit image is built from a Dockerfile whose
// final stage installs the tool the health check runs.
func (c *composeCheck) image(name string, s *composeService) {
	ctx, ok := s.Build.(string)
	if !ok {
		c.problem(name, "build %v: want a context directory (build: .)", s.Build)
		return
	}
	b, err := os.ReadFile(filepath.Join(c.dir, ctx, "Dockerfile"))
	if err != nil {
		c.problem(name, "build: %v", err)
		return
	}
	c.localReplaces(name, filepath.Join(c.dir, ctx), string(b))
	final := string(b)
	if i := strings.LastIndex(final, "\nFROM "); i >= 0 {
		final = final[i:]
	}
	if hc := s.Healthcheck; hc != nil && len(hc.Test) > 1 && (hc.Test[0] == "CMD" || hc.Test[0] == "CMD-SHELL") {
		tool := strings.Fields(hc.Test[1])[0]
		if tool != "openwit" && !regexp.MustCompile(`(?m)^RUN .*install .*\b`+regexp.QuoteMeta(tool)+`\b`).MatchString(final) {
			c.problem(name, "health check runs %s, which the Dockerfile's final stage does not install", tool)
		}
	}
}

// localReplaces checks that every directory go.mod replaces a module with
// is copied into the build stage before `go mod download`, which fails on a
// missing replacement directory.
func (c *composeCheck) localReplaces(name, ctx, dockerfile string) {
	mod, err := os.ReadFile(filepath.Join(ctx, "go.mod"))
	if err != nil {
		c.problem(name, "build: %v", err)
		return
	}
	download := strings.Index(dockerfile, "RUN go mod download")
	for _, m := range regexp.MustCompile(`(?m)^replace \S+ => (\./\S+)$`).FindAllStringSubmatch(string(mod), -1) {
		dir := strings.TrimPrefix(m[1], "./")
		copied := false
		for _, cp := range regexp.MustCompile(`(?m)^COPY (\S+) `).FindAllStringSubmatchIndex(dockerfile, -1) {
			src := strings.TrimSuffix(strings.TrimPrefix(dockerfile[cp[2]:cp[3]], "./"), "/")
			if (src == "." || dir == src || strings.HasPrefix(dir, src+"/")) && (download < 0 || cp[0] < download) {
				copied = true
			}
		}
		if !copied {
			c.problem(name, "go.mod replaces a module with %s, which the Dockerfile does not copy before go mod download", m[1])
		}
	}
}

// imagePorts reads the ports a service of a known image listens on, and
// the peers it names.
var imagePorts = []struct {
	prefix string
	read   func(c *composeCheck, name string, s *composeService)
}{
	{"bitnami/etcd", func(c *composeCheck, name string, s *composeService) {
		f := rawFlags(s.Command)
		for _, k := range []string{"listen-client-urls", "listen-peer-urls"} {
			if f[k] == "" {
				c.problem(name, "etcd --%s is not set", k)
			}
			for _, u := range splitList(f[k]) {
				c.listenURL(name, "--"+k, u)
			}
		}
		for _, k := range []string{"advertise-client-urls", "initial-advertise-peer-urls"} {
			for _, u := range splitList(f[k]) {
				c.refs = append(c.refs, composeRef{name, "--" + k, urlHostPort(u)})
				if h, _, _ := net.SplitHostPort(urlHostPort(u)); h != name {
					c.problem(name, "etcd --%s %s: advertise the service name %s", k, u, name)
				}
			}
		}
		for _, m := range splitList(f["initial-cluster"]) {
			_, u, _ := strings.Cut(m, "=")
			c.refs = append(c.refs, composeRef{name, "--initial-cluster", urlHostPort(u)})
		}
	}},
	{"postgres:", func(c *composeCheck, name string, s *composeService) {
		port := 5432
		cmd := strings.Join(append(slices.Clone(s.Entrypoint), s.Command...), " ")
		if m := regexp.MustCompile(`(?:-p |port=)(\d+)`).FindStringSubmatch(cmd); m != nil {
			port, _ = strconv.Atoi(m[1])
		}
		c.listen(name, port)
	}},
	{"versity/versitygw", func(c *composeCheck, name string, s *composeService) {
		cmd := strings.Join(append(slices.Clone(s.Entrypoint), s.Command...), " ")
		m := regexp.MustCompile(`--port[= ](\S+)`).FindStringSubmatch(cmd)
		if m == nil {
			c.problem(name, "versitygw without --port")
			return
		}
		c.listenAddr(name, "--port", m[1])
	}},
	{"apache/kafka", func(c *composeCheck, name string, s *composeService) {
		for _, l := range splitList(s.Environment["KAFKA_LISTENERS"]) {
			c.listenURL(name, "KAFKA_LISTENERS", l)
		}
		adv := splitList(s.Environment["KAFKA_ADVERTISED_LISTENERS"])
		if len(adv) == 0 {
			c.problem(name, "no KAFKA_ADVERTISED_LISTENERS")
		}
		for _, l := range adv {
			if h, _, _ := net.SplitHostPort(urlHostPort(l)); h != name {
				c.problem(name, "KAFKA_ADVERTISED_LISTENERS %s: advertise the service name %s", l, name)
			}
		}
	}},
}

// other reads a service that is not OpenWit through the image table.
func (c *composeCheck) other(name string, s *composeService) {
	for _, ip := range imagePorts {
		if strings.HasPrefix(s.Image, ip.prefix) {
			ip.read(c, name, s)
			return
		}
	}
	c.problem(name, "image %s: the checks know no ports for it (add it to imagePorts)", s.Image)
}

func (c *composeCheck) listenURL(name, what, u string) {
	c.listenAddr(name, what, urlHostPort(u))
}

func (c *composeCheck) listenAddr(name, what, a string) {
	host, port, err := splitHostPort(a)
	if err != nil {
		c.problem(name, "%s %q: %v", what, a, err)
		return
	}
	if ip := net.ParseIP(host); host == "localhost" || (ip != nil && ip.IsLoopback()) {
		c.problem(name, "%s %s: loopback, unreachable from other containers", what, a)
	}
	c.listen(name, port)
}

// checkRef checks that a host:port a service names is a service listening
// on that port.
func (c *composeCheck) checkRef(r composeRef) {
	host, port, err := splitHostPort(r.addr)
	if err != nil {
		c.problem(r.from, "%s %q: %v", r.what, r.addr, err)
		return
	}
	target := ""
	for name, s := range c.f.Services {
		if name == host || (s.Hostname != "" && s.Hostname == host) {
			target = name
		}
	}
	switch {
	case target == "":
		c.problem(r.from, "%s %s: no service %s in the file", r.what, r.addr, host)
	case !c.listens[target][port]:
		c.problem(r.from, "%s %s: %s does not listen on port %d (it listens on %v)", r.what, r.addr, target, port,
			slices.Sorted(maps.Keys(c.listens[target])))
	}
}

// hostPath maps a path inside a service's container to the file on the
// host through its bind mounts.
func (c *composeCheck) hostPath(s *composeService, p string) (string, error) {
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 || !(strings.HasPrefix(parts[0], ".") || strings.HasPrefix(parts[0], "/")) {
			continue
		}
		dst := path.Clean(parts[1])
		if p == dst {
			return filepath.Join(c.dir, parts[0]), nil
		}
		if rel, ok := strings.CutPrefix(p, dst+"/"); ok {
			return filepath.Join(c.dir, parts[0], rel), nil
		}
	}
	return "", fmt.Errorf("%s is on no bind mount of the service", p)
}

// rawFlags reads --name=value and --name value arguments as written (a
// flag followed by another flag has the value "").
func rawFlags(args []string) map[string]string {
	out := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name := strings.TrimLeft(a, "-")
		if k, v, ok := strings.Cut(name, "="); ok {
			out[k] = v
			continue
		}
		if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			out[name] = args[i+1]
			i++
		} else {
			out[name] = ""
		}
	}
	return out
}

// dropFlag removes a flag and its value from args.
func dropFlag(args []string, name string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := strings.TrimLeft(args[i], "-")
		if strings.HasPrefix(args[i], "-") && (a == name || strings.HasPrefix(a, name+"=")) {
			if a == name && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
			}
			continue
		}
		out = append(out, args[i])
	}
	return out
}

func splitHostPort(a string) (string, int, error) {
	host, p, err := net.SplitHostPort(a)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil || port <= 0 || port > 65535 {
		return "", 0, fmt.Errorf("bad port %q", p)
	}
	return host, port, nil
}

// urlHostPort is a URL's host:port (the scheme's default port when none).
func urlHostPort(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	if u.Port() != "" {
		return u.Host
	}
	port := map[string]string{"http": "80", "https": "443"}[u.Scheme]
	return net.JoinHostPort(u.Hostname(), cmpOr(port, "0"))
}

// dsnHosts are the host:port pairs of a (multi-host) PostgreSQL URL.
func dsnHosts(dsn string) []string {
	rest := dsn[strings.Index(dsn, "://")+3:]
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest = rest[i+1:]
	}
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		rest = rest[:i]
	}
	var out []string
	for _, h := range strings.Split(rest, ",") {
		if _, _, err := net.SplitHostPort(h); err != nil {
			h = net.JoinHostPort(h, "5432")
		}
		out = append(out, h)
	}
	return out
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

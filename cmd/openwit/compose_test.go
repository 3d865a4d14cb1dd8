package main

import (
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The repository's docker-compose.yml cannot run here (no Docker); these
// tests keep it correct: every OpenWit command parses and validates with
// the binary's own flag parser (parseServeArgs, node.Config.Validate), every
// host:port a service names is a service listening there, and the cluster
// has the roles issue 7 asks for (compose_check_test.go).

const composeDir = "../.."

func loadCompose(t *testing.T) *composeFile {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(composeDir, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	f, err := parseCompose(b)
	if err != nil {
		t.Fatalf("parse docker-compose.yml: %v", err)
	}
	return f
}

// genCerts runs deploy/gen-certs.sh (with the real openssl) on a copy and
// returns the directory it wrote and the files, relative to the repository
// root as docker-compose.yml mounts them.
func genCerts(t *testing.T) (string, map[string]bool) {
	t.Helper()
	dir := t.TempDir()
	script, err := os.ReadFile(filepath.Join(composeDir, "deploy", "gen-certs.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "gen-certs.sh"), script, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("sh", filepath.Join(dir, "gen-certs.sh")).CombinedOutput(); err != nil {
		t.Fatalf("deploy/gen-certs.sh: %v\n%s", err, out)
	}
	ents, err := os.ReadDir(filepath.Join(dir, "certs"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]bool{}
	for _, e := range ents {
		files[filepath.Join("deploy", "certs", e.Name())] = true
	}
	return filepath.Join(dir, "certs"), files
}

// TestComposeFile checks the repository's docker-compose.yml.
func TestComposeFile(t *testing.T) {
	t.Parallel()
	_, certs := genCerts(t)
	for _, p := range checkCompose(composeDir, certs, loadCompose(t)) {
		t.Error(p)
	}
}

// TestComposeCerts: the node certificate deploy/gen-certs.sh writes is
// valid, from its CA, for server and client use, under the name of every
// OpenWit service in docker-compose.yml (the names TLS clients verify).
func TestComposeCerts(t *testing.T) {
	t.Parallel()
	dir, _ := genCerts(t)
	read := func(name string) *x509.Certificate {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		blk, _ := pem.Decode(b)
		if blk == nil {
			t.Fatalf("%s: no PEM block", name)
		}
		c, err := x509.ParseCertificate(blk.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ca, node := read("ca.crt"), read("node.crt")
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	f := loadCompose(t)
	n := 0
	for name, s := range f.Services {
		if !isOpenWit(s) {
			continue
		}
		n++
		for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
			if _, err := node.Verify(x509.VerifyOptions{DNSName: name, Roots: roots, KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
				t.Errorf("node.crt for service %s (usage %v): %v", name, usage, err)
			}
		}
	}
	if n == 0 {
		t.Fatal("no OpenWit service in docker-compose.yml")
	}
	if _, err := node.Verify(x509.VerifyOptions{DNSName: "not-a-service", Roots: roots}); err == nil {
		t.Error("node.crt verifies for a name that is no service")
	}
	b, err := os.ReadFile(filepath.Join(dir, "token.key"))
	if err != nil || len(strings.TrimSpace(string(b))) < 32 {
		t.Errorf("token.key: %d bytes, %v; --token-key-file needs 32", len(strings.TrimSpace(string(b))), err)
	}
}

// TestComposeChecksBite breaks a copy of docker-compose.yml in one way at a
// time and expects the checks to report exactly that, in a message the
// intact file does not produce.
func TestComposeChecksBite(t *testing.T) {
	t.Parallel()
	_, certs := genCerts(t)
	base := checkCompose(composeDir, certs, loadCompose(t))
	// setArg replaces a service's --flag=... argument (or adds it).
	setArg := func(f *composeFile, svc, flag, value string) {
		s := f.Services[svc]
		for i, a := range s.Command {
			if strings.HasPrefix(a, flag+"=") || a == flag {
				s.Command[i] = flag + "=" + value
				return
			}
		}
		s.Command = append(s.Command, flag+"="+value)
	}
	renameArg := func(f *composeFile, svc, flag, to string) {
		s := f.Services[svc]
		for i, a := range s.Command {
			if v, ok := strings.CutPrefix(a, flag+"="); ok {
				s.Command[i] = to + "=" + v
			}
		}
	}
	for _, tc := range []struct {
		name  string
		edit  func(f *composeFile)
		wants []string // substrings of one reported problem
	}{
		{"misspelled flag", func(f *composeFile) { renameArg(f, "search-1", "--search-addr", "--serch-addr") },
			[]string{"service search-1", "flag --serch-addr: not defined"}},
		{"join to a missing service", func(f *composeFile) { setArg(f, "search-2", "--join", "control-9:7946") },
			[]string{"service search-2", "--join control-9:7946", "no service control-9"}},
		{"search worker on the wrong port", func(f *composeFile) {
			setArg(f, "gateway-1", "--search-workers", "search-1:8816,search-2:9816")
		}, []string{"service gateway-1", "--search-workers search-2:9816", "does not listen on port 9816"}},
		{"gateway of the proxy missing", func(f *composeFile) {
			setArg(f, "proxy", "--gateways", "pg=gateway-1:5433,flight=gateway-1:8815;pg=gateway-3:5433")
		}, []string{"service proxy", "--gateways gateway-3:5433", "no service gateway-3"}},
		{"kafka broker misnamed", func(f *composeFile) { setArg(f, "ingest-1", "--kafka-brokers", "kafka-1:9092") },
			[]string{"service ingest-1", "--kafka-brokers kafka-1:9092", "no service kafka-1"}},
		{"loopback listener", func(f *composeFile) { setArg(f, "gateway-2", "--flight-addr", "127.0.0.1:8815") },
			[]string{"service gateway-2", "--flight-addr 127.0.0.1:8815", "unreachable"}},
		{"listen address left to its loopback default", func(f *composeFile) {
			s := f.Services["search-2"]
			s.Command = slices.DeleteFunc(s.Command, func(a string) bool { return strings.HasPrefix(a, "--http-addr") })
		}, []string{"service search-2", "--http-addr is not set"}},
		{"not advertised under its name", func(f *composeFile) { setArg(f, "search-1", "--advertise-host", "search-2") },
			[]string{"service search-1", `--advertise-host "search-2", want "search-1"`}},
		{"invalid value", func(f *composeFile) { setArg(f, "control-1", "--control-lease-ttl", "500ms") },
			[]string{"service control-1", "refuses the configuration", "--control-lease-ttl"}},
		{"serve missing", func(f *composeFile) { f.Services["indexer-1"].Command[0] = "server" },
			[]string{"service indexer-1", "want `serve ...`"}},
		{"duplicate node id", func(f *composeFile) { setArg(f, "search-2", "--node-id", "search-1") },
			[]string{`node id "search-1" is also`}},
		{"no health check", func(f *composeFile) { f.Services["kafka"].Healthcheck = nil },
			[]string{"service kafka", "no health check"}},
		{"health check on another port", func(f *composeFile) {
			s := f.Services["storage-1"]
			hc := *s.Healthcheck
			hc.Test = stringList{"CMD", "curl", "-fsS", "http://127.0.0.1:9090/readyz"}
			s.Healthcheck = &hc
		}, []string{"service storage-1", "does not GET /readyz on the --http-addr port 8080"}},
		{"health check with a tool the image lacks", func(f *composeFile) {
			s := f.Services["cache-1"]
			hc := *s.Healthcheck
			hc.Test = stringList{"CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/readyz"}
			s.Healthcheck = &hc
		}, []string{"service cache-1", "health check runs wget, which the Dockerfile's final stage does not install"}},
		{"dependency on a missing service", func(f *composeFile) {
			f.Services["search-1"].DependsOn = append(f.Services["search-1"].DependsOn, "cache-2")
		}, []string{"service search-1", "depends_on cache-2: no such service"}},
		{"host port published twice", func(f *composeFile) { f.Services["kafka"].Ports = []string{"8080:9092"} },
			[]string{"host port 8080/tcp is also published by"}},
		{"image with a registry host", func(f *composeFile) { f.Services["etcd-2"].Image = "quay.io/coreos/etcd:v3.5.17" },
			[]string{"service etcd-2", "names a registry host (quay.io)"}},
		{"catalog host missing", func(f *composeFile) {
			setArg(f, "indexer-1", "--catalog", "postgres://openwit:openwit@postgres-primary:5432,pg-standby:5432/openwit")
		}, []string{"service indexer-1", "--catalog pg-standby:5432", "no service pg-standby"}},
		{"object store endpoint on the wrong port", func(f *composeFile) {
			setArg(f, "search-1", "--object-store", "s3://openwit/data?endpoint=http://s3:9000&region=us-east-1")
		}, []string{"service search-1", "--object-store endpoint s3:9000", "does not listen on port 9000"}},
		{"etcd member advertising another name", func(f *composeFile) {
			s := f.Services["etcd-3"]
			for i, a := range s.Command {
				if strings.HasPrefix(a, "--advertise-client-urls=") {
					s.Command[i] = "--advertise-client-urls=http://localhost:2379"
				}
			}
		}, []string{"service etcd-3", "advertise the service name etcd-3"}},
		{"a search worker too few", func(f *composeFile) { delete(f.Services, "search-2") },
			[]string{"roles search: 1 services"}},
		{"an unplanned role mix", func(f *composeFile) { setArg(f, "indexer-1", "--roles", "indexer,control") },
			[]string{"roles control,indexer", "does not plan"}},
		{"object store credentials differ", func(f *composeFile) { f.Services["s3"].Environment["ROOT_SECRET_KEY"] = "other" },
			[]string{"differ from s3's ROOT_ACCESS_KEY/ROOT_SECRET_KEY"}},
		{"catalog password differs", func(f *composeFile) {
			f.Services["postgres-primary"].Environment["POSTGRES_PASSWORD"] = "other"
		}, []string{"--catalog: user or password differ from postgres-primary's"}},
		{"mounted file the script does not write", func(f *composeFile) {
			setArg(f, "search-1", "--tls-ca", "/etc/openwit/certs/root.crt")
		}, []string{"service search-1", "deploy/gen-certs.sh does not write deploy/certs/root.crt"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := loadCompose(t)
			tc.edit(f)
			got := checkCompose(composeDir, certs, f)
			match := func(p string) bool {
				for _, w := range tc.wants {
					if !strings.Contains(p, w) {
						return false
					}
				}
				return true
			}
			if slices.ContainsFunc(base, match) {
				t.Fatalf("the intact file already reports %q; the case proves nothing", tc.wants)
			}
			if !slices.ContainsFunc(got, match) {
				t.Errorf("no problem reported with %q; got:\n%s", tc.wants, strings.Join(got, "\n"))
			}
		})
	}
}

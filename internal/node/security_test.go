package node

import (
	"crypto/tls"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"openwit/gateway/auth"
	"openwit/internal/testcert"
)

func TestValidateSecurity(t *testing.T) {
	certs := testcert.New(t)
	base := func() Config {
		c := DefaultConfig()
		c.DataDir = t.TempDir()
		return c
	}
	good := map[string]func(c *Config){
		"trust on loopback": func(c *Config) {},
		"password on any address": func(c *Config) {
			c.Auth, c.PGAddr, c.FlightAddr = "password", "0.0.0.0:5433", "[::]:8815"
			c.Users = []auth.Entry{{Name: "a", Password: "b"}}
		},
		"scram-sha-256 alias":           func(c *Config) { c.Auth, c.UsersFile = "scram-sha-256", "/some/file" },
		"search-only node needs no one": func(c *Config) { c.Auth, c.Roles = "password", "search" },
		"tls required with a key pair":  func(c *Config) { c.TLSCert, c.TLSKey, c.TLSRequired = certs.CertFile, certs.KeyFile, true },
		"search off loopback with mutual TLS": func(c *Config) {
			c.Roles, c.SearchAddr, c.TLSCert, c.TLSKey, c.TLSCA = "search", "0.0.0.0:8816", certs.CertFile, certs.KeyFile, certs.CAFile
		},
	}
	for name, mod := range good {
		t.Run(name, func(t *testing.T) {
			c := base()
			mod(&c)
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			if strings.HasPrefix(name, "scram") && c.Auth != AuthPassword {
				t.Errorf("auth %q after Validate, want %q", c.Auth, AuthPassword)
			}
		})
	}
	bad := map[string]struct {
		mod  func(c *Config)
		want string
	}{
		"trust on a public pg address":     {func(c *Config) { c.PGAddr = "0.0.0.0:5433" }, "--pg-addr is 0.0.0.0:5433"},
		"trust on a public flight address": {func(c *Config) { c.FlightAddr = "10.1.2.3:8815" }, "--flight-addr is 10.1.2.3:8815"},
		"password without users":           {func(c *Config) { c.Auth = "password" }, "needs users"},
		"unknown mode":                     {func(c *Config) { c.Auth = "md5" }, "want trust or password"},
		"key without cert":                 {func(c *Config) { c.TLSKey = certs.KeyFile }, "go together"},
		"required without cert":            {func(c *Config) { c.TLSRequired = true }, "needs --tls-cert"},
		"ca without cert":                  {func(c *Config) { c.TLSCA = certs.CAFile }, "--tls-ca needs --tls-cert"},
		"search off loopback without ca": {func(c *Config) {
			c.Roles, c.SearchAddr, c.TLSCert, c.TLSKey = "search", "0.0.0.0:8816", certs.CertFile, certs.KeyFile
		}, "needs mutual TLS"},
	}
	for name, tc := range bad {
		t.Run(name, func(t *testing.T) {
			c := base()
			tc.mod(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestLoadSecurity(t *testing.T) {
	certs := testcert.New(t)
	dir := t.TempDir()
	usersFile := filepath.Join(dir, "users.yaml")
	if err := os.WriteFile(usersFile, []byte("users:\n  - name: bob\n    password: builder\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(dir, "key")
	if err := os.WriteFile(keyFile, []byte(strings.Repeat("x", 32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := DefaultConfig()
	c.Auth, c.UsersFile, c.TokenKeyFile = AuthPassword, usersFile, keyFile
	c.Users = []auth.Entry{{Name: "alice", Password: "wonderland"}}
	c.TLSCert, c.TLSKey, c.TLSCA = certs.CertFile, certs.KeyFile, certs.CAFile
	sec, err := loadSecurity(&c)
	if err != nil {
		t.Fatal(err)
	}
	if sec.users.CheckPassword("alice", "wonderland") != nil || sec.users.CheckPassword("bob", "builder") != nil {
		t.Error("configured users do not log in")
	}
	if c.Users[0].Password != "" {
		t.Error("the plaintext password stays in the config")
	}
	if sec.tls == nil || len(sec.tls.Certificates) != 1 || sec.tls.MinVersion < 0x0303 {
		t.Errorf("tls config %+v", sec.tls)
	}
	if sec.searchServer == nil || sec.searchServer.ClientCAs == nil || sec.searchServer.ClientAuth != tls.RequireAndVerifyClientCert ||
		sec.searchClient == nil || sec.searchClient.RootCAs == nil || len(sec.searchClient.Certificates) != 1 {
		t.Errorf("search mutual TLS: server %+v client %+v", sec.searchServer, sec.searchClient)
	}
	if string(sec.tokenKey) != strings.Repeat("x", 32) {
		t.Errorf("token key %q", sec.tokenKey)
	}

	for name, mod := range map[string]func(c *Config){
		"duplicate user": func(c *Config) { c.Users = []auth.Entry{{Name: "bob", Password: "x"}} },
		"short token key": func(c *Config) {
			c.TokenKeyFile = filepath.Join(t.TempDir(), "short")
			_ = os.WriteFile(c.TokenKeyFile, []byte("short"), 0o600)
		},
		"bad key pair": func(c *Config) { c.TLSKey = certs.CAFile },
	} {
		t.Run(name, func(t *testing.T) {
			c := DefaultConfig()
			c.Auth, c.UsersFile, c.TokenKeyFile = AuthPassword, usersFile, keyFile
			c.TLSCert, c.TLSKey = certs.CertFile, certs.KeyFile
			mod(&c)
			if _, err := loadSecurity(&c); err == nil {
				t.Fatal("no error")
			} else if strings.Contains(err.Error(), "builder") {
				t.Errorf("error shows a password: %v", err)
			}
		})
	}
}

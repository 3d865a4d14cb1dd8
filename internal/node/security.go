package node

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"openwit/gateway/auth"
)

// security is what the gateways need to authenticate clients.
type security struct {
	users    *auth.Users // nil in trust mode
	names    []string    // the users' names, for pg_roles; nil in trust mode
	tls      *tls.Config // nil without a certificate
	tokenKey []byte      // nil: random per process
	// Mutual TLS of the search service (nil without --tls-ca): the
	// worker's server side and the coordinator's client side.
	searchServer, searchClient *tls.Config
}

// loadSecurity builds the user set (config users, then the users file),
// loads the TLS key pair and the token key. Plaintext passwords are hashed
// here and dropped from the returned config.
func loadSecurity(cfg *Config) (security, error) {
	var sec security
	if cfg.Auth == AuthPassword {
		entries := append([]auth.Entry(nil), cfg.Users...)
		if cfg.UsersFile != "" {
			more, err := auth.LoadFile(cfg.UsersFile)
			if err != nil {
				return sec, err
			}
			entries = append(entries, more...)
		}
		users, err := auth.NewUsers(entries)
		if err != nil {
			return sec, err
		}
		sec.users = users
		for _, e := range entries {
			sec.names = append(sec.names, e.Name)
		}
		for i := range cfg.Users {
			cfg.Users[i].Password = ""
		}
	}
	if cfg.TLSCert != "" {
		pair, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return sec, fmt.Errorf("load --tls-cert/--tls-key: %w", err)
		}
		sec.tls = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
		if cfg.TLSCA != "" {
			pem, err := os.ReadFile(cfg.TLSCA)
			if err != nil {
				return sec, fmt.Errorf("read --tls-ca: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return sec, fmt.Errorf("--tls-ca %s holds no PEM certificate", cfg.TLSCA)
			}
			sec.searchServer = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS13,
				ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool}
			sec.searchClient = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS13, RootCAs: pool}
		}
	}
	if cfg.TokenKeyFile != "" {
		b, err := os.ReadFile(cfg.TokenKeyFile)
		if err != nil {
			return sec, fmt.Errorf("read --token-key-file: %w", err)
		}
		sec.tokenKey = bytes.TrimRight(b, "\r\n")
		if len(sec.tokenKey) < 32 {
			return sec, fmt.Errorf("--token-key-file %s holds %d bytes; at least 32 are needed", cfg.TokenKeyFile, len(sec.tokenKey))
		}
	}
	return sec, nil
}

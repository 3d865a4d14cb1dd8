// Package testcert makes a throwaway certificate authority and a server
// certificate signed by it for TLS tests (ECDSA P-256, SHA-256 signatures,
// valid for localhost, 127.0.0.1 and ::1 for one day, for server and client
// authentication). Nothing is read
// from or committed to the repository: the keys live in memory and in
// files under the test's temporary directory.
package testcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Set is a CA and a server certificate it signed.
type Set struct {
	// Pool trusts the CA (for clients).
	Pool *x509.CertPool
	// Server is the server's key pair, Leaf set.
	Server tls.Certificate
	// CAFile, CertFile and KeyFile are PEM files (the CA certificate, the
	// server certificate and its PKCS #8 key) in tb.TempDir().
	CAFile, CertFile, KeyFile string
}

// New makes a CA and a server certificate.
func New(tb testing.TB) *Set {
	tb.Helper()
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "openwit test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		tb.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		// Client auth too: search workers accept the same certificate
		// from coordinators (mutual TLS).
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		tb.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		tb.Fatal(err)
	}
	s := &Set{Pool: x509.NewCertPool(), Server: tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}}
	s.Pool.AddCert(ca)
	dir := tb.TempDir()
	s.CAFile = writePEM(tb, filepath.Join(dir, "ca.pem"), "CERTIFICATE", caDER)
	s.CertFile = writePEM(tb, filepath.Join(dir, "server.pem"), "CERTIFICATE", der)
	s.KeyFile = writePEM(tb, filepath.Join(dir, "server.key"), "PRIVATE KEY", keyDER)
	return s
}

func writePEM(tb testing.TB, path, typ string, der []byte) string {
	tb.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		tb.Fatal(err)
	}
	return path
}

// ServerConfig returns a server TLS configuration (TLS 1.2 at least).
func (s *Set) ServerConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{s.Server}, MinVersion: tls.VersionTLS12}
}

// ClientConfig returns a client TLS configuration that trusts the CA and
// expects the server name "localhost" (also valid for 127.0.0.1).
func (s *Set) ClientConfig() *tls.Config {
	return &tls.Config{RootCAs: s.Pool, ServerName: "localhost", MinVersion: tls.VersionTLS12}
}

// MutualServerConfig returns a server TLS configuration that also requires
// a client certificate signed by the CA.
func (s *Set) MutualServerConfig() *tls.Config {
	c := s.ServerConfig()
	c.ClientAuth, c.ClientCAs = tls.RequireAndVerifyClientCert, s.Pool
	return c
}

// MutualClientConfig returns ClientConfig presenting the server
// certificate as the client's.
func (s *Set) MutualClientConfig() *tls.Config {
	c := s.ClientConfig()
	c.Certificates = []tls.Certificate{s.Server}
	return c
}

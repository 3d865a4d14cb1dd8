package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"
)

// SASL mechanism names.
const (
	SCRAMSHA256     = "SCRAM-SHA-256"
	SCRAMSHA256Plus = "SCRAM-SHA-256-PLUS"
)

// cbindType is the only channel binding type offered (RFC 5929), the one
// PostgreSQL implements.
const cbindType = "tls-server-end-point"

// nonceLen is the number of random bytes in the server's part of the nonce
// (PostgreSQL's SCRAM_RAW_NONCE_LEN).
const nonceLen = 18

// ErrMalformed is returned for a SCRAM message that breaks RFC 5802's
// grammar or PostgreSQL's rules for it (a protocol violation).
var ErrMalformed = errors.New("malformed SCRAM message")

// Mechanisms returns the SASL mechanisms a server offers: with channel
// binding data (a TLS connection, see ChannelBinding) SCRAM-SHA-256-PLUS
// first, then SCRAM-SHA-256.
func Mechanisms(cbind []byte) []string {
	if cbind != nil {
		return []string{SCRAMSHA256Plus, SCRAMSHA256}
	}
	return []string{SCRAMSHA256}
}

// ChannelBinding returns the tls-server-end-point channel binding data of
// a server certificate (RFC 5929 section 4.1): its hash with the hash
// function of its signature algorithm, SHA-256 for MD5 and SHA-1. It
// returns nil when the binding is undefined for the algorithm (Ed25519):
// such a server offers no SCRAM-SHA-256-PLUS.
func ChannelBinding(cert *x509.Certificate) []byte {
	if cert == nil {
		return nil
	}
	var h hash.Hash
	switch cert.SignatureAlgorithm {
	case x509.MD5WithRSA, x509.SHA1WithRSA, x509.ECDSAWithSHA1,
		x509.SHA256WithRSA, x509.SHA256WithRSAPSS, x509.ECDSAWithSHA256:
		h = sha256.New()
	case x509.SHA384WithRSA, x509.SHA384WithRSAPSS, x509.ECDSAWithSHA384:
		h = sha512.New384()
	case x509.SHA512WithRSA, x509.SHA512WithRSAPSS, x509.ECDSAWithSHA512:
		h = sha512.New()
	default:
		return nil
	}
	h.Write(cert.Raw)
	return h.Sum(nil)
}

// SCRAM is the server side of one SCRAM-SHA-256 exchange (RFC 5802, RFC
// 7677) as PostgreSQL runs it: the user is the one named at connection
// start (the SCRAM user name is ignored), authorization identities and
// mandatory extensions are refused, and an unknown user gets the same
// exchange as a known one and fails at the end like a wrong password.
//
// Call Start with the client-first-message, then Finish with the
// client-final-message. A SCRAM value is used by one goroutine.
type SCRAM struct {
	v     Verifier
	known bool
	cbind []byte // channel binding data offered; nil without TLS

	plus            bool   // the client chose SCRAM-SHA-256-PLUS
	gs2Header       string // as the client sent it
	clientFirstBare string
	serverFirst     string
	nonce           string // client nonce + server nonce
	started, done   bool
}

// NewSCRAM starts an exchange for user. cbind is the connection's channel
// binding data (ChannelBinding of the server certificate) or nil when the
// connection has no TLS.
func (u *Users) NewSCRAM(user string, cbind []byte) *SCRAM {
	v, ok := u.Lookup(user)
	return &SCRAM{v: v, known: ok, cbind: cbind}
}

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrMalformed}, args...)...)
}

// Start checks the mechanism the client chose and its
// client-first-message, and returns the server-first-message.
func (s *SCRAM) Start(mechanism string, clientFirst []byte) ([]byte, error) {
	if s.started {
		return nil, malformed("exchange already started")
	}
	s.started = true
	switch {
	case mechanism == SCRAMSHA256:
	case mechanism == SCRAMSHA256Plus && s.cbind != nil:
		s.plus = true
	default:
		return nil, fmt.Errorf("%w: client selected an invalid SASL authentication mechanism", ErrMalformed)
	}
	msg := string(clientFirst)

	// gs2-header: gs2-cbind-flag "," [authzid] ","
	var flag string
	var ok bool
	if flag, msg, ok = strings.Cut(msg, ","); !ok {
		return nil, malformed("unexpected end of client-first-message")
	}
	switch {
	case flag == "n":
		if s.plus {
			return nil, malformed("the client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not include channel binding data")
		}
	case flag == "y":
		if s.plus {
			return nil, malformed("the client selected SCRAM-SHA-256-PLUS, but the SCRAM message does not include channel binding data")
		}
		if s.cbind != nil {
			// The client could bind but thinks we cannot: someone in
			// the middle may have removed SCRAM-SHA-256-PLUS.
			return nil, malformed("channel binding negotiation error: the client supports channel binding but thinks the server does not, and this server does")
		}
	case strings.HasPrefix(flag, "p="):
		if !s.plus {
			return nil, malformed("the client selected SCRAM-SHA-256 without channel binding, but the SCRAM message includes channel binding data")
		}
		if flag[2:] != cbindType {
			return nil, malformed("unsupported SCRAM channel-binding type %q", flag[2:])
		}
	default:
		return nil, malformed("unexpected channel-binding flag %q", flag)
	}
	var authzid string
	if authzid, msg, ok = strings.Cut(msg, ","); !ok {
		return nil, malformed("unexpected end of client-first-message")
	}
	if authzid != "" {
		return nil, malformed("client uses authorization identity, but it is not supported")
	}
	s.gs2Header = flag + "," + authzid + ","
	s.clientFirstBare = msg

	// client-first-message-bare: [reserved-mext ","] username "," nonce ["," extensions]
	if strings.HasPrefix(msg, "m=") {
		return nil, malformed("client requires an unsupported SCRAM extension")
	}
	attrs := strings.Split(msg, ",")
	if len(attrs) < 2 || !strings.HasPrefix(attrs[0], "n=") || !strings.HasPrefix(attrs[1], "r=") {
		return nil, malformed("expected user name and nonce in client-first-message")
	}
	clientNonce := attrs[1][2:]
	if clientNonce == "" || !printable(clientNonce) {
		return nil, malformed("invalid client nonce")
	}
	raw := make([]byte, nonceLen)
	_, _ = rand.Read(raw)
	s.nonce = clientNonce + base64.StdEncoding.EncodeToString(raw)
	s.serverFirst = "r=" + s.nonce + ",s=" + base64.StdEncoding.EncodeToString(s.v.Salt) + ",i=" + strconv.Itoa(s.v.Iterations)
	return []byte(s.serverFirst), nil
}

// printable reports whether s has only the characters RFC 5802 allows in
// a nonce: printable ASCII except ','.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == ',' {
			return false
		}
	}
	return true
}

// Finish checks the client-final-message and returns the
// server-final-message. A proof that does not match, and any proof for an
// unknown user, is ErrAuthFailed.
func (s *SCRAM) Finish(clientFinal []byte) ([]byte, error) {
	if !s.started || s.done {
		return nil, malformed("unexpected SCRAM message")
	}
	s.done = true
	msg := string(clientFinal)
	// client-final-message: channel-binding "," nonce ["," extensions] "," proof
	i := strings.LastIndex(msg, ",p=")
	if i < 0 {
		return nil, malformed("could not find proof in client-final-message")
	}
	withoutProof, proof64 := msg[:i], msg[i+3:]
	attrs := strings.Split(withoutProof, ",")
	if len(attrs) < 2 || !strings.HasPrefix(attrs[0], "c=") || !strings.HasPrefix(attrs[1], "r=") {
		return nil, malformed("expected channel binding and nonce in client-final-message")
	}
	cb, err := base64.StdEncoding.DecodeString(attrs[0][2:])
	if err != nil {
		return nil, malformed("invalid channel binding data")
	}
	want := []byte(s.gs2Header)
	if s.plus {
		want = append(want, s.cbind...)
	}
	if subtle.ConstantTimeCompare(cb, want) != 1 {
		if s.plus {
			return nil, fmt.Errorf("%w: SCRAM channel binding check failed", ErrAuthFailed)
		}
		return nil, malformed("unexpected SCRAM channel-binding attribute in client-final-message")
	}
	if attrs[1][2:] != s.nonce {
		return nil, malformed("SCRAM nonce mismatch")
	}
	proof, err := base64.StdEncoding.DecodeString(proof64)
	if err != nil || len(proof) != sha256.Size {
		return nil, malformed("invalid proof in client-final-message")
	}

	authMessage := []byte(s.clientFirstBare + "," + s.serverFirst + "," + withoutProof)
	clientSig := hmacBytes(s.v.StoredKey[:], authMessage)
	clientKey := make([]byte, sha256.Size)
	for i := range clientKey {
		clientKey[i] = proof[i] ^ clientSig[i]
	}
	stored := sha256.Sum256(clientKey)
	if subtle.ConstantTimeCompare(stored[:], s.v.StoredKey[:]) != 1 || !s.known {
		return nil, ErrAuthFailed
	}
	serverSig := hmacBytes(s.v.ServerKey[:], authMessage)
	return []byte("v=" + base64.StdEncoding.EncodeToString(serverSig)), nil
}

func hmacBytes(key, msg []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

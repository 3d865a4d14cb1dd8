package auth

import (
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/secure/precis"
)

// DefaultIterations is the PBKDF2 iteration count of verifiers made from
// plaintext passwords (PostgreSQL's scram_iterations default).
const DefaultIterations = 4096

// Iteration bounds accepted in a stored verifier. The lower bound is RFC
// 7677's minimum; the upper bound keeps one login from pinning a core for
// minutes.
const (
	minIterations = 4096
	maxIterations = 10_000_000
)

// saltLen is the length of salts OpenWit generates (PostgreSQL's
// SCRAM_DEFAULT_SALT_LEN).
const saltLen = 16

// verifierPrefix starts every SCRAM-SHA-256 verifier in PostgreSQL's text
// form.
const verifierPrefix = "SCRAM-SHA-256$"

// ErrBadVerifier is returned for a verifier string that is not in
// PostgreSQL's SCRAM-SHA-256 format.
var ErrBadVerifier = errors.New("not a SCRAM-SHA-256 verifier")

// Verifier is what the server stores for a password: the salt and
// iteration count given to the client, and the two keys SCRAM checks
// against (RFC 5802 section 3). The password cannot be recovered from it.
type Verifier struct {
	Iterations int
	Salt       []byte
	StoredKey  [sha256.Size]byte // H(ClientKey)
	ServerKey  [sha256.Size]byte // HMAC(SaltedPassword, "Server Key")
}

// NewVerifier derives a verifier for password with a random salt and
// DefaultIterations.
func NewVerifier(password string) Verifier {
	salt := make([]byte, saltLen)
	_, _ = rand.Read(salt) // crypto/rand.Read never fails (Go 1.24+)
	return DeriveVerifier(password, salt, DefaultIterations)
}

// DeriveVerifier derives the verifier of password for salt and iterations.
// The password is normalized first (NormalizePassword).
func DeriveVerifier(password string, salt []byte, iterations int) Verifier {
	salted := saltedPassword(password, salt, iterations)
	clientKey := hmacBytes(salted, []byte("Client Key"))
	v := Verifier{Iterations: iterations, Salt: append([]byte(nil), salt...)}
	v.StoredKey = sha256.Sum256(clientKey)
	copy(v.ServerKey[:], hmacBytes(salted, []byte("Server Key")))
	return v
}

// saltedPassword is Hi(Normalize(password), salt, i) of RFC 5802.
func saltedPassword(password string, salt []byte, iterations int) []byte {
	// pbkdf2.Key fails only for FIPS-140-only key lengths; 32 bytes of
	// SHA-256 is always allowed.
	k, err := pbkdf2.Key(sha256.New, NormalizePassword(password), salt, iterations, sha256.Size)
	if err != nil {
		panic(fmt.Sprintf("pbkdf2: %v", err))
	}
	return k
}

// Check reports whether password matches v, in time independent of where
// the keys differ.
func (v Verifier) Check(password string) bool {
	salted := saltedPassword(password, v.Salt, v.Iterations)
	stored := sha256.Sum256(hmacBytes(salted, []byte("Client Key")))
	return subtle.ConstantTimeCompare(stored[:], v.StoredKey[:]) == 1
}

// String returns v in PostgreSQL's format (what pg_authid.rolpassword
// holds): SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, the
// last three in standard base64.
func (v Verifier) String() string {
	b64 := base64.StdEncoding.EncodeToString
	return fmt.Sprintf("%s%d:%s$%s:%s", verifierPrefix, v.Iterations, b64(v.Salt), b64(v.StoredKey[:]), b64(v.ServerKey[:]))
}

// ParseVerifier parses PostgreSQL's verifier format (see String), as
// produced by PostgreSQL's own password hashing or by `openwit passwd`.
func ParseVerifier(s string) (Verifier, error) {
	var v Verifier
	rest, ok := strings.CutPrefix(s, verifierPrefix)
	if !ok {
		return v, fmt.Errorf("%w: missing %q prefix", ErrBadVerifier, verifierPrefix)
	}
	params, keys, ok := strings.Cut(rest, "$")
	if !ok {
		return v, fmt.Errorf("%w: want <iterations>:<salt>$<StoredKey>:<ServerKey>", ErrBadVerifier)
	}
	iter, salt64, ok1 := strings.Cut(params, ":")
	stored64, server64, ok2 := strings.Cut(keys, ":")
	if !ok1 || !ok2 {
		return v, fmt.Errorf("%w: want <iterations>:<salt>$<StoredKey>:<ServerKey>", ErrBadVerifier)
	}
	n, err := strconv.Atoi(iter)
	if err != nil || n < minIterations || n > maxIterations {
		return v, fmt.Errorf("%w: iteration count %q is not between %d and %d", ErrBadVerifier, iter, minIterations, maxIterations)
	}
	salt, err := base64.StdEncoding.DecodeString(salt64)
	if err != nil || len(salt) == 0 {
		return v, fmt.Errorf("%w: bad salt", ErrBadVerifier)
	}
	stored, err1 := base64.StdEncoding.DecodeString(stored64)
	server, err2 := base64.StdEncoding.DecodeString(server64)
	if err1 != nil || err2 != nil || len(stored) != sha256.Size || len(server) != sha256.Size {
		return v, fmt.Errorf("%w: keys must be %d bytes of base64", ErrBadVerifier, sha256.Size)
	}
	v.Iterations, v.Salt = n, salt
	copy(v.StoredKey[:], stored)
	copy(v.ServerKey[:], server)
	return v, nil
}

// NormalizePassword prepares a password for hashing the way SCRAM clients
// do. SCRAM asks for SASLprep (RFC 4013); OpenWit uses its successor, the
// PRECIS OpaqueString profile (RFC 8265), which agrees with SASLprep on
// printable ASCII (returned unchanged) and on common non-ASCII input
// (NFKC-style width mapping differs: see the design record). As in
// PostgreSQL, a password that the profile rejects is used as it is.
func NormalizePassword(password string) string {
	ascii := true
	for i := 0; i < len(password); i++ {
		if password[i] >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return password
	}
	for _, r := range password {
		if !unicode.In(r, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z) {
			return password // unassigned or control: SASLprep would refuse
		}
	}
	n, err := precis.OpaqueString.String(password)
	if err != nil {
		return password
	}
	return n
}

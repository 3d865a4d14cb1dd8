package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"gopkg.in/yaml.v3"
)

// Entry is one user as written in a config or users file: a name and
// either a plaintext password (hashed at load time) or a verifier in
// PostgreSQL's format.
type Entry struct {
	Name     string `yaml:"name"`
	Password string `yaml:"password,omitempty"`
	Verifier string `yaml:"verifier,omitempty"`
}

// String prints the entry without its secrets.
func (e Entry) String() string {
	switch {
	case e.Password != "":
		return e.Name + " (password)"
	case e.Verifier != "":
		return e.Name + " (verifier)"
	}
	return e.Name
}

// GoString is String, so that %#v does not print the password either.
func (e Entry) GoString() string { return e.String() }

// LogValue keeps the password out of structured logs.
func (e Entry) LogValue() slog.Value { return slog.StringValue(e.String()) }

// Users is the set of users the front doors accept, each with a
// SCRAM-SHA-256 verifier. It is read-only once built and safe for
// concurrent use.
type Users struct {
	byName  map[string]Verifier
	mockKey []byte // derives fake salts for unknown users
}

// NewUsers builds the user set from entries. A plaintext password is
// turned into a verifier (random salt, DefaultIterations); names must be
// unique and non-empty, and each entry needs exactly one of password and
// verifier. Errors name the user, never the secret.
func NewUsers(entries []Entry) (*Users, error) {
	u := &Users{byName: make(map[string]Verifier, len(entries)), mockKey: make([]byte, 32)}
	_, _ = rand.Read(u.mockKey)
	for i, e := range entries {
		if e.Name == "" {
			return nil, fmt.Errorf("users[%d]: name is empty", i)
		}
		if _, dup := u.byName[e.Name]; dup {
			return nil, fmt.Errorf("user %q is listed twice", e.Name)
		}
		switch {
		case e.Password != "" && e.Verifier != "":
			return nil, fmt.Errorf("user %q: set password or verifier, not both", e.Name)
		case e.Password != "":
			u.byName[e.Name] = NewVerifier(e.Password)
		case e.Verifier != "":
			v, err := ParseVerifier(e.Verifier)
			if err != nil {
				return nil, fmt.Errorf("user %q: %w", e.Name, err)
			}
			u.byName[e.Name] = v
		default:
			return nil, fmt.Errorf("user %q: password or verifier is required (an empty password is not allowed)", e.Name)
		}
	}
	return u, nil
}

// LoadFile reads a users file: YAML with a top-level "users" list of
// entries, the same shape as the "users" key of the server config.
// Unknown keys are an error.
func LoadFile(path string) ([]Entry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read users file: %w", err)
	}
	var f struct {
		Users []Entry `yaml:"users"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		// yaml errors quote lines, not values, so no secret leaks here.
		return nil, fmt.Errorf("parse users file %s: %w", path, err)
	}
	if len(f.Users) == 0 {
		return nil, fmt.Errorf("users file %s: no users", path)
	}
	return f.Users, nil
}

// Len returns the number of users.
func (u *Users) Len() int {
	if u == nil {
		return 0
	}
	return len(u.byName)
}

// Lookup returns the verifier of a user. For an unknown user it returns a
// deterministic fake verifier (stable salt per name, keys no password
// matches) and false, so a SCRAM exchange can run to the end and fail the
// same way as for a wrong password: clients cannot tell which users exist.
func (u *Users) Lookup(name string) (Verifier, bool) {
	if u != nil {
		if v, ok := u.byName[name]; ok {
			return v, true
		}
	}
	return u.mock(name), false
}

func (u *Users) mock(name string) Verifier {
	var key []byte
	if u != nil {
		key = u.mockKey
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("salt\x00" + name))
	v := Verifier{Iterations: DefaultIterations, Salt: m.Sum(nil)[:saltLen]}
	// StoredKey is random: finding a ClientKey that hashes to it is a
	// SHA-256 preimage.
	_, _ = rand.Read(v.StoredKey[:])
	_, _ = rand.Read(v.ServerKey[:])
	return v
}

// ErrAuthFailed is returned when a user name and password do not match.
// It does not tell whether the user exists.
var ErrAuthFailed = errors.New("password authentication failed")

// CheckPassword verifies a plaintext password (Flight SQL Basic
// credentials) against the user's verifier. An unknown user costs the same
// key derivation as a known one and fails with the same error.
func (u *Users) CheckPassword(name, password string) error {
	v, ok := u.Lookup(name)
	if !v.Check(password) || !ok {
		return ErrAuthFailed
	}
	return nil
}

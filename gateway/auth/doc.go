// Package auth holds the users of OpenWit's two front doors (the
// PostgreSQL wire and Flight SQL gateways) and the password checks both
// run against them.
//
// # Users and verifiers
//
// A user is a name and a SCRAM-SHA-256 verifier (RFC 5802 section 3, RFC
// 7677), stored and written in PostgreSQL's format, the one
// pg_authid.rolpassword holds:
//
//	SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
//
// with salt and keys in standard base64 and both keys 32 bytes:
//
//	SaltedPassword = PBKDF2-HMAC-SHA-256(Normalize(password), salt, iterations)
//	StoredKey      = SHA-256(HMAC(SaltedPassword, "Client Key"))
//	ServerKey      = HMAC(SaltedPassword, "Server Key")
//
// A verifier made by PostgreSQL (CREATE ROLE ... PASSWORD with
// password_encryption = scram-sha-256) works here unchanged and the other
// way round. Iteration counts from 4096 to 10,000,000 are accepted; new
// verifiers use 4096 and a random 16-byte salt. Plaintext passwords given
// in configuration are turned into verifiers when the user set is built
// (NewUsers) and not kept; Entry's String, GoString and LogValue hide
// them.
//
// Passwords are normalized with the PRECIS OpaqueString profile (RFC 8265,
// the successor of the SASLprep that SCRAM names) as pgx does; printable
// ASCII is unchanged, and a password the profile rejects is used as it is,
// as in PostgreSQL.
//
// # SCRAM exchange
//
// SCRAM runs the server side of one exchange the way PostgreSQL does
// (AuthenticationSASL, SASLContinue, SASLFinal on the wire): the user is
// the one the client named at connection start and the SCRAM user name is
// ignored; authorization identities and mandatory extensions ("m=") are
// refused; the server nonce adds 18 random bytes. With TLS the server also
// offers SCRAM-SHA-256-PLUS with tls-server-end-point channel binding (RFC
// 5929: the hash of the server certificate): a client that chooses it must
// present exactly that binding, and a client that says it could bind but
// believes the server cannot ("y") is refused, as that means the offer was
// stripped on the way. Grammar errors are ErrMalformed (a protocol
// violation); a wrong proof is ErrAuthFailed.
//
// # No user enumeration
//
// An unknown user gets a fake verifier whose salt is derived from the name
// with a per-process key (stable for that name, like a real one) and whose
// keys nothing matches. The SCRAM exchange runs to its end and fails with
// the same error as a wrong password; CheckPassword does the same key
// derivation for unknown users as for known ones.
package auth

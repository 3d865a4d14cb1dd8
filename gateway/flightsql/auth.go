package flightsql

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"log/slog"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"openwit/gateway/auth"
)

// handshakeMethod is the full gRPC name of Flight's Handshake.
const handshakeMethod = "/arrow.flight.protocol.FlightService/Handshake"

// authenticator checks Basic credentials and issues and verifies bearer
// tokens. Tokens are stateless: base64url(expiry(8 bytes, Unix seconds,
// big-endian) || user || HMAC-SHA256(key, expiry || user)). The key is
// Config.TokenKey, so gateways sharing it accept each other's tokens, or
// random per process, so a restart invalidates every token (clients log in
// again); no token table grows either way.
type authenticator struct {
	trust bool
	users *auth.Users
	key   []byte
	ttl   time.Duration
	now   func() time.Time
	log   *slog.Logger
}

func newAuthenticator(cfg Config) *authenticator {
	key := cfg.TokenKey
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key) // crypto/rand.Read never fails (Go 1.24+)
	}
	return &authenticator{trust: cfg.Trust, users: cfg.Users, key: key, ttl: cfg.TokenTTL, now: time.Now, log: cfg.Logger}
}

// login checks a user name and password against the users' SCRAM
// verifiers and returns a token. A wrong password and an unknown user fail
// alike, after the same key derivation.
func (a *authenticator) login(user, password string) (string, error) {
	if !a.trust {
		if a.users.Len() == 0 {
			return "", status.Error(codes.Unauthenticated, "ERROR: password authentication is not configured (SQLSTATE 28000)")
		}
		if err := a.users.CheckPassword(user, password); err != nil {
			a.log.Info("flight sql password authentication failed", "user", user)
			return "", status.Errorf(codes.Unauthenticated, "ERROR: password authentication failed for user %q (SQLSTATE 28P01)", user)
		}
	}
	var b []byte
	b = binary.BigEndian.AppendUint64(b, uint64(a.now().Add(a.ttl).Unix()))
	b = append(b, user...)
	b = append(b, a.mac(b)...)
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (a *authenticator) mac(b []byte) []byte {
	m := hmac.New(sha256.New, a.key)
	m.Write(b)
	return m.Sum(nil)
}

// verify returns the user a token was issued to.
func (a *authenticator) verify(token string) (string, error) {
	bad := status.Error(codes.Unauthenticated, "ERROR: invalid or expired bearer token; authenticate again with Handshake (SQLSTATE 28000)")
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) < 8+sha256.Size {
		return "", bad
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if !hmac.Equal(sum, a.mac(body)) {
		return "", bad
	}
	if exp := int64(binary.BigEndian.Uint64(body)); a.now().Unix() >= exp {
		return "", bad
	}
	return string(body[8:]), nil
}

type userKey struct{}

// userFrom returns the authenticated user of a call (User in trust mode
// without credentials).
func userFrom(ctx context.Context) string {
	if u, ok := ctx.Value(userKey{}).(string); ok && u != "" {
		return u
	}
	return User
}

// authorize decides a call from its "authorization" header: Basic
// credentials on Handshake yield a token (sent back in the response
// header and trailer, where Flight clients look for it); every other call
// needs a valid Bearer token. In trust mode nothing is required, and
// credentials, when present, only name the user.
func (a *authenticator) authorize(ctx context.Context, method string, setHeader func(metadata.MD) error) (context.Context, error) {
	scheme, cred := authHeader(ctx)
	if method == handshakeMethod {
		if !strings.EqualFold(scheme, "basic") {
			if a.trust {
				return ctx, nil
			}
			if strings.EqualFold(scheme, "bearer") {
				if user, err := a.verify(cred); err == nil {
					return context.WithValue(ctx, userKey{}, user), nil
				}
			}
			return nil, status.Error(codes.Unauthenticated, "ERROR: Handshake needs Basic credentials in the authorization header (SQLSTATE 28000)")
		}
		raw, err := base64.StdEncoding.DecodeString(cred)
		if err != nil {
			if raw, err = base64.RawStdEncoding.DecodeString(cred); err != nil {
				return nil, status.Error(codes.Unauthenticated, "ERROR: malformed Basic credentials (SQLSTATE 28000)")
			}
		}
		user, password, _ := strings.Cut(string(raw), ":")
		token, err := a.login(user, password)
		if err != nil {
			return nil, err
		}
		if err := setHeader(metadata.Pairs("authorization", "Bearer "+token)); err != nil {
			return nil, status.Errorf(codes.Internal, "send token: %v", err)
		}
		return context.WithValue(ctx, userKey{}, user), nil
	}
	if strings.EqualFold(scheme, "bearer") {
		user, err := a.verify(cred)
		if err == nil {
			return context.WithValue(ctx, userKey{}, user), nil
		}
		if !a.trust {
			return nil, err
		}
	}
	if a.trust {
		return ctx, nil
	}
	return nil, status.Error(codes.Unauthenticated, "ERROR: authentication required: Handshake with Basic credentials, then send the Bearer token (SQLSTATE 28000)")
}

func authHeader(ctx context.Context) (scheme, cred string) {
	md, _ := metadata.FromIncomingContext(ctx)
	vals := md.Get("authorization")
	if len(vals) == 0 {
		return "", ""
	}
	scheme, cred, _ = strings.Cut(strings.TrimSpace(vals[0]), " ")
	return scheme, strings.TrimSpace(cred)
}

func (a *authenticator) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	ctx, err := a.authorize(ctx, info.FullMethod, func(md metadata.MD) error { return grpc.SetHeader(ctx, md) })
	if err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (a *authenticator) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx, err := a.authorize(ss.Context(), info.FullMethod, func(md metadata.MD) error {
		ss.SetTrailer(md)
		return ss.SendHeader(md)
	})
	if err != nil {
		return err
	}
	return handler(srv, &ctxStream{ServerStream: ss, ctx: ctx})
}

// ctxStream replaces a server stream's context.
type ctxStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *ctxStream) Context() context.Context { return s.ctx }

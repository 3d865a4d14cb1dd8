// Package grpcserve is the serve/shutdown lifecycle shared by OpenWit's
// gRPC servers (Flight SQL, search workers, the storage service), and the
// pool of client connections by address their clients share (Conns).
package grpcserve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"google.golang.org/grpc"
)

// Lifecycle runs one grpc.Server. The zero value is not usable; set GS.
type Lifecycle struct {
	// GS is the server; Name names it in errors ("flight sql").
	GS   *grpc.Server
	Name string

	mu       sync.Mutex
	shutdown bool
}

// Serve accepts connections on l until Shutdown is called or ctx is done
// (which stops the server at once, cancelling running calls). Serve closes
// l and returns nil after a stop; other accept errors are returned.
func (lc *Lifecycle) Serve(ctx context.Context, l net.Listener) error {
	lc.mu.Lock()
	if lc.shutdown {
		lc.mu.Unlock()
		_ = l.Close()
		return nil
	}
	lc.mu.Unlock()
	stop := context.AfterFunc(ctx, lc.GS.Stop)
	defer stop()
	err := lc.GS.Serve(l)
	if errors.Is(err, grpc.ErrServerStopped) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("serve %s: %w", lc.Name, err)
	}
	return nil
}

// Shutdown stops accepting connections and waits for running calls
// (streams included) to finish. When ctx is done first, the remaining calls
// are cancelled, their connections closed, and ctx.Err() is returned.
func (lc *Lifecycle) Shutdown(ctx context.Context) error {
	lc.mu.Lock()
	lc.shutdown = true
	lc.mu.Unlock()
	done := make(chan struct{})
	go func() {
		lc.GS.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		lc.GS.Stop()
		<-done
		return ctx.Err()
	}
}

package search_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"openwit/exec"
	"openwit/internal/testcert"
	"openwit/search"
)

// TestMutualTLS runs a worker that requires client certificates: a
// coordinator holding one from the CA runs fragments, others are refused.
func TestMutualTLS(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	d := newDataset(t, mem, 2, 100, 0)
	certs := testcert.New(t)

	srv, err := search.New(search.Config{Bucket: d.bucket, TLS: certs.MutualServerConfig()})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(context.Background(), ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	addr := ln.Addr().String()
	f := fragment(d.sources(false))
	want := local(t, exec.Params{Mem: mem, Bucket: d.bucket, Parallelism: 1}, f)

	c := search.NewClient(search.ClientConfig{Mem: mem, TLS: certs.MutualClientConfig()})
	defer c.Close()
	op, err := c.Run(addr, f)
	if err != nil {
		t.Fatal(err)
	}
	if got := collect(t, op); !slices.Equal(sorted(got), sorted(want)) {
		t.Errorf("over mutual TLS: %d rows, want %d", len(got), len(want))
	}

	refused := func(name string, cfg search.ClientConfig) {
		t.Helper()
		cfg.Mem, cfg.Attempts, cfg.BaseDelay = mem, 1, time.Millisecond
		c := search.NewClient(cfg)
		defer c.Close()
		op, err := c.Run(addr, fragment(d.sources(false)))
		if err == nil {
			err = op.Open(context.Background())
			op.Close()
		}
		if !errors.Is(err, search.ErrUnavailable) {
			t.Errorf("%s: %v, want ErrUnavailable", name, err)
		}
	}
	refused("plain text", search.ClientConfig{})
	refused("no client certificate", search.ClientConfig{TLS: certs.ClientConfig()})
	other := testcert.New(t)
	refused("certificate from another CA", search.ClientConfig{TLS: func() *tls.Config {
		c := certs.ClientConfig()
		c.Certificates = other.MutualClientConfig().Certificates
		return c
	}()})
}

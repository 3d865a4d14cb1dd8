package tests3

import (
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// Faults sets how often a FaultProxy breaks a request; the fractions add up
// to at most 1.
type Faults struct {
	// Unavailable answers 503 ServiceUnavailable without forwarding the request.
	Unavailable float64
	// DropAfter forwards the request, so the server acts on it, then
	// closes the connection without an answer: the client cannot know
	// whether it happened.
	DropAfter float64
	// DropBody forwards the request and cuts the connection halfway
	// through a response body of more than one byte.
	DropBody float64
	// Stall holds the request for StallFor before closing the
	// connection without an answer, to trip the client's timeouts.
	Stall    float64
	StallFor time.Duration
	// Seed shifts the (deterministic) fault sequence.
	Seed uint64
}

// FaultProxy is a reverse proxy that forwards requests to an S3 server and
// injects failures. The Host header is passed through unchanged, so
// SigV4 signatures made for the proxy's address stay valid.
type FaultProxy struct {
	// URL is the proxy's base URL.
	URL string
	// Counts of requests seen and faults injected.
	Requests, Unavailable, DropAfter, DropBody, Stalls atomic.Int64
	// Enabled switches random fault injection; it starts on.
	Enabled atomic.Bool
	// DropAfterIf, when set before traffic starts, is asked about every
	// request; true means forward it and drop the answer (counted in
	// DropAfter), whatever the random draw.
	DropAfterIf func(*http.Request) bool

	faults Faults
	target *url.URL
	start  float64
	draws  atomic.Int64
	tr     *http.Transport
}

// NewFaultProxy starts a proxy in front of target ("http://127.0.0.1:PORT").
func NewFaultProxy(tb testing.TB, target string, f Faults) *FaultProxy {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	p := &FaultProxy{faults: f, target: u, start: float64(f.Seed%1000) / 1000,
		tr: &http.Transport{MaxIdleConnsPerHost: 32}}
	p.Enabled.Store(true)
	ts := httptest.NewServer(p)
	tb.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
		p.tr.CloseIdleConnections()
	})
	p.URL = ts.URL
	return p
}

type faultKind int

const (
	faultNone faultKind = iota
	faultUnavailable
	faultDropAfter
	faultDropBody
	faultStall
)

func (p *FaultProxy) pick() faultKind {
	if !p.Enabled.Load() {
		return faultNone
	}
	// A Weyl sequence rather than random draws: every fault kind comes
	// round evenly (a 1% fault hits about once per 100 requests), so a
	// test can count on seeing each one.
	i := p.draws.Add(1)
	_, x := math.Modf(p.start + float64(i)*(math.Sqrt(5)-1)/2)
	f := p.faults
	for _, c := range []struct {
		frac float64
		kind faultKind
	}{{f.Unavailable, faultUnavailable}, {f.DropAfter, faultDropAfter}, {f.DropBody, faultDropBody}, {f.Stall, faultStall}} {
		if x < c.frac {
			return c.kind
		}
		x -= c.frac
	}
	return faultNone
}

func (p *FaultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.Requests.Add(1)
	fault := p.pick()
	if p.DropAfterIf != nil && p.DropAfterIf(r) {
		fault = faultDropAfter
	}
	switch fault {
	case faultUnavailable:
		p.Unavailable.Add(1)
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>ServiceUnavailable</Code><Message>injected fault</Message></Error>`)
		return
	case faultStall:
		p.Stalls.Add(1)
		select {
		case <-r.Context().Done():
		case <-time.After(p.faults.StallFor):
		}
		panic(http.ErrAbortHandler)
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = p.target.Scheme, p.target.Host
	out.Host = r.Host
	resp, err := p.tr.RoundTrip(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	defer resp.Body.Close()
	if fault == faultDropAfter {
		p.DropAfter.Add(1)
		_, _ = io.Copy(io.Discard, resp.Body)
		panic(http.ErrAbortHandler)
	}
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	if fault == faultDropBody && resp.ContentLength > 1 {
		p.DropBody.Add(1)
		_, _ = io.CopyN(w, resp.Body, resp.ContentLength/2)
		w.(http.Flusher).Flush()
		panic(http.ErrAbortHandler)
	}
	_, _ = io.Copy(w, resp.Body)
}

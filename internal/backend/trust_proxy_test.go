// SPDX-License-Identifier: MPL-2.0

package backend_test

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/secretstore/terraform-provider-secretstore/internal/backend"
	"github.com/secretstore/terraform-provider-secretstore/internal/backend/backendtest"
)

// faultProxy is an HTTP proxy on IPv4 loopback in front of a FakeS3. It
// forwards every request unchanged and counts them by kind. A fault armed
// with losePutResponse applies to the next PUT of a key it selects: the
// proxy forwards the request, so the server performs the write, then
// closes the client's connection instead of relaying the answer, as a
// network that loses a response does. The AWS SDK then retries the PUT.
type faultProxy struct {
	t      testing.TB
	bucket string // the bucket name, first segment of every path
	srv    *httptest.Server
	rp     *httputil.ReverseProxy

	mu     sync.Mutex
	rule   *putFault
	lost   []string       // keys of the PUTs faulted since expectFired
	counts map[string]int // requests by kind (see requestKind)
}

// putFault selects one PUT. before, when set, runs before that PUT is
// forwarded (a rival writer going first); lose drops its response.
type putFault struct {
	match  func(key string) bool
	before func(key string)
	lose   bool
}

// S3ViaProxy returns a Target on a new FakeS3 bucket whose store reaches
// the server through a new faultProxy; its raw handle goes to the server
// directly, so inspecting the bucket is neither counted nor faulted.
func s3ViaProxy(t testing.TB) (backendtest.Target, *faultProxy) {
	t.Helper()
	direct := backendtest.NewFakeS3(t).NewBucketURL(t)
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatalf("parsing %q: %v", direct, err)
	}
	q := u.Query()
	upstream, err := url.Parse(q.Get("endpoint"))
	if err != nil {
		t.Fatalf("parsing the fake S3 endpoint: %v", err)
	}
	p := &faultProxy{t: t, bucket: u.Host, counts: map[string]int{}}
	p.rp = &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(upstream)
		pr.Out.Host = pr.In.Host
	}}
	p.srv = httptest.NewServer(p)
	t.Cleanup(p.srv.Close)
	if pu, err := url.Parse(p.srv.URL); err != nil || !strings.HasPrefix(pu.Host, "127.0.0.1:") {
		t.Fatalf("proxy is not on IPv4 loopback: %q", p.srv.URL)
	}
	q.Set("endpoint", p.srv.URL)
	u.RawQuery = q.Encode()
	return backendtest.Target{Opts: backend.Options{BucketURL: u.String()}, Raw: backendtest.OpenRaw(t, direct)}, p
}

// losePutResponse arms a fault for the next PUT whose key match selects:
// its write happens, its response is lost.
func (p *faultProxy) losePutResponse(match func(key string) bool) {
	p.arm(&putFault{match: match, lose: true})
}

// rivalWritesFirst arms a fault for the next PUT whose key match selects:
// rival runs first (and writes that key), then the PUT is forwarded and
// answered as usual.
func (p *faultProxy) rivalWritesFirst(match func(key string) bool, rival func(key string)) {
	p.arm(&putFault{match: match, before: rival})
}

func (p *faultProxy) arm(f *putFault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rule != nil {
		p.t.Fatalf("a fault is already armed")
	}
	p.rule = f
}

// expectFired fails unless the armed fault has fired, once: a test whose
// fault never fired proves nothing.
func (p *faultProxy) expectFired(t testing.TB, what string) {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.rule != nil {
		t.Fatalf("%s: the armed fault never fired", what)
	}
	if len(p.lost) != 1 {
		t.Fatalf("%s: %d faulted PUTs (%v), want 1", what, len(p.lost), p.lost)
	}
	p.lost = nil
}

// resetCounts clears the request counts.
func (p *faultProxy) resetCounts() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.counts = map[string]int{}
}

// requestCounts returns the request counts by kind since the last reset.
func (p *faultProxy) requestCounts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(map[string]int, len(p.counts))
	for k, v := range p.counts {
		out[k] = v
	}
	return out
}

// requestKind is "LIST" for a listing, else the HTTP method.
func requestKind(r *http.Request) string {
	if r.Method == http.MethodGet && r.URL.Query().Has("list-type") {
		return "LIST"
	}
	return r.Method
}

// objectKey is the key a path-style request names, "" for the bucket.
func (p *faultProxy) objectKey(r *http.Request) string {
	key, _ := strings.CutPrefix(r.URL.Path, "/"+p.bucket)
	return strings.TrimPrefix(key, "/")
}

func (p *faultProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := p.objectKey(r)
	p.mu.Lock()
	p.counts[requestKind(r)]++
	var fault *putFault
	if p.rule != nil && r.Method == http.MethodPut && key != "" && p.rule.match(key) {
		fault, p.rule = p.rule, nil
		p.lost = append(p.lost, key)
	}
	p.mu.Unlock()
	if fault == nil {
		p.rp.ServeHTTP(w, r)
		return
	}
	if fault.before != nil {
		fault.before(key)
	}
	if !fault.lose {
		p.rp.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	p.rp.ServeHTTP(rec, r)
	if rec.Code != http.StatusOK {
		p.t.Errorf("fault proxy: PUT %s answered %d before its response was dropped, want 200", key, rec.Code)
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		p.t.Errorf("fault proxy: connection cannot be hijacked")
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		p.t.Errorf("fault proxy: hijacking: %v", err)
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // reset, as a dropped connection looks
	}
	_ = conn.Close()
}

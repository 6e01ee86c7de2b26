package mirror

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path"
	"strings"
	"sync"
	"testing"
	"time"

	"ferry/backend/mapping"
	"ferry/backend/registrytest"
	"ferry/backend/sources"
)

// blobCounter sits in front of a registry and counts, per digest, the blobs
// uploaded through it (the PUT that completes an upload) and mounted (a
// POST with mount= answered 201 Created). With refuseMounts it strips the
// mount from every POST, as a registry that does not mount behaves.
type blobCounter struct {
	host         string
	refuseMounts bool

	mu      sync.Mutex
	uploads map[string]int
	mounts  map[string]int
	heads   map[string]int // HEAD requests for blobs, by digest
	refused int            // mounts asked for and refused
}

func countBlobs(t *testing.T, registry string, refuseMounts bool) *blobCounter {
	t.Helper()
	c := &blobCounter{refuseMounts: refuseMounts}
	c.reset()
	inner := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: registry})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mount := r.Method == http.MethodPost && q.Get("mount") != ""
		if mount && c.refuseMounts {
			q.Del("mount")
			q.Del("from")
			r.URL.RawQuery = q.Encode()
			mount = false
			c.mu.Lock()
			c.refused++
			c.mu.Unlock()
		}
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		inner.ServeHTTP(sw, r)
		c.mu.Lock()
		defer c.mu.Unlock()
		switch {
		case mount && sw.status == http.StatusCreated:
			c.mounts[q.Get("mount")]++
		case r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/") && sw.status == http.StatusCreated:
			c.uploads[q.Get("digest")]++
		case r.Method == http.MethodHead && strings.Contains(r.URL.Path, "/blobs/"):
			c.heads[path.Base(r.URL.Path)]++
		}
	}))
	t.Cleanup(srv.Close)
	c.host = strings.TrimPrefix(srv.URL, "http://")
	return c
}

func (c *blobCounter) reset() {
	c.mu.Lock()
	c.uploads, c.mounts, c.heads, c.refused = map[string]int{}, map[string]int{}, map[string]int{}, 0
	c.mu.Unlock()
}

// counts returns copies of the upload and mount counts.
func (c *blobCounter) counts() (uploads, mounts map[string]int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.uploads), maps.Clone(c.mounts)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

// sharedBaseImages pushes n images to host/app/imgN:1 that share one base
// layer (each with a layer and config of its own) and returns their sources
// and the base layer's digest.
func sharedBaseImages(t *testing.T, host string, n int) ([]sources.Source, string) {
	t.Helper()
	base := registrytest.Layer(t, 1, 4096)
	var srcs []sources.Source
	for i := range n {
		ref := fmt.Sprintf("%s/app/img%d:1", host, i)
		registrytest.PushImage(t, ref, base, registrytest.Layer(t, int64(100+i), 1024))
		srcs = append(srcs, sources.Source{Line: i + 1, Ref: ref})
	}
	d, err := base.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return srcs, d.String()
}

// Scatter to another registry, one repository per image: the shared base
// layer crosses once and is mounted into the other repositories; no blob is
// uploaded twice; a second scatter sends nothing.
func TestScatterSendsEachBlobOnceAndMountsTheRest(t *testing.T) {
	src, dst := registrytest.Start(t), registrytest.Start(t)
	to := countBlobs(t, dst.Host(), false)
	const n = 5
	srcs, base := sharedBaseImages(t, src.Host(), n)
	index := src.Host() + "/transfer/gather:sync-1"
	ctx := context.Background()
	if _, err := Gather(ctx, testEnv(), GatherOptions{Sources: srcs, Dest: index}); err != nil {
		t.Fatal(err)
	}
	mapper := mustMapper(t, mapping.KindLongestPrefix, src.Host()+"/app/,"+to.host+"/prod/\n")
	res, err := Scatter(ctx, testEnv(), ScatterOptions{Source: index, Mapper: mapper})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		ref := fmt.Sprintf("%s/prod/img%d:1", dst.Host(), i)
		if w := registrytest.Walk(t, ref, false); !w.Complete() {
			t.Errorf("%s is not complete: %v", ref, w.Problems)
		}
	}
	uploads, mounts := to.counts()
	for d, k := range uploads {
		if k != 1 {
			t.Errorf("blob %s uploaded %d times, want once", d, k)
		}
	}
	c := to
	c.mu.Lock()
	for d := range uploads {
		// A blob sent to a registry the source is not in is asked for once,
		// by the upload itself.
		if mounts[d] == 0 && c.heads[d] != 1 {
			t.Errorf("blob %s asked for %d times before its one upload, want once", d, c.heads[d])
		}
	}
	c.mu.Unlock()
	if uploads[base] != 1 || mounts[base] != n-1 {
		t.Errorf("base layer: %d uploads, %d mounts; want 1 upload and %d mounts", uploads[base], mounts[base], n-1)
	}
	if want := int64(n-1) * 4096; res.Stats.BytesMounted < want {
		t.Errorf("stats = %+v, want at least %d bytes mounted", res.Stats, want)
	}

	to.reset()
	res, err = Scatter(ctx, testEnv(), ScatterOptions{Source: index, Mapper: mapper})
	if err != nil {
		t.Fatal(err)
	}
	if uploads, mounts := to.counts(); len(uploads)+len(mounts) != 0 || res.Stats.BytesSent+res.Stats.BytesMounted != 0 {
		t.Errorf("second scatter moved blobs the destination has: uploads %v, mounts %v, stats %+v", uploads, mounts, res.Stats)
	}
	if res.Stats.BytesSkipped == 0 {
		t.Errorf("second scatter: stats = %+v, want the blobs counted as skipped", res.Stats)
	}
}

// A registry that refuses mounts gets the blob uploaded into each
// repository instead, and every image whole.
func TestScatterUploadsWhereMountsAreRefused(t *testing.T) {
	src, dst := registrytest.Start(t), registrytest.Start(t)
	to := countBlobs(t, dst.Host(), true)
	const n = 3
	srcs, base := sharedBaseImages(t, src.Host(), n)
	index := src.Host() + "/transfer/gather:sync-1"
	ctx := context.Background()
	if _, err := Gather(ctx, testEnv(), GatherOptions{Sources: srcs, Dest: index}); err != nil {
		t.Fatal(err)
	}
	res, err := Scatter(ctx, testEnv(), ScatterOptions{Source: index,
		Mapper: mustMapper(t, mapping.KindLongestPrefix, src.Host()+"/app/,"+to.host+"/prod/\n")})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		ref := fmt.Sprintf("%s/prod/img%d:1", dst.Host(), i)
		if w := registrytest.Walk(t, ref, false); !w.Complete() {
			t.Errorf("%s is not complete: %v", ref, w.Problems)
		}
	}
	if uploads, _ := to.counts(); uploads[base] != n {
		t.Errorf("base layer uploaded %d times, want %d (once per repository)", uploads[base], n)
	}
	if res.Stats.BytesMounted != 0 {
		t.Errorf("stats = %+v, want nothing counted as mounted", res.Stats)
	}
}

// Gather into one repository sends a blob two sources share once; within
// one registry it mounts every blob and uploads none.
func TestGatherSendsSharedBlobsOnceAndMountsWithinARegistry(t *testing.T) {
	src, dst := registrytest.Start(t), registrytest.Start(t)
	to := countBlobs(t, dst.Host(), false)
	srcs, base := sharedBaseImages(t, src.Host(), 4)
	ctx := context.Background()
	if _, err := Gather(ctx, testEnv(), GatherOptions{Sources: srcs, Dest: to.host + "/transfer/gather:sync-1"}); err != nil {
		t.Fatal(err)
	}
	uploads, _ := to.counts()
	for d, k := range uploads {
		if k != 1 {
			t.Errorf("blob %s uploaded %d times, want once", d, k)
		}
	}
	if uploads[base] != 1 {
		t.Errorf("base layer uploaded %d times, want once", uploads[base])
	}

	// Sources and destination in one registry: nothing crosses.
	srcs, _ = sharedBaseImages(t, to.host, 4)
	to.reset()
	res, err := Gather(ctx, testEnv(), GatherOptions{Sources: srcs, Dest: to.host + "/transfer/local:sync-1"})
	if err != nil {
		t.Fatal(err)
	}
	if w := registrytest.Walk(t, dst.Host()+"/transfer/local:sync-1", false); !w.Complete() {
		t.Errorf("gathered index is not complete: %v", w.Problems)
	}
	uploads, mounts := to.counts()
	if len(uploads) != 0 || res.Stats.BytesSent != 0 {
		t.Errorf("gather within a registry uploaded %v (stats %+v), want mounts only", uploads, res.Stats)
	}
	if len(mounts) == 0 {
		t.Error("gather within a registry mounted nothing")
	}
}

// Copies running at once through one Copier wait for the first copy of a
// blob they share instead of sending it again.
func TestConcurrentCopiesShareTheFirstUpload(t *testing.T) {
	src, dst := registrytest.Start(t), registrytest.Start(t)
	to := countBlobs(t, dst.Host(), false)
	srcs, base := sharedBaseImages(t, src.Host(), 6)
	ctx := context.Background()
	env := testEnv()
	c := &Copier{Concurrency: 4}
	var wg sync.WaitGroup
	errs := make([]error, len(srcs))
	for i, s := range srcs {
		from := mustRef(t, s.Ref)
		repo, dest := env.repoOf(from), env.Open(mustRef(t, fmt.Sprintf("%s/copy/img%d:1", to.host, i)).Context())
		wg.Add(1)
		go func() {
			defer wg.Done()
			desc, raw, err := repo.Resolve(ctx, from.Identifier())
			if err == nil {
				g := NewGraph()
				if err = g.Add(ctx, repo, desc, raw, WalkOptions{}); err == nil {
					_, err = c.Copy(ctx, g, repo, dest)
				}
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	uploads, mounts := to.counts()
	if uploads[base] != 1 || mounts[base] != len(srcs)-1 {
		t.Errorf("base layer: %d uploads, %d mounts; want 1 and %d", uploads[base], mounts[base], len(srcs)-1)
	}
}

// writeWatch sits in front of a registry and notes two writes of one
// digest's content under way at once: a blob upload's closing PUT and a
// manifest PUT (whose bytes the registry stores as a blob too). A write of
// a digest in held waits, up to a second, for another write of it, so
// that writes a copy lets overlap do overlap here.
type writeWatch struct {
	held map[string]bool

	mu       sync.Mutex
	inflight map[string]chan struct{}
	overlaps []string
}

func (w *writeWatch) serve(t *testing.T, host string) string {
	proxy := httputil.NewSingleHostReverseProxy(&url.URL{Scheme: "http", Host: host})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		d := ""
		switch {
		case r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/blobs/uploads/"):
			d = r.URL.Query().Get("digest")
		case r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/"):
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(rw, err.Error(), http.StatusBadRequest)
				return
			}
			sum := sha256.Sum256(body)
			d = "sha256:" + hex.EncodeToString(sum[:])
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		if d != "" {
			w.mu.Lock()
			other, busy := w.inflight[d]
			if busy {
				w.overlaps = append(w.overlaps, d)
				close(other)
				delete(w.inflight, d)
			}
			mine := make(chan struct{})
			if !busy && w.held[d] {
				w.inflight[d] = mine
			}
			w.mu.Unlock()
			if !busy && w.held[d] {
				select {
				case <-mine:
				case <-time.After(time.Second):
				}
				w.mu.Lock()
				if w.inflight[d] == mine {
					delete(w.inflight, d)
				}
				w.mu.Unlock()
			}
		}
		proxy.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// A gather never writes one digest's content twice at once into a
// registry: the manifests that another image carries as layers are put
// after, or before, their upload as a blob, not beside it (Distribution 2.8
// then loses the blob's link and refuses the manifests that need it).
func TestGatherWritesADigestOnceAtATime(t *testing.T) {
	src, dst := registrytest.Start(t), registrytest.Start(t)
	g := registrytest.PushGraph(t, src.Host())
	outer := registrytest.Walk(t, src.Host()+"/"+registrytest.GraphOuter, false)
	watch := &writeWatch{held: map[string]bool{}, inflight: map[string]chan struct{}{}}
	for d := range outer.Blobs {
		if outer.Manifests[d] || d == g.Digests[registrytest.GraphInner] {
			watch.held[d.String()] = true
		}
	}
	if !watch.held[g.Digests[registrytest.GraphInner].String()] {
		t.Fatalf("the graph's outer image does not carry %s's manifest as a layer", registrytest.GraphInner)
	}
	to := watch.serve(t, dst.Host())
	var srcs []sources.Source
	for i, p := range registrytest.GraphSources {
		srcs = append(srcs, sources.Source{Line: i + 1, Ref: src.Host() + "/" + p})
	}
	if _, err := Gather(context.Background(), testEnv(), GatherOptions{Sources: srcs, Dest: to + "/transfer/all:sync-1"}); err != nil {
		t.Fatal(err)
	}
	if len(watch.overlaps) > 0 {
		t.Errorf("content written twice at once: %v", watch.overlaps)
	}
}

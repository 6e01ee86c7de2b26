package mirror

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"ferry/backend/mapping"
	"ferry/backend/progress"
	"ferry/backend/registrytest"
	"ferry/backend/sources"
)

// scatterFixture is a registry holding three images (one plain image with
// a referrer, another plain image, a two-platform index) and a gather index
// of them.
type scatterFixture struct {
	host            string
	index           string // the gather index, repo:tag
	one, two, multi string // source references
	digest          map[string]string
	sources         []sources.Source
	referrer        string // digest of the artifact whose subject is one
}

func newScatterFixture(t *testing.T, host string, o GatherOptions) *scatterFixture {
	t.Helper()
	f := &scatterFixture{
		host:   host,
		index:  host + "/transfer/gather:sync-1",
		one:    host + "/app/one:1",
		two:    host + "/app/two:2",
		multi:  host + "/app/multi:3",
		digest: map[string]string{},
	}
	for _, ref := range []string{f.one, f.two} {
		d, _ := registrytest.PushImage(t, ref).Digest()
		f.digest[ref] = d.String()
	}
	d, _ := registrytest.PushIndex(t, f.multi).Digest()
	f.digest[f.multi] = d.String()
	f.referrer = registrytest.PushReferrer(t, f.one, "application/vnd.ferry.test.signature").Digest.String()

	f.sources = []sources.Source{
		{Line: 1, Ref: f.one, Labels: map[string]string{"component": "core", "tier": "web"}},
		{Line: 2, Ref: f.two, Labels: map[string]string{"component": "db"}},
		{Line: 3, Ref: f.multi},
	}
	o.Sources, o.Dest = f.sources, f.index
	if _, err := Gather(context.Background(), testEnv(), o); err != nil {
		t.Fatalf("gather: %v", err)
	}
	return f
}

// recorder collects the items an operation reports.
type recorder struct {
	mu    sync.Mutex
	items []Item
}

func (r *recorder) env() Env {
	e := testEnv()
	e.Item = func(it Item) {
		r.mu.Lock()
		r.items = append(r.items, it)
		r.mu.Unlock()
	}
	return e
}

func (r *recorder) with(status string) []Item {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Item
	for _, it := range r.items {
		if it.Status == status {
			out = append(out, it)
		}
	}
	return out
}

func mustMapper(t *testing.T, kind, text string) mapping.Mapper {
	t.Helper()
	m, err := mapping.New(kind, text)
	if err != nil {
		t.Fatalf("mapper %s: %v", kind, err)
	}
	return m
}

func tagsAt(t *testing.T, repo string) []string {
	t.Helper()
	r, err := name.NewRepository(repo)
	if err != nil {
		t.Fatal(err)
	}
	tags, _ := remote.List(r)
	return tags
}

// nested is the form nest gives a loopback source: host:port -> host_port.
func nested(ref string) string { return strings.Replace(ref, ":", "_", 1) }

func TestScatterNestDeliversEveryEntryWithItsGraph(t *testing.T) {
	host := registrytest.InProcess(t)
	f := newScatterFixture(t, host, GatherOptions{})
	rec := &recorder{}
	res, err := Scatter(context.Background(), rec.env(), ScatterOptions{Source: f.index, Mapper: mustMapper(t, mapping.KindNest, host+"/mirror")})
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{f.one, f.two, f.multi} {
		dest := host + "/mirror/" + nested(src)
		if got := registrytest.HeadDigest(t, dest); got != f.digest[src] {
			t.Errorf("%s: digest %q, want %q", dest, got, f.digest[src])
		}
	}
	// The index's children arrived too.
	idx, err := remote.Index(mustRef(t, host+"/mirror/"+nested(f.multi)))
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	for _, m := range im.Manifests {
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := img.RawConfigFile(); err != nil {
			t.Errorf("child %s not delivered: %v", m.Digest, err)
		}
	}
	if res.Images != 3 || res.Destinations != 3 || res.Entries != 3 || len(res.Failures) != 0 {
		t.Errorf("result = %+v", res)
	}
	// The in-process registry shares blobs between repositories, so they
	// may count as skipped; every blob is accounted for either way.
	if res.Stats.BytesSent+res.Stats.BytesMounted+res.Stats.BytesSkipped == 0 || res.Stats.Blobs == 0 {
		t.Errorf("no bytes counted: %+v", res.Stats)
	}
	if done := rec.with(ItemDone); len(done) != 3 {
		t.Errorf("done items = %+v", done)
	}
	// Scattering again moves nothing new.
	res2, err := Scatter(context.Background(), testEnv(), ScatterOptions{Source: f.index, Mapper: mustMapper(t, mapping.KindNest, host+"/mirror")})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Stats.BytesSent != 0 || res2.Stats.BytesMounted != 0 || res2.Stats.BytesSkipped == 0 {
		t.Errorf("second scatter stats = %+v, want everything skipped", res2.Stats)
	}
}

func TestScatterFirstPrefixAndMultiLineTemplate(t *testing.T) {
	host := registrytest.InProcess(t)
	f := newScatterFixture(t, host, GatherOptions{})
	ctx := context.Background()

	csv := "# comment\n" + host + "/app/one," + host + "/prod/uno\n" + host + "/app/," + host + "/prod/\n"
	if _, err := Scatter(ctx, testEnv(), ScatterOptions{Source: f.index, Mapper: mustMapper(t, mapping.KindFirstPrefix, csv)}); err != nil {
		t.Fatal(err)
	}
	for dest, src := range map[string]string{host + "/prod/uno:1": f.one, host + "/prod/two:2": f.two, host + "/prod/multi:3": f.multi} {
		if got := registrytest.HeadDigest(t, dest); got != f.digest[src] {
			t.Errorf("first-prefix %s = %q, want %q", dest, got, f.digest[src])
		}
	}
	if got := registrytest.HeadDigest(t, host+"/prod/one:1"); got != "" {
		t.Errorf("first-prefix also used the second row for app/one: %s", got)
	}

	tmpl := `{{- $s := index .Annotations "vnd.act3-ace.manifest.source" -}}
` + host + `/site-a/{{ Package $s }}
` + host + `/site-b/{{ Repository $s }}:{{ Tag $s }}-copy

` + host + `/site-b/{{ Repository $s }}
`
	res, err := Scatter(ctx, testEnv(), ScatterOptions{Source: f.index, Mapper: mustMapper(t, mapping.KindTemplate, tmpl)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Destinations != 9 {
		t.Errorf("destinations = %d, want 9", res.Destinations)
	}
	for _, src := range []string{f.one, f.two, f.multi} {
		pkg := strings.TrimPrefix(src, host+"/")
		repo, tag, _ := strings.Cut(pkg, ":")
		for _, dest := range []string{host + "/site-a/" + pkg, host + "/site-b/" + repo + ":" + tag + "-copy", host + "/site-b/" + repo + ":latest"} {
			if got := registrytest.HeadDigest(t, dest); got != f.digest[src] {
				t.Errorf("template %s = %q, want %q", dest, got, f.digest[src])
			}
		}
	}
}

func TestScatterCheckListsEveryDestinationAndPushesNothing(t *testing.T) {
	host := registrytest.InProcess(t)
	f := newScatterFixture(t, host, GatherOptions{})
	tmpl := `{{ $s := index .Annotations "vnd.act3-ace.manifest.source" }}` + host + `/a/{{ Package $s }}
` + host + `/b/{{ Package $s }}`
	rec := &recorder{}
	res, err := Scatter(context.Background(), rec.env(), ScatterOptions{Source: f.index, Check: true, Mapper: mustMapper(t, mapping.KindTemplate, tmpl)})
	if err != nil {
		t.Fatal(err)
	}
	planned := rec.with(ItemPlanned)
	if len(planned) != 6 || res.Destinations != 6 {
		t.Fatalf("planned %d items, result %d destinations; want 6", len(planned), res.Destinations)
	}
	var dests []string
	for _, row := range res.Plan.Rows {
		dests = append(dests, row.Destinations...)
	}
	for _, src := range []string{f.one, f.two, f.multi} {
		pkg := strings.TrimPrefix(src, host+"/")
		for _, d := range []string{host + "/a/" + pkg, host + "/b/" + pkg} {
			if !slices.Contains(dests, d) {
				t.Errorf("plan lacks %s: %v", d, dests)
			}
			if got := registrytest.HeadDigest(t, d); got != "" {
				t.Errorf("--check pushed %s", d)
			}
		}
	}
	if res.Stats != (CopyStats{}) {
		t.Errorf("--check moved content: %+v", res.Stats)
	}
}

func TestScatterSubsetAndSelectors(t *testing.T) {
	host := registrytest.InProcess(t)
	f := newScatterFixture(t, host, GatherOptions{})
	ctx := context.Background()
	scatter := func(prefix string, o ScatterOptions) (ScatterResult, error) {
		o.Source, o.Mapper = f.index, mustMapper(t, mapping.KindNest, host+"/"+prefix)
		return Scatter(ctx, testEnv(), o)
	}
	delivered := func(prefix string) (out []string) {
		for _, src := range []string{f.one, f.two, f.multi} {
			if registrytest.HeadDigest(t, host+"/"+prefix+"/"+nested(src)) != "" {
				out = append(out, src)
			}
		}
		return out
	}

	res, err := scatter("subset", ScatterOptions{Subset: []string{f.two, host + "/app/absent:9"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := delivered("subset"); !slices.Equal(got, []string{f.two}) {
		t.Errorf("subset delivered %v", got)
	}
	if !slices.Equal(res.SubsetMissing, []string{host + "/app/absent:9"}) {
		t.Errorf("subset missing = %v", res.SubsetMissing)
	}

	if _, err := scatter("and", ScatterOptions{Selectors: []string{"component=core,tier=web"}}); err != nil {
		t.Fatal(err)
	}
	if got := delivered("and"); !slices.Equal(got, []string{f.one}) {
		t.Errorf("selector component=core,tier=web delivered %v", got)
	}
	if _, err := scatter("or", ScatterOptions{Selectors: []string{"component=db", "tier=web"}}); err != nil {
		t.Fatal(err)
	}
	if got := delivered("or"); !slices.Equal(got, []string{f.one, f.two}) {
		t.Errorf("selectors component=db OR tier=web delivered %v", got)
	}
	if _, err := scatter("none", ScatterOptions{Selectors: []string{"component=core,tier=db"}}); err == nil || !strings.Contains(err.Error(), "selected") {
		t.Errorf("a selector matching nothing: err = %v", err)
	}
	if _, err := scatter("bad", ScatterOptions{Selectors: []string{"component in (a"}}); err == nil || !strings.Contains(err.Error(), "invalid selector") {
		t.Errorf("bad selector: err = %v", err)
	}
}

// denyingRegistry is an in-process registry that refuses every write to a
// repository path containing "/denied/".
func denyingRegistry(t *testing.T) string {
	t.Helper()
	h := registrytest.Handler()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead && strings.Contains(r.URL.Path, "/denied/") {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			w.Write([]byte(`{"errors":[{"code":"DENIED","message":"pushes to this repository are denied"}]}`))
			return
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(s.Close)
	return strings.TrimPrefix(s.URL, "http://")
}

func TestScatterContinueDeliversTheRestAndReportsEveryFailure(t *testing.T) {
	host := denyingRegistry(t)
	f := newScatterFixture(t, host, GatherOptions{})
	ctx := context.Background()
	// app/multi sorts first and goes to a denied repository; the rest are fine.
	tmpl := func(prefix string) mapping.Mapper {
		return mustMapper(t, mapping.KindTemplate, `{{ $s := index .Annotations "vnd.act3-ace.manifest.source" }}`+
			`{{ if contains "multi" $s }}`+host+`/denied/{{ Package $s }}{{ else }}`+host+`/`+prefix+`/{{ Package $s }}{{ end }}`)
	}

	// One destination at a time, in entry order, so that nothing else is
	// under way when the first fails (with more, those already under way
	// finish; none starts after the failure).
	rec := &recorder{}
	env := rec.env()
	env.Concurrency = 1
	_, err := Scatter(ctx, env, ScatterOptions{Source: f.index, Mapper: tmpl("stop")})
	var de *DeliveryError
	if !errors.As(err, &de) || !de.Stopped || len(de.Failures) != 1 || de.Failures[0].Source != f.multi {
		t.Fatalf("without --continue: err = %v", err)
	}
	if !strings.Contains(err.Error(), "denied") || !strings.Contains(err.Error(), "--continue") {
		t.Errorf("error does not explain: %v", err)
	}
	if got := registrytest.HeadDigest(t, host+"/stop/app/one:1"); got != "" {
		t.Errorf("without --continue the scatter went on after the failure")
	}
	if failed := rec.with(ItemFailed); len(failed) != 1 || failed[0].Destination != host+"/denied/app/multi:3" {
		t.Errorf("failed items = %+v", failed)
	}

	rec = &recorder{}
	res, err := Scatter(ctx, rec.env(), ScatterOptions{Source: f.index, Mapper: tmpl("go"), Continue: true})
	if !errors.As(err, &de) || de.Stopped || len(de.Failures) != 1 {
		t.Fatalf("with --continue: err = %v", err)
	}
	for _, src := range []string{f.one, f.two} {
		if got := registrytest.HeadDigest(t, host+"/go/"+strings.TrimPrefix(src, host+"/")); got != f.digest[src] {
			t.Errorf("with --continue %s was not delivered", src)
		}
	}
	if res.Images != 2 || res.Destinations != 2 || len(res.Failures) != 1 || res.Failures[0].Destination != host+"/denied/app/multi:3" {
		t.Errorf("result = %+v", res)
	}
	if len(rec.with(ItemDone)) != 2 || len(rec.with(ItemFailed)) != 1 {
		t.Errorf("items = %+v", rec.items)
	}
}

func TestScatterPlanErrorsPushNothingWithoutContinue(t *testing.T) {
	host := registrytest.InProcess(t)
	f := newScatterFixture(t, host, GatherOptions{})
	ctx := context.Background()
	// app/two maps to something that is not a reference.
	tmpl := mustMapper(t, mapping.KindTemplate, `{{ $s := index .Annotations "vnd.act3-ace.manifest.source" }}`+
		`{{ if contains "two" $s }}`+host+`/Bad Name{{ else }}`+host+`/plan/{{ Package $s }}{{ end }}`)
	_, err := Scatter(ctx, testEnv(), ScatterOptions{Source: f.index, Mapper: tmpl})
	var de *DeliveryError
	if !errors.As(err, &de) || !de.Planning || len(de.Failures) != 1 || de.Failures[0].Source != f.two {
		t.Fatalf("err = %v", err)
	}
	if registrytest.HeadDigest(t, host+"/plan/app/one:1") != "" || registrytest.HeadDigest(t, host+"/plan/app/multi:3") != "" {
		t.Error("a mapping error did not stop the scatter before it pushed")
	}
	if _, err := Scatter(ctx, testEnv(), ScatterOptions{Source: f.index, Mapper: tmpl, Continue: true}); !errors.As(err, &de) {
		t.Fatalf("with --continue: err = %v", err)
	}
	if registrytest.HeadDigest(t, host+"/plan/app/one:1") != f.digest[f.one] {
		t.Error("with --continue the valid destinations were not delivered")
	}
}

func TestScatterDigestDestinations(t *testing.T) {
	host := registrytest.InProcess(t)
	f := newScatterFixture(t, host, GatherOptions{})
	wrong := "sha256:" + strings.Repeat("0", 64)
	// one: pinned to its own digest (accepted); two: pinned to a wrong
	// digest (rejected); multi: pushed by digest only.
	tmpl := mustMapper(t, mapping.KindTemplate, `{{ $s := index .Annotations "vnd.act3-ace.manifest.source" }}`+
		`{{ if contains "one" $s }}`+host+`/pin/one:v1@{{ .Digest }}`+
		`{{ else if contains "two" $s }}`+host+`/pin/two:v1@`+wrong+
		`{{ else }}`+host+`/bydigest/multi@{{ .Digest }}{{ end }}`)
	rec := &recorder{}
	res, err := Scatter(context.Background(), rec.env(), ScatterOptions{Source: f.index, Mapper: tmpl, Continue: true})
	var de *DeliveryError
	if !errors.As(err, &de) || len(de.Failures) != 1 || de.Failures[0].Source != f.two || !strings.Contains(de.Failures[0].Error, "pins "+wrong) {
		t.Fatalf("err = %v", err)
	}
	if got := registrytest.HeadDigest(t, host+"/pin/one:v1"); got != f.digest[f.one] {
		t.Errorf("pinned tag = %q, want %q", got, f.digest[f.one])
	}
	if got := registrytest.HeadDigest(t, host+"/pin/two:v1"); got != "" {
		t.Errorf("a mismatching pin was pushed: %s", got)
	}
	if got := registrytest.HeadDigest(t, host+"/bydigest/multi@"+f.digest[f.multi]); got != f.digest[f.multi] {
		t.Errorf("digest-only destination not delivered")
	}
	if tags := tagsAt(t, host+"/bydigest/multi"); len(tags) != 0 {
		t.Errorf("digest-only destination got tags %v", tags)
	}
	if res.Destinations != 2 {
		t.Errorf("destinations = %d, want 2", res.Destinations)
	}
}

func TestScatterReferrersOnlyWithRecursive(t *testing.T) {
	host := registrytest.InProcess(t)
	f := newScatterFixture(t, host, GatherOptions{Referrers: true})
	ctx := context.Background()
	referrers := func(ref string) int {
		d, err := name.NewDigest(ref)
		if err != nil {
			t.Fatal(err)
		}
		idx, err := remote.Referrers(d)
		if err != nil {
			t.Fatal(err)
		}
		im, _ := idx.IndexManifest()
		return len(im.Manifests)
	}
	if n := referrers(host + "/transfer/gather@" + f.digest[f.one]); n != 1 {
		t.Fatalf("gather -r left %d referrers in the gather repository", n)
	}
	for _, c := range []struct {
		prefix string
		r      bool
		want   int
	}{{"plain", false, 0}, {"recursive", true, 1}} {
		if _, err := Scatter(ctx, testEnv(), ScatterOptions{Source: f.index, Referrers: c.r, Mapper: mustMapper(t, mapping.KindNest, host+"/"+c.prefix)}); err != nil {
			t.Fatal(err)
		}
		repo := host + "/" + c.prefix + "/" + nested(strings.TrimSuffix(f.one, ":1"))
		if n := referrers(repo + "@" + f.digest[f.one]); n != c.want {
			t.Errorf("-r=%v: %d referrers at the destination, want %d", c.r, n, c.want)
		}
	}
}

func TestScatterReportsEntriesWithoutDestination(t *testing.T) {
	host := registrytest.InProcess(t)
	f := newScatterFixture(t, host, GatherOptions{})
	rec := &recorder{}
	res, err := Scatter(context.Background(), rec.env(), ScatterOptions{Source: f.index, Mapper: mustMapper(t, mapping.KindFirstPrefix, host+"/app/one,"+host+"/only/one\n")})
	if err != nil {
		t.Fatalf("an entry without destination must not fail the scatter: %v", err)
	}
	if res.Unmatched != 2 || res.Images != 1 {
		t.Errorf("result = %+v", res)
	}
	skipped := rec.with(ItemSkipped)
	var srcs []string
	for _, it := range skipped {
		srcs = append(srcs, it.Source)
	}
	slices.Sort(srcs)
	if !slices.Equal(srcs, []string{f.multi, f.two}) {
		t.Errorf("skipped items = %+v", skipped)
	}
	if registrytest.HeadDigest(t, host+"/only/one:1") != f.digest[f.one] {
		t.Error("the matching entry was not delivered")
	}
}

func TestScatterIndexFallbackEntries(t *testing.T) {
	host := registrytest.InProcess(t)
	f := newScatterFixture(t, host, GatherOptions{IndexFallback: true})
	// The index entry lives only in the extra-manifests annotation.
	_, raw, err := testEnv().Open(mustRef(t, f.index).Context()).Resolve(context.Background(), "sync-1")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), AnnotationExtraManifests) {
		t.Fatal("fixture: gather did not use index fallback")
	}
	res, err := Scatter(context.Background(), testEnv(), ScatterOptions{Source: f.index, Mapper: mustMapper(t, mapping.KindNest, host+"/fb")})
	if err != nil {
		t.Fatal(err)
	}
	if got := registrytest.HeadDigest(t, host+"/fb/"+nested(f.multi)); got != f.digest[f.multi] {
		t.Errorf("index-fallback entry: %q, want %q", got, f.digest[f.multi])
	}
	if res.Images != 3 {
		t.Errorf("images = %d, want 3", res.Images)
	}
}

func TestScatterFromLocalLayout(t *testing.T) {
	host := registrytest.InProcess(t)
	dir := filepath.Join(t.TempDir(), "store")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	layout, err := OpenLayout(dir)
	if err != nil {
		t.Fatal(err)
	}
	src := host + "/app/one:1"
	d, _ := registrytest.PushImage(t, src).Digest()
	// Gather into the local store, as archive does, then scatter from it.
	env := testEnv()
	remoteOpen := env.Open
	env.Open = func(r name.Repository) Repo {
		if r.RepositoryStr() == "store" {
			return layout
		}
		return remoteOpen(r)
	}
	if _, err := Gather(context.Background(), env, GatherOptions{Sources: []sources.Source{{Line: 1, Ref: src}}, Dest: host + "/store:sync-1"}); err != nil {
		t.Fatal(err)
	}
	res, err := ScatterFrom(context.Background(), testEnv(), layout, "sync-1", ScatterOptions{Mapper: mustMapper(t, mapping.KindNest, host+"/high")})
	if err != nil {
		t.Fatal(err)
	}
	if got := registrytest.HeadDigest(t, host+"/high/"+nested(src)); got != d.String() || res.Images != 1 {
		t.Errorf("from layout: %q (want %s), result %+v", got, d, res)
	}
}

func TestScatterRejectsWhatIsNotAGatherIndex(t *testing.T) {
	host := registrytest.InProcess(t)
	registrytest.PushImage(t, host+"/app/one:1")
	m := mustMapper(t, mapping.KindNest, host+"/x")
	for _, c := range []struct{ src, want string }{
		{host + "/app/one:1", "not an image index"},
		{host + "/app/one", "tag or digest"},
		{host + "/app/missing:1", "gather index"},
		{"app/one:1", "registry host is missing"},
	} {
		_, err := Scatter(context.Background(), testEnv(), ScatterOptions{Source: c.src, Mapper: m})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Scatter(%s): err = %v, want %q", c.src, err, c.want)
		}
	}
	if _, err := Scatter(context.Background(), testEnv(), ScatterOptions{Source: host + "/app/one:1"}); err == nil {
		t.Error("no mapper: no error")
	}
}

func TestScatterToRealRegistry(t *testing.T) {
	reg := registrytest.Start(t)
	f := newScatterFixture(t, reg.Host(), GatherOptions{Referrers: true})
	csv := reg.Host() + "/app/," + reg.Host() + "/prod/\n"
	var rec recorder
	res, err := Scatter(context.Background(), rec.env(), ScatterOptions{Source: f.index, Referrers: true, Mapper: mustMapper(t, mapping.KindLongestPrefix, csv)})
	if err != nil {
		t.Fatal(err)
	}
	// Every image has its size in history, mounted or sent.
	done := rec.with(ItemDone)
	if len(done) == 0 {
		t.Fatal("no delivered items recorded")
	}
	for _, it := range done {
		if it.Bytes <= 0 {
			t.Errorf("%s -> %s recorded with %d bytes", it.Source, it.Destination, it.Bytes)
		}
	}
	for _, src := range []string{f.one, f.two, f.multi} {
		dest := strings.Replace(src, "/app/", "/prod/", 1)
		if got := registrytest.HeadDigest(t, dest); got != f.digest[src] {
			t.Errorf("%s = %q, want %q", dest, got, f.digest[src])
		}
	}
	if got := registrytest.HeadDigest(t, reg.Host()+"/prod/one@"+f.referrer); got != f.referrer {
		t.Errorf("-r: the referrer of app/one was not delivered")
	}
	// Same registry: blobs are mounted, not streamed.
	if res.Stats.BytesMounted == 0 {
		t.Errorf("stats = %+v, want mounted blobs", res.Stats)
	}
}

// A registry that refuses cross-repository mounts still gets every blob:
// Ferry sends them itself, so they count as sent, with progress, not as
// mounted.
func TestScatterWhereMountsAreRefused(t *testing.T) {
	// Distribution keeps blobs per repository (the in-process registry
	// shares them, so nothing would need mounting).
	reg := countBlobs(t, registrytest.Start(t).Host(), true)
	host := reg.host
	f := newScatterFixture(t, host, GatherOptions{})
	var maxDone atomic.Int64 // progress comes from several goroutines
	env := testEnv()
	env.Progress = func(e progress.Event) {
		for {
			old := maxDone.Load()
			if e.BytesDone <= old || maxDone.CompareAndSwap(old, e.BytesDone) {
				return
			}
		}
	}
	res, err := Scatter(context.Background(), env, ScatterOptions{Source: f.index,
		Mapper: mustMapper(t, mapping.KindLongestPrefix, host+"/app/,"+host+"/prod/\n")})
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range []string{f.one, f.two, f.multi} {
		if got := registrytest.HeadDigest(t, strings.Replace(src, "/app/", "/prod/", 1)); got != f.digest[src] {
			t.Errorf("%s not delivered: %q", src, got)
		}
	}
	reg.mu.Lock()
	refused := reg.refused
	reg.mu.Unlock()
	if refused == 0 {
		t.Fatal("no mount was attempted")
	}
	if res.Stats.BytesMounted != 0 || res.Stats.BytesSent == 0 {
		t.Errorf("stats = %+v, want every blob sent and none counted as mounted", res.Stats)
	}
	if done := maxDone.Load(); done < res.Stats.BytesSent {
		t.Errorf("progress reached %d bytes, want at least the %d sent", done, res.Stats.BytesSent)
	}
}

package store

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// The history benchmark's database: 10,000 runs and 1,000,000 blob rows,
// built once per benchmark process in a temporary directory.
const (
	benchRuns         = 10_000
	benchBlobsPerRun  = 100
	benchItemsPerRun  = 10
	benchImages       = 2_000 // distinct images the runs carry
	benchSlowestQuery = 100 * time.Millisecond
)

var (
	benchOnce  sync.Once
	benchStore *Store
	benchDir   string
	benchErr   error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchStore != nil {
		benchStore.Close()
	}
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

func benchDigest(kind string, n int) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s-%d", kind, n)))
	return "sha256:" + hex.EncodeToString(h[:])
}

func benchImage(n int) string {
	return fmt.Sprintf("reg.example/team-%d/app-%d:v%d", n%50, n, n%7)
}

// benchDB builds the database: runs of four kinds a minute apart, each
// with ten images (gather runs keep their sources' labels in the options),
// a hundred blobs on two volumes, and their media.
func benchDB(b *testing.B) *Store {
	b.Helper()
	benchOnce.Do(func() {
		start := time.Now()
		if benchDir, benchErr = os.MkdirTemp("", "ferry-store-bench-"); benchErr != nil {
			return
		}
		if benchStore, benchErr = Open(filepath.Join(benchDir, "ferry.db")); benchErr != nil {
			return
		}
		benchErr = fillBench(benchStore)
		b.Logf("built %d runs, %d blob rows in %s", benchRuns, benchRuns*benchBlobsPerRun, time.Since(start).Round(time.Millisecond))
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	return benchStore
}

func fillBench(s *Store) error {
	tx, err := s.db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	run, _ := tx.Prepare(`INSERT INTO runs (id, kind, args, options, status, started_at, finished_at, bytes_done, bytes_total) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	item, _ := tx.Prepare(`INSERT INTO run_items (run_id, source, destination, digest, status, bytes, updated_at) VALUES (?, ?, ?, ?, 'done', 1000, ?)`)
	blob, _ := tx.Prepare(`INSERT INTO run_blobs (run_id, digest, size, media_type, volume, offset, confirmed) VALUES (?, ?, ?, '', ?, ?, 1)`)
	medium, _ := tx.Prepare(`INSERT INTO media (run_id, label, device, sync_id, volume, last, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	kinds := []string{"gather", "serialize", "deserialize", "scatter"}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for r := range benchRuns {
		id := fmt.Sprintf("run-%05d", r)
		kind := kinds[r%len(kinds)]
		status := StatusSucceeded
		if r%17 == 0 {
			status = StatusFailed
		}
		at := t0.Add(time.Duration(r) * time.Minute).Format(time.RFC3339Nano)
		options := `{}`
		if kind == "gather" {
			options = `{"sources":[`
			for i := range benchItemsPerRun {
				if i > 0 {
					options += ","
				}
				n := (r*benchItemsPerRun + i) % benchImages
				options += fmt.Sprintf(`{"line":%d,"ref":%q,"labels":{"team":"t%d","tier":"%d"}}`, i+1, benchImage(n), n%50, n%3)
			}
			options += `]}`
		}
		if _, err := run.Exec(id, kind, "ferry mirror "+kind, options, status, at, at, 1<<30, 1<<30); err != nil {
			return err
		}
		for i := range benchItemsPerRun {
			n := (r*benchItemsPerRun + i) % benchImages
			if _, err := item.Exec(id, benchImage(n), fmt.Sprintf("dest-%d/%s", r%3, benchImage(n)), benchDigest("image", n), at); err != nil {
				return err
			}
		}
		for i := range benchBlobsPerRun {
			vol := 1 + i*2/benchBlobsPerRun
			if _, err := blob.Exec(id, benchDigest("blob", r*benchBlobsPerRun+i), 1<<20, vol, int64(i+1)<<20); err != nil {
				return err
			}
		}
		for v := 1; v <= 2; v++ {
			if _, err := medium.Exec(id, fmt.Sprintf("sync-%d volume %d", r, v), "/dev/nst0", fmt.Sprintf("sync-%d", r), v, v == 2, 50<<20, at); err != nil {
				return err
			}
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = s.db.Exec("ANALYZE")
	return err
}

// BenchmarkHistory times the History page's queries and a search on the
// big database; each must answer within benchSlowestQuery.
func BenchmarkHistory(b *testing.B) {
	s := benchDB(b)
	mid := fmt.Sprintf("run-%05d", benchRuns/2)
	cases := []struct {
		name  string
		op    func() (int, error)
		empty bool // the answer is rightly empty
	}{
		{"ListRuns", func() (int, error) { r, err := s.ListRuns(RunFilter{}); return len(r), err }, false},
		{"ListRuns/kind", func() (int, error) { r, err := s.ListRuns(RunFilter{Kind: "serialize"}); return len(r), err }, false},
		{"ListRuns/status", func() (int, error) { r, err := s.ListRuns(RunFilter{Status: StatusFailed}); return len(r), err }, false},
		{"ListRuns/since", func() (int, error) {
			r, err := s.ListRuns(RunFilter{Since: time.Date(2025, 1, 4, 0, 0, 0, 0, time.UTC), Until: time.Date(2025, 1, 5, 0, 0, 0, 0, time.UTC)})
			return len(r), err
		}, false},
		{"ListRuns/text-reference", func() (int, error) { r, err := s.ListRuns(RunFilter{Text: "team-7/app-1057"}); return len(r), err }, false},
		{"ListRuns/text-blob-digest", func() (int, error) {
			r, err := s.ListRuns(RunFilter{Text: benchDigest("blob", 123_456)[:20]})
			return len(r), err
		}, false},
		{"ListRuns/text-nothing", func() (int, error) { r, err := s.ListRuns(RunFilter{Text: "no-such-thing"}); return len(r), err }, true},
		{"GetRunDetail", func() (int, error) { d, err := s.GetRunDetail(mid); return len(d.Items), err }, false},
		{"Search/reference", func() (int, error) { h, err := s.Search(benchImage(1057), 0); return len(h), err }, false},
		{"Search/repository", func() (int, error) { h, err := s.Search("reg.example/team-7/app-1057", 0); return len(h), err }, false},
		{"Search/part", func() (int, error) { h, err := s.Search("app-1057:", 0); return len(h), err }, false},
		{"Search/image-digest", func() (int, error) { h, err := s.Search(benchDigest("image", 1057)[:19], 0); return len(h), err }, false},
		{"Search/blob-digest", func() (int, error) { h, err := s.Search(benchDigest("blob", 654_321)[7:19], 0); return len(h), err }, false},
		{"Search/label", func() (int, error) { h, err := s.Search("team=t7", 0); return len(h), err }, false},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			n, err := c.op()
			if err != nil {
				b.Fatal(err)
			}
			if (n == 0) != c.empty {
				b.Fatalf("%s found %d rows", c.name, n)
			}
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				if _, err := c.op(); err != nil {
					b.Fatal(err)
				}
			}
			per := time.Since(start) / time.Duration(b.N)
			b.ReportMetric(float64(per.Microseconds())/1000, "ms/op")
			b.ReportMetric(float64(n), "rows")
			if per > benchSlowestQuery {
				b.Errorf("%s takes %s, more than %s", c.name, per, benchSlowestQuery)
			}
		})
	}
}

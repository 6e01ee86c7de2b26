package store

import (
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// history is three runs of one image: gathered (its sources list labels
// it team=core), serialized to a medium (volume 2 of sync-45), scattered.
func history(t *testing.T) *Store {
	t.Helper()
	s, _ := openTemp(t)
	const img, dig = "reg.low.example/team/web:1", "sha256:3f2a9c0000000000000000000000000000000000000000000000000000000001"
	const layer = "sha256:77aa550000000000000000000000000000000000000000000000000000000002"
	runs := []struct {
		id, kind, options string
		item              Item
	}{
		{"g1", "gather", `{"sources":[{"line":1,"ref":"` + img + `","labels":{"team":"core","tier":"web"}},{"line":2,"ref":"reg.low.example/other:2"}],"dest":"reg.low.example/transfer:sync-45"}`,
			Item{Source: img, Destination: "reg.low.example/transfer:sync-45", Digest: dig, Status: "done"}},
		{"s1", "serialize", `{"source":"reg.low.example/transfer:sync-45","dest":"/dev/nst0"}`,
			Item{Source: img, Destination: "/dev/nst0", Digest: dig, Status: "done"}},
		{"c1", "scatter", `{"source":"reg.high.example/transfer:sync-45"}`,
			Item{Source: img, Destination: "reg.high.example/web:1", Digest: dig, Status: "done", Bytes: 5000}},
	}
	for _, r := range runs {
		if err := s.CreateRun(Run{ID: r.id, Kind: r.kind, Options: r.options}); err != nil {
			t.Fatal(err)
		}
		if err := s.AddItem(r.id, r.item); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Millisecond) // distinct start times: newest first is s1 after g1
	}
	if err := s.AddMedium("s1", Medium{Label: "sync-45 volume 1", Device: "/dev/nst0", SyncID: "sync-45-id", Volume: 1}); err != nil {
		t.Fatal(err)
	}
	if err := s.AddMedium("s1", Medium{Label: "sync-45 volume 2", Device: "/dev/nst0", SyncID: "sync-45-id", Volume: 2, Last: true}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordBlobs("s1", []Blob{
		{Digest: layer, Size: 4000, Volume: 1, Offset: 8192, Confirmed: true},
		{Digest: dig, Size: 900, MediaType: "application/vnd.oci.image.manifest.v1+json", Volume: 2, Offset: 3072, Confirmed: true},
	}); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSearchByReferenceDigestAndLabel(t *testing.T) {
	s := history(t)
	for _, q := range []string{"reg.low.example/team/web:1", "reg.low.example/team/web", "team/web", "sha256:3f2a9c", "3F2A9C", "team=core"} {
		hits, err := s.Search(q, 0)
		if err != nil {
			t.Fatalf("%q: %v", q, err)
		}
		if len(hits) != 3 || hits[0].RunID != "c1" || hits[1].RunID != "s1" || hits[2].RunID != "g1" {
			t.Fatalf("%q: %+v; want the scatter, the serialize and the gather, newest first", q, hits)
		}
		ser, sc := hits[1], hits[0]
		if !ser.OnMedium || ser.Medium != "sync-45 volume 2" || ser.Volume != 2 || ser.Offset != 3072 || ser.SyncID != "sync-45-id" || !ser.Confirmed {
			t.Errorf("%q: the serialize's sighting %+v; want volume 2 of sync-45 at offset 3072", q, ser)
		}
		if sc.Destination != "reg.high.example/web:1" || sc.OnMedium {
			t.Errorf("%q: the scatter's sighting %+v; want where scatter put it", q, sc)
		}
	}
	// A layer is found as a blob of the medium.
	hits, err := s.Search("77aa55", 0)
	if err != nil || len(hits) != 1 || hits[0].RunID != "s1" || hits[0].Medium != "sync-45 volume 1" || hits[0].Offset != 8192 || hits[0].Source != "" {
		t.Errorf("layer search: %+v, %v", hits, err)
	}
	for q, want := range map[string]string{"": "search for what", "sha256:3f2": "at least 6 hex digits"} {
		if _, err := s.Search(q, 0); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v; want %q", q, err, want)
		}
	}
	if hits, err := s.Search("team=nobody", 0); err != nil || len(hits) != 0 {
		t.Errorf("an unknown label: %+v, %v", hits, err)
	}
	if hits, err := s.Search("100%", 0); err != nil || len(hits) != 0 {
		t.Errorf("%% must be literal: %+v, %v", hits, err)
	}
}

// The filter of the History page finds runs by a blob's digest prefix.
func TestListRunsTextFindsBlobDigestPrefix(t *testing.T) {
	s := history(t)
	got, err := s.ListRuns(RunFilter{Text: "sha256:77aa55"})
	if err != nil || len(got) != 1 || got[0].ID != "s1" {
		t.Errorf("ListRuns by a layer's digest: %v, %v", ids(got), err)
	}
}

// A database of the first schema, with history in it, is migrated: its
// runs' labels and item names are found as a new run's are.
func TestMigrationIndexesExistingHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ferry.db")
	db, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	v1, err := migrationFiles.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{string(v1), "PRAGMA user_version = 1",
		`INSERT INTO runs (id, kind, options, status, started_at) VALUES ('old', 'gather', '{"sources":[{"line":1,"ref":"reg.example/a:1","labels":{"team":"core"}}]}', 'succeeded', '2025-01-01T00:00:00Z')`,
		`INSERT INTO run_items (run_id, source, destination, digest, status, updated_at) VALUES ('old', 'reg.example/a:1', 'reg.example/t:1', 'sha256:0123456789ab', 'done', '2025-01-01T00:00:00Z')`,
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatalf("%.60s: %v", stmt, err)
		}
	}
	db.Close()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, q := range []string{"team=core", "a:1", "0123456789"} {
		if hits, err := s.Search(q, 0); err != nil || len(hits) != 1 || hits[0].RunID != "old" {
			t.Errorf("%q in the migrated history: %+v, %v", q, hits, err)
		}
	}
	if o, err := s.RunOrigin("old"); err != nil || o.Operator != "" {
		t.Errorf("an old run's origin: %+v, %v", o, err)
	}
}

func TestResolveRunID(t *testing.T) {
	s := history(t) // runs g1, s1, c1
	s.CreateRun(Run{ID: "s1b", Kind: "serialize"})
	for prefix, want := range map[string]string{"g": "g1", "c1": "c1", "s1": "s1"} {
		if got, err := s.ResolveRunID(prefix); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", prefix, got, err, want)
		}
	}
	for prefix, want := range map[string]string{"s": "ambiguous", "x": "not found", "": "give a run id"} {
		if _, err := s.ResolveRunID(prefix); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v; want %q", prefix, err, want)
		}
	}
}

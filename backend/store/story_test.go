package store

import (
	"errors"
	"slices"
	"testing"
)

// record creates a run of kind with options and, when sync is set, one medium.
func record(t *testing.T, s *Store, id, kind, options, sync string) {
	t.Helper()
	if err := s.CreateRun(Run{ID: id, Kind: kind, Options: options}); err != nil {
		t.Fatal(err)
	}
	if sync != "" {
		if err := s.AddMedium(id, Medium{Label: "t.tar", Device: "/m/t.tar", SyncID: sync, Volume: 1, Last: true}); err != nil {
			t.Fatal(err)
		}
	}
}

func storyIDs(t *testing.T, s *Store, id string) []string {
	t.Helper()
	st, err := s.Story(id)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range st.Runs {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestStoryLinksOneTransferFromEitherSide(t *testing.T) {
	s, _ := openTemp(t)
	// An older transfer through the same tags, which must stay out.
	record(t, s, "g0", "gather", `{"dest":"low/g:1"}`, "")
	record(t, s, "s0", "serialize", `{"source":"low/g:1","dest":"/m/old.tar"}`, "sync-old")
	record(t, s, "d0", "deserialize", `{"source":"/m/old.tar","dest":"high/g:1"}`, "sync-old")
	record(t, s, "c0", "scatter", `{"source":"high/g:1"}`, "")
	// The transfer: gather, serialize (interrupted, resumed), deserialize, scatter and its re-run.
	record(t, s, "g1", "gather", `{"dest":"low/g:1"}`, "")
	record(t, s, "s1", "serialize", `{"source":"low/g:1","dest":"/m/t.tar"}`, "sync-1")
	if err := s.CreateRun(Run{ID: "s2", Kind: "serialize", Options: `{"source":"low/g:1","dest":"/m/t.tar"}`, ResumedFrom: "s1"}); err != nil {
		t.Fatal(err)
	}
	record(t, s, "d1", "deserialize", `{"source":"/m/t.tar","dest":"high/g:1"}`, "sync-1")
	record(t, s, "c1", "scatter", `{"source":"high/g:1"}`, "")
	if err := s.CreateRun(Run{ID: "c2", Kind: "scatter", Options: `{"source":"high/g:1"}`, ResumedFrom: "c1"}); err != nil {
		t.Fatal(err)
	}
	// Unrelated runs, one with options that are not JSON.
	record(t, s, "x", "clone", `not json`, "")
	record(t, s, "v", "verify", `{"source":"/m/other.tar"}`, "sync-other")

	want := []string{"g1", "s1", "s2", "d1", "c1", "c2"}
	for _, from := range want {
		if got := storyIDs(t, s, from); !slices.Equal(got, want) {
			t.Errorf("story of %s = %v, want %v", from, got, want)
		}
	}
	st, _ := s.Story("c1")
	if !slices.Equal(st.SyncIDs, []string{"sync-1"}) {
		t.Errorf("sync ids = %v", st.SyncIDs)
	}
	if r := st.Runs[1]; r.Source != "low/g:1" || r.Dest != "/m/t.tar" || len(r.Media) != 1 || r.Media[0].SyncID != "sync-1" {
		t.Errorf("serialize step = %+v", r)
	}
	if got := storyIDs(t, s, "d0"); !slices.Equal(got, []string{"g0", "s0", "d0", "c0"}) {
		t.Errorf("older transfer = %v", got)
	}
	if got := storyIDs(t, s, "x"); !slices.Equal(got, []string{"x"}) {
		t.Errorf("a clone alone = %v", got)
	}
	if _, err := s.Story("nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown run: %v", err)
	}
}

func TestStoryOfAnArchiveThroughItsMedium(t *testing.T) {
	s, _ := openTemp(t)
	record(t, s, "a", "archive", `{"serialize":{"dest":"/m/a.tar"}}`, "sync-a")
	record(t, s, "u", "unarchive", `{"source":"/m/a.tar"}`, "sync-a")
	if got := storyIDs(t, s, "u"); !slices.Equal(got, []string{"a", "u"}) {
		t.Errorf("story = %v", got)
	}
	st, _ := s.Story("a")
	if st.Runs[0].Dest != "/m/a.tar" || st.Runs[1].Source != "/m/a.tar" {
		t.Errorf("ends = %+v", st.Runs)
	}
}

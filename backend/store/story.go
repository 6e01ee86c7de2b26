package store

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"time"
)

// A transfer is told as one story: the gather that made a gather index,
// the serialize that wrote it to media, the deserialize that read those
// media (the same sync id) into the high side, and the scatter that pushed
// its images out, with the resumes and re-runs of each. Runs are linked by
// what history already holds: the sync id of their media, and the image one
// step wrote and the next one read (from the options recorded with them).

// StoryRun is one run of a transfer, with what it read and wrote.
type StoryRun struct {
	Run
	// Source and Dest are the image, medium or list the run read and wrote,
	// as its options recorded them; "" when the kind has none.
	Source string   `json:"source"`
	Dest   string   `json:"dest"`
	Media  []Medium `json:"media"`
}

// Story is every run of one transfer, oldest first.
type Story struct {
	// SyncIDs name the media the transfer went through.
	SyncIDs []string   `json:"syncIds"`
	Runs    []StoryRun `json:"runs"`
}

// maxStory bounds the runs a story collects: a transfer has a handful, a
// tag reused for months would otherwise pull in all of history.
const maxStory = 100

// The option paths a kind records what it read and wrote under.
var storyEnds = map[string][2]string{
	"gather":      {"", "$.dest"},
	"serialize":   {"$.source", "$.dest"},
	"archive":     {"", "$.serialize.dest"},
	"deserialize": {"$.source", "$.dest"},
	"scatter":     {"$.source", ""},
	"unarchive":   {"$.source", ""},
}

// Story returns the transfer run id belongs to, found from either side.
func (s *Store) Story(id string) (Story, error) {
	st := Story{SyncIDs: []string{}, Runs: []StoryRun{}}
	start, err := s.storyRun(id)
	if err != nil {
		return st, err
	}
	seen := map[string]bool{id: true}
	syncs := map[string]bool{}
	work := []StoryRun{start}
	add := func(runs []StoryRun) {
		for _, r := range runs {
			if !seen[r.ID] && len(seen) < maxStory {
				seen[r.ID] = true
				work = append(work, r)
			}
		}
	}
	for len(work) > 0 {
		r := work[0]
		work = work[1:]
		st.Runs = append(st.Runs, r)
		for _, m := range r.Media {
			if m.SyncID != "" && !syncs[m.SyncID] {
				syncs[m.SyncID] = true
				st.SyncIDs = append(st.SyncIDs, m.SyncID)
				linked, err := s.storyRuns(`id IN (SELECT run_id FROM media WHERE sync_id = ?)`, m.SyncID)
				if err != nil {
					return st, err
				}
				add(linked)
			}
		}
		linked, err := s.neighbours(r)
		if err != nil {
			return st, err
		}
		add(linked)
	}
	sort.SliceStable(st.Runs, func(i, j int) bool { return st.Runs[i].StartedAt.Before(st.Runs[j].StartedAt) })
	return st, nil
}

// neighbours are the runs next to r in its transfer that the images link:
// the gather a serialize read, the serializes of a gather's index, the
// scatters of a deserialized index and the deserialize a scatter read; and
// the runs that resume or re-run r, or that r continues.
func (s *Store) neighbours(r StoryRun) ([]StoryRun, error) {
	var out []StoryRun
	more := func(runs []StoryRun, err error) error {
		out = append(out, runs...)
		return err
	}
	if err := more(s.storyRuns(`resumed_from = ? OR id = ?`, r.ID, r.ResumedFrom)); err != nil {
		return nil, err
	}
	switch r.Kind {
	case "gather":
		return out, more(s.following(r, "serialize", "$.source", r.Dest))
	case "serialize":
		return out, more(s.preceding(r, "gather", r.Source))
	case "deserialize":
		return out, more(s.following(r, "scatter", "$.source", r.Dest))
	case "scatter":
		return out, more(s.preceding(r, "deserialize", r.Source))
	}
	return out, nil
}

// preceding is the last run of kind that wrote image before r started.
func (s *Store) preceding(r StoryRun, kind, image string) ([]StoryRun, error) {
	if image == "" {
		return nil, nil
	}
	cands, err := s.storyRuns(`kind = ? AND CASE WHEN json_valid(options) THEN json_extract(options, ?) END = ?`, kind, storyEnds[kind][1], image)
	if err != nil {
		return nil, err
	}
	var best *StoryRun
	for i, c := range cands {
		if c.StartedAt.Before(r.StartedAt) && (best == nil || c.StartedAt.After(best.StartedAt)) {
			best = &cands[i]
		}
	}
	if best == nil {
		return nil, nil
	}
	return []StoryRun{*best}, nil
}

// following are the runs of kind that read image (under path) after r
// wrote it and before the next run of r's kind wrote it again.
func (s *Store) following(r StoryRun, kind, path, image string) ([]StoryRun, error) {
	if image == "" {
		return nil, nil
	}
	rewrites, err := s.storyRuns(`kind = ? AND CASE WHEN json_valid(options) THEN json_extract(options, ?) END = ? AND id <> ?`, r.Kind, storyEnds[r.Kind][1], image, r.ID)
	if err != nil {
		return nil, err
	}
	end := time.Time{}
	for _, w := range rewrites {
		if w.StartedAt.After(r.StartedAt) && (end.IsZero() || w.StartedAt.Before(end)) {
			end = w.StartedAt
		}
	}
	cands, err := s.storyRuns(`kind = ? AND CASE WHEN json_valid(options) THEN json_extract(options, ?) END = ?`, kind, path, image)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(cands, func(c StoryRun) bool {
		return !c.StartedAt.After(r.StartedAt) || (!end.IsZero() && !c.StartedAt.Before(end))
	}), nil
}

func (s *Store) storyRun(id string) (StoryRun, error) {
	r, err := s.GetRun(id)
	if err != nil {
		return StoryRun{}, err
	}
	return s.told(r)
}

// storyRuns are the runs matching a condition, with their ends and media.
func (s *Store) storyRuns(where string, args ...any) ([]StoryRun, error) {
	rows, err := s.db.Query("SELECT "+runColumns+" FROM runs WHERE "+where+" ORDER BY started_at LIMIT ?", append(args, maxStory)...)
	if err != nil {
		return nil, wrap(s, "read the transfer", err)
	}
	var runs []Run
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			rows.Close()
			return nil, wrap(s, "read the transfer", err)
		}
		runs = append(runs, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, wrap(s, "read the transfer", err)
	}
	out := make([]StoryRun, 0, len(runs))
	for _, r := range runs {
		t, err := s.told(r)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// told adds to a run what it read and wrote and its media.
func (s *Store) told(r Run) (StoryRun, error) {
	t := StoryRun{Run: r}
	var opts any
	_ = json.Unmarshal([]byte(r.Options), &opts) // options that are not JSON tell no ends
	ends := storyEnds[r.Kind]
	t.Source, t.Dest = optionAt(opts, ends[0]), optionAt(opts, ends[1])
	var err error
	if t.Media, err = s.Media(r.ID); err != nil {
		return t, err
	}
	return t, nil
}

// optionAt is the string at a "$.a.b" path of decoded options, "" if none.
func optionAt(v any, path string) string {
	if path == "" {
		return ""
	}
	for _, k := range strings.Split(strings.TrimPrefix(path, "$."), ".") {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	str, _ := v.(string)
	return str
}

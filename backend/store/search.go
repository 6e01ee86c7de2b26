package store

import (
	"database/sql"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Sighting is one place history saw an image or a blob: a run that
// gathered, wrote, read or delivered it, and where on its medium it went.
type Sighting struct {
	RunID     string    `json:"runId"`
	Kind      string    `json:"kind"`
	Status    string    `json:"status"`
	StartedAt time.Time `json:"startedAt"`
	// Match says how the query found it: reference, digest or label.
	Match       string `json:"match"`
	Source      string `json:"source"`      // the image as its sources list names it; empty for a bare blob
	Destination string `json:"destination"` // where the run put it: a medium, a gather index, scatter's target
	Digest      string `json:"digest"`
	ItemStatus  string `json:"itemStatus"` // done, skipped, failed, planned; empty for a bare blob
	Size        int64  `json:"size"`
	// The medium it travelled on, when the run wrote or read its bytes:
	// the medium's label and device, the transfer's sync id, the volume,
	// and the end offset on that volume's uncompressed stream.
	Medium    string `json:"medium,omitempty"`
	Device    string `json:"device,omitempty"`
	SyncID    string `json:"syncId,omitempty"`
	Volume    int    `json:"volume,omitempty"`
	Offset    int64  `json:"offset,omitempty"`
	OnMedium  bool   `json:"onMedium"`
	Confirmed bool   `json:"confirmed"`
}

// MinDigestPrefix is the fewest hex digits a digest search takes: fewer
// match a good part of every blob ever sent.
const MinDigestPrefix = 6

var (
	digestQuery = regexp.MustCompile(`^(sha256:)?([0-9a-f]+)$`)
	labelQuery  = regexp.MustCompile(`^([A-Za-z0-9._/-]+)=(.*)$`)
)

// Search finds an image across all runs, newest run first, at most limit
// sightings (0: 200): by digest prefix ("sha256:3f2a9c" or "3f2a9c", at
// least MinDigestPrefix hex digits: images and the blobs of media), by
// label ("team=core": the images a sources list labelled so), or by
// reference (a prefix of the source or destination, "reg.example/app"
// finds every tag; failing that, any part of it).
func (s *Store) Search(query string, limit int) ([]Sighting, error) {
	q := strings.TrimSpace(query)
	if q == "" {
		return nil, fmt.Errorf("search for what? give a reference, a digest prefix or a label (key=value)")
	}
	if limit <= 0 {
		limit = 200
	}
	if prefix, ok := digestPrefix(q); ok {
		if len(prefix) < len("sha256:")+MinDigestPrefix {
			return nil, fmt.Errorf("digest %q: give at least %d hex digits", q, MinDigestPrefix)
		}
		return s.searchDigest(prefix, limit)
	}
	if m := labelQuery.FindStringSubmatch(q); m != nil && !strings.Contains(m[1], "/") {
		return s.searchLabel(m[1], m[2], limit)
	}
	hits, err := s.sightings("reference", `(i.source >= ? AND i.source < ?) OR (i.destination >= ? AND i.destination < ?)`, limit, q, q+"\xff", q, q+"\xff")
	if err != nil || len(hits) > 0 {
		return hits, err
	}
	like := "%" + escapeLike(q) + "%"
	return s.sightings("reference", `i.source IN (`+namesLike+`) OR i.destination IN (`+namesLike+`)`, limit, like, like)
}

// sightingColumns read an item with its blob on the run's medium, if the
// run wrote or read the image's manifest, and that volume's medium.
const sightingColumns = `i.run_id, r.kind, r.status, r.started_at, i.source, i.destination, i.digest, i.status,
	COALESCE(b.size, i.bytes), COALESCE(m.label, ''), COALESCE(m.device, ''), COALESCE(m.sync_id, ''),
	COALESCE(b.volume, 0), COALESCE(b.offset, 0), b.digest IS NOT NULL, COALESCE(b.confirmed, 0)
	FROM run_items i JOIN runs r ON r.id = i.run_id
	LEFT JOIN run_blobs b ON b.run_id = i.run_id AND b.digest = i.digest AND i.digest != ''
	LEFT JOIN media m ON m.id = (SELECT id FROM media WHERE run_id = i.run_id AND volume = b.volume ORDER BY id LIMIT 1)`

// The "+" before started_at keeps SQLite from walking runs in time order
// to avoid a sort: the match is selective, so its index goes first.
func (s *Store) sightings(match, where string, limit int, args ...any) ([]Sighting, error) {
	q := "SELECT " + sightingColumns + " WHERE " + where + fmt.Sprintf(" ORDER BY +r.started_at DESC, i.id LIMIT %d", limit)
	rows, err := s.db.Query(q, args...)
	if err != nil {
		return nil, wrap(s, "search", err)
	}
	defer rows.Close()
	out := []Sighting{}
	for rows.Next() {
		h := Sighting{Match: match}
		var started sql.NullString
		if err := rows.Scan(&h.RunID, &h.Kind, &h.Status, &started, &h.Source, &h.Destination, &h.Digest, &h.ItemStatus,
			&h.Size, &h.Medium, &h.Device, &h.SyncID, &h.Volume, &h.Offset, &h.OnMedium, &h.Confirmed); err != nil {
			return nil, wrap(s, "search", err)
		}
		h.StartedAt = parseTime(started)
		out = append(out, h)
	}
	return out, wrap(s, "search", rows.Err())
}

// searchDigest finds images whose digest starts with prefix, and blobs
// (layers, configs) of media that do, each blob once per run. CROSS JOIN
// keeps the blobs' digest index first; SQLite would otherwise probe every run.
func (s *Store) searchDigest(prefix string, limit int) ([]Sighting, error) {
	hits, err := s.sightings("digest", `i.digest >= ? AND i.digest < ?`, limit, prefix, prefix+"\xff")
	if err != nil {
		return nil, err
	}
	seen := map[[2]string]bool{}
	for _, h := range hits {
		seen[[2]string{h.RunID, h.Digest}] = true
	}
	rows, err := s.db.Query(`SELECT b.run_id, r.kind, r.status, r.started_at, b.digest, b.size, b.volume, b.offset, b.confirmed,
		COALESCE(m.label, ''), COALESCE(m.device, ''), COALESCE(m.sync_id, '')
		FROM run_blobs b CROSS JOIN runs r ON r.id = b.run_id
		LEFT JOIN media m ON m.id = (SELECT id FROM media WHERE run_id = b.run_id AND volume = b.volume ORDER BY id LIMIT 1)
		WHERE b.digest >= ? AND b.digest < ? ORDER BY +r.started_at DESC LIMIT ?`, prefix, prefix+"\xff", limit)
	if err != nil {
		return nil, wrap(s, "search", err)
	}
	defer rows.Close()
	for rows.Next() {
		h := Sighting{Match: "digest", OnMedium: true}
		var started sql.NullString
		if err := rows.Scan(&h.RunID, &h.Kind, &h.Status, &started, &h.Digest, &h.Size, &h.Volume, &h.Offset, &h.Confirmed,
			&h.Medium, &h.Device, &h.SyncID); err != nil {
			return nil, wrap(s, "search", err)
		}
		h.StartedAt = parseTime(started)
		if !seen[[2]string{h.RunID, h.Digest}] {
			hits = append(hits, h)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, wrap(s, "search", err)
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].StartedAt.After(hits[j].StartedAt) })
	return hits[:min(len(hits), limit)], nil
}

// searchLabel finds the images a sources list labelled key=value, in every
// run that handled them.
func (s *Store) searchLabel(key, value string, limit int) ([]Sighting, error) {
	return s.sightings("label", `i.source IN (SELECT ref FROM run_labels WHERE key = ? AND value = ?)`, limit, key, value)
}

// namesLike selects the item references that contain a LIKE pattern.
const namesLike = `SELECT name FROM item_names WHERE name LIKE ? ESCAPE '\'`

// digestPrefix reads a query as the start of a sha256 digest: "sha256:"
// and any hex digits, or MinDigestPrefix hex digits or more alone.
func digestPrefix(q string) (string, bool) {
	m := digestQuery.FindStringSubmatch(strings.ToLower(q))
	if m == nil || len(m[2]) > 64 || (m[1] == "" && len(m[2]) < MinDigestPrefix) {
		return "", false
	}
	return "sha256:" + m[2], true
}

// escapeLike makes s literal in a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

package store

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"time"

	"ferry/backend/version"
)

// Run statuses.
const (
	StatusRunning     = "running"
	StatusSucceeded   = "succeeded"
	StatusFailed      = "failed"
	StatusCancelled   = "cancelled"
	StatusInterrupted = "interrupted"
)

// Run is one operation as recorded in history.
type Run struct {
	ID          string    `json:"id"`
	Kind        string    `json:"kind"`
	Args        string    `json:"args"`
	Options     string    `json:"options"`
	Status      string    `json:"status"`
	Error       string    `json:"error"`
	StartedAt   time.Time `json:"startedAt"`
	FinishedAt  time.Time `json:"finishedAt"`
	BytesDone   int64     `json:"bytesDone"`
	BytesTotal  int64     `json:"bytesTotal"`
	ItemsDone   int       `json:"itemsDone"`
	ItemsTotal  int       `json:"itemsTotal"`
	Failures    int       `json:"failures"`
	ResumedFrom string    `json:"resumedFrom"`
}

// Item is one image or destination handled by a run.
type Item struct {
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Digest      string `json:"digest"`
	Status      string `json:"status"`
	Error       string `json:"error"`
	Bytes       int64  `json:"bytes"`
}

// Blob is a blob a run wrote to (or read from) a medium.
type Blob struct {
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
	MediaType string `json:"mediaType"`
	Volume    int    `json:"volume"`
	Offset    int64  `json:"offset"`
	Confirmed bool   `json:"confirmed"`
}

// Medium is one volume (file or tape) a run wrote or read.
type Medium struct {
	Label     string    `json:"label"`
	Device    string    `json:"device"`
	SyncID    string    `json:"syncId"`
	Volume    int       `json:"volume"`
	Last      bool      `json:"last"`
	Bytes     int64     `json:"bytes"`
	CreatedAt time.Time `json:"createdAt"`
}

// LogLine is one line of a run's log.
type LogLine struct {
	Time    time.Time `json:"time"`
	Level   string    `json:"level"`
	Message string    `json:"message"`
}

// RunDetail is a run with everything recorded about it.
type RunDetail struct {
	Run
	Items []Item   `json:"items"`
	Media []Medium `json:"media"`
	// Checkpoint summarises the blobs recorded; the full list can be large.
	BlobsConfirmed int   `json:"blobsConfirmed"`
	BytesConfirmed int64 `json:"bytesConfirmed"`
	LastOffset     int64 `json:"lastOffset"`
}

// ErrNotFound is returned for an unknown run id.
var ErrNotFound = errors.New("not found")

// CreateRun records the start of a run by this process.
func (s *Store) CreateRun(r Run) error {
	host, _ := os.Hostname()
	var resumed any
	if r.ResumedFrom != "" {
		resumed = r.ResumedFrom
	}
	if r.Options == "" {
		r.Options = "{}"
	}
	_, err := s.db.Exec(`INSERT INTO runs (id, kind, args, options, status, started_at, pid, host, resumed_from, operator, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.Kind, r.Args, r.Options, StatusRunning, now(), os.Getpid(), host, resumed, operator(), version.Version)
	return wrap(s, "record run", err)
}

// UpdateProgress stores a run's counters while it runs.
func (s *Store) UpdateProgress(id string, bytesDone, bytesTotal int64, itemsDone, itemsTotal, failures int) error {
	_, err := s.db.Exec(`UPDATE runs SET bytes_done=?, bytes_total=?, items_done=?, items_total=?, failures=? WHERE id=?`,
		bytesDone, bytesTotal, itemsDone, itemsTotal, failures, id)
	return wrap(s, "update run", err)
}

// FinishRun records a run's end.
func (s *Store) FinishRun(id, status, errText string) error {
	_, err := s.db.Exec(`UPDATE runs SET status=?, error=?, finished_at=? WHERE id=?`, status, errText, now(), id)
	return wrap(s, "finish run", err)
}

// RecoverInterrupted marks as interrupted every run left "running" by a
// process of this host that no longer exists, and returns how many it marked.
// Runs of live processes (a CLI next to the GUI) are left alone.
func (s *Store) RecoverInterrupted() (int, error) {
	host, _ := os.Hostname()
	rows, err := s.db.Query(`SELECT id, pid, host FROM runs WHERE status=?`, StatusRunning)
	if err != nil {
		return 0, wrap(s, "find interrupted runs", err)
	}
	var dead []string
	for rows.Next() {
		var id, h string
		var pid int
		if err := rows.Scan(&id, &pid, &h); err != nil {
			rows.Close()
			return 0, wrap(s, "find interrupted runs", err)
		}
		if h == host && !processAlive(pid) {
			dead = append(dead, id)
		}
	}
	rows.Close()
	for _, id := range dead {
		if _, err := s.db.Exec(`UPDATE runs SET status=?, error=?, finished_at=? WHERE id=? AND status=?`,
			StatusInterrupted, "the process running it ended before it finished", now(), id, StatusRunning); err != nil {
			return 0, wrap(s, "mark interrupted run", err)
		}
	}
	return len(dead), nil
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if pid == os.Getpid() {
		return true
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// RunFilter narrows ListRuns. Empty fields match everything.
type RunFilter struct {
	Kind   string    `json:"kind"`
	Status string    `json:"status"`
	Text   string    `json:"text"` // matched against args, item references and digests
	Since  time.Time `json:"since"`
	Until  time.Time `json:"until"`
	Limit  int       `json:"limit"`
}

const runColumns = `id, kind, args, options, status, error, started_at, finished_at, bytes_done, bytes_total,
	items_done, items_total, failures, COALESCE(resumed_from, '')`

func scanRun(sc interface{ Scan(...any) error }) (Run, error) {
	var r Run
	var started, finished sql.NullString
	err := sc.Scan(&r.ID, &r.Kind, &r.Args, &r.Options, &r.Status, &r.Error, &started, &finished,
		&r.BytesDone, &r.BytesTotal, &r.ItemsDone, &r.ItemsTotal, &r.Failures, &r.ResumedFrom)
	r.StartedAt, r.FinishedAt = parseTime(started), parseTime(finished)
	return r, err
}

// ListRuns returns runs, newest first.
func (s *Store) ListRuns(f RunFilter) ([]Run, error) {
	var where []string
	var args []any
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
	if f.Status != "" {
		where, args = append(where, "status = ?"), append(args, f.Status)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "started_at >= ?"), append(args, f.Since.UTC().Format(time.RFC3339Nano))
	}
	if !f.Until.IsZero() {
		where, args = append(where, "started_at < ?"), append(args, f.Until.UTC().Format(time.RFC3339Nano))
	}
	if t := strings.TrimSpace(f.Text); t != "" {
		// References match anywhere through the table of item names (few,
		// where items are many); digests match by prefix through their
		// indexes.
		like := "%" + escapeLike(t) + "%"
		cond := `args LIKE ? ESCAPE '\' OR id LIKE ? ESCAPE '\' OR id IN (SELECT run_id FROM run_items WHERE
			source IN (` + namesLike + `) OR destination IN (` + namesLike + `))`
		args = append(args, like, like, like, like)
		if p, ok := digestPrefix(t); ok {
			cond += ` OR id IN (SELECT run_id FROM run_items WHERE digest >= ? AND digest < ?)
				OR id IN (SELECT run_id FROM run_blobs WHERE digest >= ? AND digest < ?)`
			args = append(args, p, p+"\xff", p, p+"\xff")
		}
		where = append(where, "("+cond+")")
	}
	q := "SELECT " + runColumns + " FROM runs"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 500
	}
	q += fmt.Sprintf(" ORDER BY started_at DESC LIMIT %d", limit)
	rows, err := s.db.Query(q, args...)
	if err != nil {
		return nil, wrap(s, "list runs", err)
	}
	defer rows.Close()
	out := []Run{}
	for rows.Next() {
		r, err := scanRun(rows)
		if err != nil {
			return nil, wrap(s, "list runs", err)
		}
		out = append(out, r)
	}
	return out, wrap(s, "list runs", rows.Err())
}

// GetRun returns one run.
func (s *Store) GetRun(id string) (Run, error) {
	r, err := scanRun(s.db.QueryRow("SELECT "+runColumns+" FROM runs WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("run %s: %w", id, ErrNotFound)
	}
	return r, wrap(s, "read run", err)
}

// GetRunDetail returns a run with its items, media and checkpoint summary.
func (s *Store) GetRunDetail(id string) (RunDetail, error) {
	var d RunDetail
	r, err := s.GetRun(id)
	if err != nil {
		return d, err
	}
	d.Run = r
	if d.Items, err = s.Items(id); err != nil {
		return d, err
	}
	if d.Media, err = s.Media(id); err != nil {
		return d, err
	}
	err = s.db.QueryRow(`SELECT COUNT(*), COALESCE(SUM(size),0), COALESCE(MAX(offset),0) FROM run_blobs WHERE run_id=? AND confirmed=1`, id).
		Scan(&d.BlobsConfirmed, &d.BytesConfirmed, &d.LastOffset)
	return d, wrap(s, "read checkpoints", err)
}

// AddItem records one item of a run.
func (s *Store) AddItem(runID string, it Item) error {
	_, err := s.db.Exec(`INSERT INTO run_items (run_id, source, destination, digest, status, error, bytes, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, runID, it.Source, it.Destination, it.Digest, it.Status, it.Error, it.Bytes, now())
	return wrap(s, "record item", err)
}

// Items returns a run's items in the order they were recorded.
func (s *Store) Items(runID string) ([]Item, error) {
	rows, err := s.db.Query(`SELECT source, destination, digest, status, error, bytes FROM run_items WHERE run_id=? ORDER BY id`, runID)
	if err != nil {
		return nil, wrap(s, "read items", err)
	}
	defer rows.Close()
	out := []Item{}
	for rows.Next() {
		var it Item
		if err := rows.Scan(&it.Source, &it.Destination, &it.Digest, &it.Status, &it.Error, &it.Bytes); err != nil {
			return nil, wrap(s, "read items", err)
		}
		out = append(out, it)
	}
	return out, wrap(s, "read items", rows.Err())
}

// RecordBlobs records blobs in one transaction; a blob already recorded for
// the run is updated (a later confirmation wins).
func (s *Store) RecordBlobs(runID string, blobs []Blob) error {
	if len(blobs) == 0 {
		return nil
	}
	tx, err := s.db.Begin()
	if err != nil {
		return wrap(s, "record blobs", err)
	}
	stmt, err := tx.Prepare(`INSERT INTO run_blobs (run_id, digest, size, media_type, volume, offset, confirmed)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT(run_id, digest) DO UPDATE SET size=excluded.size, media_type=excluded.media_type,
			volume=excluded.volume, offset=excluded.offset, confirmed=excluded.confirmed`)
	if err != nil {
		tx.Rollback()
		return wrap(s, "record blobs", err)
	}
	defer stmt.Close()
	for _, b := range blobs {
		if _, err := stmt.Exec(runID, b.Digest, b.Size, b.MediaType, b.Volume, b.Offset, b.Confirmed); err != nil {
			tx.Rollback()
			return wrap(s, "record blobs", err)
		}
	}
	return wrap(s, "record blobs", tx.Commit())
}

// Blobs returns the blobs recorded for a run, in offset order.
func (s *Store) Blobs(runID string) ([]Blob, error) {
	rows, err := s.db.Query(`SELECT digest, size, media_type, volume, offset, confirmed FROM run_blobs WHERE run_id=? ORDER BY volume, offset`, runID)
	if err != nil {
		return nil, wrap(s, "read blobs", err)
	}
	defer rows.Close()
	out := []Blob{}
	for rows.Next() {
		var b Blob
		if err := rows.Scan(&b.Digest, &b.Size, &b.MediaType, &b.Volume, &b.Offset, &b.Confirmed); err != nil {
			return nil, wrap(s, "read blobs", err)
		}
		out = append(out, b)
	}
	return out, wrap(s, "read blobs", rows.Err())
}

// AddMedium records a volume a run used.
func (s *Store) AddMedium(runID string, m Medium) error {
	_, err := s.db.Exec(`INSERT INTO media (run_id, label, device, sync_id, volume, last, bytes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		runID, m.Label, m.Device, m.SyncID, m.Volume, m.Last, m.Bytes, now())
	return wrap(s, "record medium", err)
}

// Media returns the volumes a run used.
func (s *Store) Media(runID string) ([]Medium, error) {
	rows, err := s.db.Query(`SELECT label, device, sync_id, volume, last, bytes, created_at FROM media WHERE run_id=? ORDER BY id`, runID)
	if err != nil {
		return nil, wrap(s, "read media", err)
	}
	defer rows.Close()
	out := []Medium{}
	for rows.Next() {
		var m Medium
		var created sql.NullString
		if err := rows.Scan(&m.Label, &m.Device, &m.SyncID, &m.Volume, &m.Last, &m.Bytes, &created); err != nil {
			return nil, wrap(s, "read media", err)
		}
		m.CreatedAt = parseTime(created)
		out = append(out, m)
	}
	return out, wrap(s, "read media", rows.Err())
}

// AppendLog adds lines to a run's log.
func (s *Store) AppendLog(runID string, lines []LogLine) error {
	if len(lines) == 0 {
		return nil
	}
	tx, err := s.db.Begin()
	if err != nil {
		return wrap(s, "write log", err)
	}
	var seq int
	if err := tx.QueryRow(`SELECT COALESCE(MAX(seq), 0) FROM run_log WHERE run_id=?`, runID).Scan(&seq); err != nil {
		tx.Rollback()
		return wrap(s, "write log", err)
	}
	for _, l := range lines {
		seq++
		if _, err := tx.Exec(`INSERT INTO run_log (run_id, seq, time, level, message) VALUES (?, ?, ?, ?, ?)`,
			runID, seq, l.Time.UTC().Format(time.RFC3339Nano), l.Level, l.Message); err != nil {
			tx.Rollback()
			return wrap(s, "write log", err)
		}
	}
	return wrap(s, "write log", tx.Commit())
}

// Log returns a run's log lines in order.
func (s *Store) Log(runID string) ([]LogLine, error) {
	rows, err := s.db.Query(`SELECT time, level, message FROM run_log WHERE run_id=? ORDER BY seq`, runID)
	if err != nil {
		return nil, wrap(s, "read log", err)
	}
	defer rows.Close()
	out := []LogLine{}
	for rows.Next() {
		var l LogLine
		var t sql.NullString
		if err := rows.Scan(&t, &l.Level, &l.Message); err != nil {
			return nil, wrap(s, "read log", err)
		}
		l.Time = parseTime(t)
		out = append(out, l)
	}
	return out, wrap(s, "read log", rows.Err())
}

func wrap(s *Store, what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("%s: %w", what, explain(s.path, err))
}

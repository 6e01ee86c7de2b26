package store

import (
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Document is a saved sources list or mapping rule set; every save is a
// new version so an operator can go back to what was sent last week.
type Document struct {
	Kind      string    `json:"kind"` // "sources" or "mapping"
	Name      string    `json:"name"`
	Version   int       `json:"version"`
	Content   string    `json:"content"`
	Meta      string    `json:"meta"` // JSON, e.g. {"mapper":"go-template"}
	CreatedAt time.Time `json:"createdAt"`
}

// SaveDocument stores a new version of a document and returns its version.
func (s *Store) SaveDocument(d Document) (int, error) {
	if d.Kind == "" || d.Name == "" {
		return 0, errors.New("save document: kind and name are required")
	}
	if d.Meta == "" {
		d.Meta = "{}"
	}
	tx, err := s.db.Begin()
	if err != nil {
		return 0, wrap(s, "save document", err)
	}
	var v int
	if err := tx.QueryRow(`SELECT COALESCE(MAX(version), 0) + 1 FROM documents WHERE kind=? AND name=?`, d.Kind, d.Name).Scan(&v); err != nil {
		tx.Rollback()
		return 0, wrap(s, "save document", err)
	}
	if _, err := tx.Exec(`INSERT INTO documents (kind, name, version, content, meta, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
		d.Kind, d.Name, v, d.Content, d.Meta, now()); err != nil {
		tx.Rollback()
		return 0, wrap(s, "save document", err)
	}
	return v, wrap(s, "save document", tx.Commit())
}

// Documents lists the newest version of every document of a kind, without content.
func (s *Store) Documents(kind string) ([]Document, error) {
	rows, err := s.db.Query(`SELECT kind, name, MAX(version), '', meta, created_at FROM documents WHERE kind=? GROUP BY name ORDER BY name`, kind)
	if err != nil {
		return nil, wrap(s, "list documents", err)
	}
	defer rows.Close()
	out := []Document{}
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, wrap(s, "list documents", err)
		}
		out = append(out, d)
	}
	return out, wrap(s, "list documents", rows.Err())
}

// Versions lists every version of one document, newest first, without content.
func (s *Store) Versions(kind, name string) ([]Document, error) {
	rows, err := s.db.Query(`SELECT kind, name, version, '', meta, created_at FROM documents WHERE kind=? AND name=? ORDER BY version DESC`, kind, name)
	if err != nil {
		return nil, wrap(s, "list versions", err)
	}
	defer rows.Close()
	out := []Document{}
	for rows.Next() {
		d, err := scanDocument(rows)
		if err != nil {
			return nil, wrap(s, "list versions", err)
		}
		out = append(out, d)
	}
	return out, wrap(s, "list versions", rows.Err())
}

// GetDocument returns one version of a document; version 0 means the newest.
func (s *Store) GetDocument(kind, name string, version int) (Document, error) {
	q := `SELECT kind, name, version, content, meta, created_at FROM documents WHERE kind=? AND name=? AND version=?`
	args := []any{kind, name, version}
	if version == 0 {
		q = `SELECT kind, name, version, content, meta, created_at FROM documents WHERE kind=? AND name=? ORDER BY version DESC LIMIT 1`
		args = args[:2]
	}
	d, err := scanDocument(s.db.QueryRow(q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("%s document %q version %d: %w", kind, name, version, ErrNotFound)
	}
	return d, wrap(s, "read document", err)
}

func scanDocument(sc interface{ Scan(...any) error }) (Document, error) {
	var d Document
	var created sql.NullString
	err := sc.Scan(&d.Kind, &d.Name, &d.Version, &d.Content, &d.Meta, &created)
	d.CreatedAt = parseTime(created)
	return d, err
}

// Preference returns a stored preference and whether it was set.
func (s *Store) Preference(key string) (string, bool, error) {
	var v string
	err := s.db.QueryRow(`SELECT value FROM preferences WHERE key=?`, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, wrap(s, "read preference", err)
}

// SetPreference stores a preference.
func (s *Store) SetPreference(key, value string) error {
	_, err := s.db.Exec(`INSERT INTO preferences (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value`, key, value)
	return wrap(s, "save preference", err)
}

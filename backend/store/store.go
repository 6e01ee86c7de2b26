// Package store keeps Ferry's history in SQLite: runs and their items, blobs
// written to media (the checkpoints a resume starts from), media, logs, saved
// documents and preferences. Only backend/jobs writes runs; the GUI and the
// CLI may share one database file at the same time.
package store

import (
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	sqlite3 "github.com/mattn/go-sqlite3"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is an open Ferry database. It is safe for concurrent use.
type Store struct {
	db   *sql.DB
	path string
}

// ErrNewerSchema is returned when the database was written by a newer Ferry.
var ErrNewerSchema = errors.New("database schema is newer than this binary")

// Open opens (creating if needed) the database at path and applies pending
// migrations. Runs left "running" by a process that no longer exists are
// marked interrupted.
func Open(path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create database folder: %w", err)
	}
	dsn := "file:" + path + "?_journal_mode=WAL&_foreign_keys=on&_busy_timeout=10000&_txlock=immediate&_synchronous=NORMAL"
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return nil, explain(path, err)
	}
	s := &Store{db: db, path: path}
	err = retryBusy(func() error {
		if err := s.migrate(); err != nil {
			return err
		}
		_, err := s.RecoverInterrupted()
		return err
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFiles, "migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		var v int
		if _, err := fmt.Sscanf(e.Name(), "%04d_", &v); err != nil {
			return nil, fmt.Errorf("migration %s: name must start with a four-digit version", e.Name())
		}
		b, err := migrationFiles.ReadFile("migrations/" + e.Name())
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("migration %s: versions must run 1, 2, 3... without gaps", m.name)
		}
	}
	return out, nil
}

// SchemaVersion is the newest schema this binary knows.
func SchemaVersion() int {
	ms, _ := migrations()
	return len(ms)
}

// migrate applies pending migrations in one write transaction (BEGIN
// IMMEDIATE, from _txlock in the DSN) and reads the schema version inside
// it, so processes opening a fresh database together apply each migration
// once: the others wait for the lock, then find nothing left to do.
func (s *Store) migrate() error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	tx, err := s.db.Begin()
	if err != nil {
		return explain(s.path, err)
	}
	defer tx.Rollback()
	var current int
	if err := tx.QueryRow("PRAGMA user_version").Scan(&current); err != nil {
		return explain(s.path, err)
	}
	if current > len(ms) {
		return fmt.Errorf("%w: %s has schema version %d, this Ferry knows up to %d; use a newer Ferry or another --db",
			ErrNewerSchema, s.path, current, len(ms))
	}
	if current == len(ms) {
		return nil
	}
	for _, m := range ms[current:] {
		if _, err := tx.Exec(m.sql); err != nil {
			return fmt.Errorf("migrate %s to version %d (%s): %w", s.path, m.version, m.name, explain(s.path, err))
		}
	}
	// PRAGMA does not take parameters; the version is an int we control.
	if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", len(ms))); err != nil {
		return explain(s.path, err)
	}
	return explain(s.path, tx.Commit())
}

// retryBusy runs step again while SQLite reports the database busy. The
// busy timeout already waits for ordinary locks; this covers the few cases
// where SQLite answers busy without waiting (another connection switching
// the file to WAL or recovering its log) during first use.
func retryBusy(step func() error) error {
	delay := 10 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := step()
		if err == nil || !isBusy(err) || attempt == busyAttempts {
			return err
		}
		time.Sleep(delay)
		delay *= 2
	}
}

// busyAttempts bounds retryBusy: 10 ms doubling to about 2.5 s in all.
const busyAttempts = 9

func isBusy(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.Code == sqlite3.ErrBusy || se.Code == sqlite3.ErrLocked)
}

// explain turns SQLite's terse errors into ones an operator can act on.
func explain(path string, err error) error {
	if err == nil {
		return nil
	}
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrNotADB, sqlite3.ErrCorrupt:
			return fmt.Errorf("the database %s is damaged or is not a Ferry database (%v); move it aside or choose another with --db", path, err)
		case sqlite3.ErrBusy, sqlite3.ErrLocked:
			return fmt.Errorf("the database %s is locked by another process for too long (%w); try again when it finishes", path, err)
		case sqlite3.ErrCantOpen, sqlite3.ErrPerm, sqlite3.ErrReadonly:
			return fmt.Errorf("cannot open the database %s for writing (%v); check the folder's permissions", path, err)
		}
	}
	if strings.Contains(err.Error(), "file is not a database") {
		return fmt.Errorf("the database %s is damaged or is not a Ferry database (%v); move it aside or choose another with --db", path, err)
	}
	return err
}

func now() string { return time.Now().UTC().Format(time.RFC3339Nano) }

func parseTime(s sql.NullString) time.Time {
	if !s.Valid {
		return time.Time{}
	}
	t, _ := time.Parse(time.RFC3339Nano, s.String)
	return t
}

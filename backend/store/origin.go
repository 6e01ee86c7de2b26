package store

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/user"
	"strings"
)

// Origin is who ran a run, where, and with which Ferry. Runs recorded
// before Ferry kept them have an empty operator and version.
type Origin struct {
	Host     string `json:"host"`
	Operator string `json:"operator"`
	Version  string `json:"version"`
}

// RunOrigin returns the origin recorded with a run.
func (s *Store) RunOrigin(id string) (Origin, error) {
	var o Origin
	err := s.db.QueryRow(`SELECT host, operator, version FROM runs WHERE id = ?`, id).Scan(&o.Host, &o.Operator, &o.Version)
	if errors.Is(err, sql.ErrNoRows) {
		return o, fmt.Errorf("run %s: %w", id, ErrNotFound)
	}
	return o, wrap(s, "read run", err)
}

// operator is the account running this process.
func operator() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

// ResolveRunID returns the run whose id is or starts with prefix (the
// short ids the window and the CLI print), refusing an ambiguous prefix.
func (s *Store) ResolveRunID(prefix string) (string, error) {
	if prefix == "" {
		return "", errors.New("give a run id")
	}
	rows, err := s.db.Query(`SELECT id FROM runs WHERE id >= ? AND id < ? ORDER BY id LIMIT 3`, prefix, prefix+"\xff")
	if err != nil {
		return "", wrap(s, "find run", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return "", wrap(s, "find run", err)
		}
		if id == prefix {
			return id, nil
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return "", wrap(s, "find run", err)
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("run %s: %w (ferry history list shows the runs)", prefix, ErrNotFound)
	case 1:
		return ids[0], nil
	}
	more := ""
	if len(ids) == 3 {
		more = ", ..."
	}
	return "", fmt.Errorf("run id %s is ambiguous: runs %s%s start so; give more of it", prefix, strings.Join(ids[:min(2, len(ids))], ", "), more)
}

package store

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/user"
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

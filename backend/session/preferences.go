package session

import (
	"encoding/json"
	"errors"

	"ferry/backend/config"
)

// Preferences are the operator's choices kept in the database.
type Preferences struct {
	Theme       string `json:"theme"` // system, light, dark
	BlockSize   string `json:"blockSize"`
	BufferSize  string `json:"bufferSize"`
	Concurrency int    `json:"concurrency"`
	DataDir     string `json:"dataDir"`
	StoreDir    string `json:"storeDir"`
}

const preferencesKey = "preferences"

// defaultPreferences take the transfer defaults from the configuration's
// ferry section, so the window and the CLI start from the same values.
func (s *Session) defaultPreferences() Preferences {
	p := Preferences{Theme: "system", BlockSize: "1Mi", BufferSize: "256Mi", Concurrency: 4,
		DataDir: s.Paths.DataDir, StoreDir: s.Paths.Store}
	if cfg, err := config.Load(nil); err == nil {
		p.BlockSize, p.BufferSize, p.Concurrency = cfg.Ferry.BlockSize.String(), cfg.Ferry.BufferSize.String(), cfg.Ferry.Concurrency
	}
	return p
}

// Preferences returns the saved preferences, defaults filled in.
func (s *Session) Preferences() (Preferences, error) {
	p := s.defaultPreferences()
	raw, ok, err := s.Store.Preference(preferencesKey)
	if err != nil || !ok {
		return p, err
	}
	if err := json.Unmarshal([]byte(raw), &p); err != nil {
		return s.defaultPreferences(), nil
	}
	return p, nil
}

// SavePreferences validates and stores preferences.
func (s *Session) SavePreferences(p Preferences) error {
	switch p.Theme {
	case "system", "light", "dark":
	default:
		return errors.New("theme must be system, light or dark")
	}
	if p.Concurrency < 1 || p.Concurrency > 64 {
		return errors.New("concurrency must be between 1 and 64")
	}
	if _, err := config.ParseSize(p.BlockSize); p.BlockSize != "" && err != nil {
		return errors.New("block size: " + err.Error())
	}
	if _, err := config.ParseSize(p.BufferSize); p.BufferSize != "" && err != nil {
		return errors.New("buffer size: " + err.Error())
	}
	b, _ := json.Marshal(p)
	return s.Store.SetPreference(preferencesKey, string(b))
}

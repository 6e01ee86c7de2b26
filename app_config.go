package main

import (
	"errors"

	"ferry/backend/config"
	"ferry/backend/textfile"
)

// ConfigView is the configuration file the Settings page edits.
type ConfigView struct {
	Path   string `json:"path"`
	Text   string `json:"text"`
	Exists bool   `json:"exists"` // false: Text is the commented sample, saved on first Save
}

// ConfigProblem is one problem of configuration text, at its position.
type ConfigProblem struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// GetConfig returns the configuration file in effect (as ferry's CLI would
// resolve it), or the sample when there is none yet.
func (a *App) GetConfig() (ConfigView, error) {
	path, err := config.Resolve(nil)
	if err != nil {
		return ConfigView{}, err
	}
	if path == "" {
		return ConfigView{Path: config.DefaultPath(), Text: config.Sample()}, nil
	}
	b, err := textfile.Read(path, textfile.Limit)
	if err != nil {
		return ConfigView{}, err
	}
	return ConfigView{Path: path, Text: string(b), Exists: true}, nil
}

// ValidateConfig checks configuration text as the operator types.
func (a *App) ValidateConfig(text string) []ConfigProblem {
	_, err := config.Parse("", []byte(text))
	return configProblems(err)
}

// SaveConfig validates and writes the configuration file atomically.
func (a *App) SaveConfig(text string) error {
	view, err := a.GetConfig()
	if err != nil {
		return err
	}
	return config.Save(view.Path, text)
}

func configProblems(err error) []ConfigProblem {
	out := []ConfigProblem{}
	if err == nil {
		return out
	}
	var list config.ErrorList
	var one *config.Error
	switch {
	case errors.As(err, &list):
		for _, e := range list {
			out = append(out, problemOf(e))
		}
	case errors.As(err, &one):
		out = append(out, problemOf(one))
	default:
		out = append(out, ConfigProblem{Message: err.Error()})
	}
	return out
}

// problemOf leaves the position to the editor and keeps the words.
func problemOf(e *config.Error) ConfigProblem {
	msg := e.Msg
	if e.Path != "" {
		msg = e.Path + ": " + msg
	}
	return ConfigProblem{Line: e.Line, Column: e.Column, Message: msg}
}

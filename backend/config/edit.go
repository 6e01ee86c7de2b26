package config

import (
	"errors"

	"ferry/backend/textfile"
)

// View is the configuration file the Settings page edits.
type View struct {
	Path   string `json:"path"`
	Text   string `json:"text"`
	Exists bool   `json:"exists"` // false: Text is the commented sample, saved on first Save
}

// Problem is one problem of configuration text, at its position.
type Problem struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// Current returns the configuration file in effect (as the CLI resolves
// it with no --config), or the sample when there is none yet.
func Current() (View, error) {
	path, err := Resolve(nil)
	if err != nil {
		return View{}, err
	}
	if path == "" {
		return View{Path: DefaultPath(), Text: Sample()}, nil
	}
	b, err := textfile.Read(path, textfile.Limit)
	if err != nil {
		return View{}, err
	}
	return View{Path: path, Text: string(b), Exists: true}, nil
}

// Problems lists the problems of configuration text, never nil.
func Problems(text string) []Problem {
	_, err := Parse("", []byte(text))
	out := []Problem{}
	if err == nil {
		return out
	}
	var list ErrorList
	var one *Error
	switch {
	case errors.As(err, &list):
		for _, e := range list {
			out = append(out, problemOf(e))
		}
	case errors.As(err, &one):
		out = append(out, problemOf(one))
	default:
		out = append(out, Problem{Message: err.Error()})
	}
	return out
}

// problemOf leaves the position to the editor and keeps the words.
func problemOf(e *Error) Problem {
	msg := e.Msg
	if e.Path != "" {
		msg = e.Path + ": " + msg
	}
	return Problem{Line: e.Line, Column: e.Column, Message: msg}
}

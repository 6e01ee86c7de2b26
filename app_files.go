package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"ferry/backend/textfile"
)

// Dialogs are the native file choosers; only the desktop window has them.
type Dialogs interface {
	OpenFile(title string) (string, error)
	SaveFile(title, defaultName string) (string, error)
}

// errNoDialogs tells the page to offer a typed path instead.
var errNoDialogs = errors.New("file dialogs are only available in the desktop window; type the path instead")

// ChooseOpenFile asks the operator for a file to open; "" when cancelled.
func (a *App) ChooseOpenFile(title string) (string, error) {
	if a.dialogs == nil {
		return "", errNoDialogs
	}
	return a.dialogs.OpenFile(title)
}

// ChooseSaveFile asks the operator where to save; "" when cancelled.
func (a *App) ChooseSaveFile(title, defaultName string) (string, error) {
	if a.dialogs == nil {
		return "", errNoDialogs
	}
	return a.dialogs.SaveFile(title, defaultName)
}

// ReadTextFile returns a text file's content for the editors. Only regular
// files are read, up to textfile.Limit: /dev/zero or a FIFO typed as a path
// fails at once instead of growing the process or hanging the call.
func (a *App) ReadTextFile(path string) (string, error) {
	b, err := textfile.Read(path, textfile.Limit)
	if err != nil {
		return "", err
	}
	text, err := textfile.Clean(string(b))
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	return text, nil
}

// WriteTextFile saves editor content atomically (temporary file, then rename),
// so a failed save never leaves half a file.
func (a *App) WriteTextFile(path, content string) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".ferry-save-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(content); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if fi, err := os.Stat(path); err == nil {
		os.Chmod(tmp.Name(), fi.Mode().Perm())
	} else {
		os.Chmod(tmp.Name(), 0o644)
	}
	return os.Rename(tmp.Name(), path)
}

package ops

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/renameio/v2"

	"ferry/backend/mapping"
)

// Text typed in the window (a sources list, mapping rules of a file-based
// type) is kept under the data directory as a file named by its digest, so
// the run's command line names a real file, a re-run finds the same rules,
// and the same text is kept once.

// Kept returns req with typed text replaced by the files Keep writes it
// to, without writing anything (for a command line shown before Start).
func Kept(dataDir string, req Request) Request {
	req, _ = kept(dataDir, req)
	return req
}

// Keep writes the typed text of req to its files and returns the request
// that names them.
func Keep(dataDir string, req Request) (Request, error) {
	req, files := kept(dataDir, req)
	for path, text := range files {
		if err := keepFile(path, text); err != nil {
			return req, err
		}
	}
	return req, nil
}

func kept(dataDir string, req Request) (Request, map[string]string) {
	files := map[string]string{}
	if req.SourcesText != "" && req.SourcesFile == "" {
		req.SourcesFile = keptPath(dataDir, "sources", "sources", ".list", req.SourcesText)
		files[req.SourcesFile] = req.SourcesText
		req.SourcesText = ""
	}
	if req.MapperKind != "" && req.Mapper == "" {
		if req.MapperKind == mapping.KindNest {
			req.Mapper = req.MapperKind + "=" + strings.TrimSpace(req.MapperRules)
		} else {
			ext := ".csv"
			if req.MapperKind == mapping.KindTemplate {
				ext = ".tmpl"
			}
			path := keptPath(dataDir, "rules", req.MapperKind, ext, req.MapperRules)
			files[path] = req.MapperRules
			req.Mapper = req.MapperKind + "=" + path
		}
		req.MapperKind, req.MapperRules = "", ""
	}
	return req, files
}

func keptPath(dataDir, dir, prefix, ext, text string) string {
	sum := sha256.Sum256([]byte(text))
	return filepath.Join(dataDir, dir, prefix+"-"+hex.EncodeToString(sum[:6])+ext)
}

// keepFile writes text to path unless it is there already (the name is
// the text's digest).
func keepFile(path, text string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	return renameio.WriteFile(path, []byte(text), 0o600)
}

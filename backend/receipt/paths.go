package receipt

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Where a data directory keeps receipts: this machine's site (its key,
// and the receipts it issued) and the book of receipts it imported.
func SiteDir(dataDir string) string   { return filepath.Join(dataDir, "site") }
func BookDir(dataDir string) string   { return filepath.Join(dataDir, "receipts") }
func IssuedDir(dataDir string) string { return filepath.Join(SiteDir(dataDir), "issued") }

// OpenOrNameSite opens the site kept in dir; on its first use without a
// name (a receipt written automatically after a deserialize) it is named
// after the host, which `ferry receipt site` shows.
func OpenOrNameSite(dir string) (*Site, error) {
	if _, err := os.Stat(filepath.Join(dir, "site.name")); errors.Is(err, fs.ErrNotExist) {
		return OpenSite(dir, DefaultSiteName())
	}
	return OpenSite(dir, "")
}

var notInName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// DefaultSiteName is the host name made a valid site name.
func DefaultSiteName() string {
	host, _ := os.Hostname()
	name := strings.Trim(notInName.ReplaceAllString(host, "-"), "-._")
	if len(name) > 64 {
		name = name[:64]
	}
	if CheckSiteName(name) != nil {
		return "site"
	}
	return name
}

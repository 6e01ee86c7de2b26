package receipt

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"aead.dev/minisign"
)

// Site is this machine's signing identity: a name and a minisign key pair
// kept in one directory (site.name, site.key with mode 0600, site.pub).
type Site struct {
	Name   string
	Public minisign.PublicKey
	key    minisign.PrivateKey
	dir    string
}

// OpenSite loads the site kept in dir, creating its key on first use.
// name may be empty once the site has one; a different name later is
// refused, because receipts already issued carry the first.
func OpenSite(dir, name string) (*Site, error) {
	stored, err := os.ReadFile(filepath.Join(dir, "site.name"))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if name == "" {
			return nil, errors.New("this machine has no site name yet: give one with --site NAME (it is kept for later receipts)")
		}
		return createSite(dir, name)
	case err != nil:
		return nil, fmt.Errorf("site: %w", err)
	}
	have := strings.TrimSpace(string(stored))
	if name != "" && name != have {
		return nil, fmt.Errorf("this machine is site %q (its receipts carry that name); --site %s cannot rename it", have, name)
	}
	return loadSite(dir, have)
}

func createSite(dir, name string) (*Site, error) {
	if err := CheckSiteName(name); err != nil {
		return nil, err
	}
	pub, priv, err := minisign.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("site key: %w", err)
	}
	privText, _ := priv.MarshalText()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("site: %w", err)
	}
	// The private key is written first and the name last, so a crash
	// leaves no name that points at a missing key.
	if err := writeNew(filepath.Join(dir, "site.key"), privText, 0o600); err != nil {
		return nil, err
	}
	if err := writeNew(filepath.Join(dir, "site.pub"), PublicKeyFile(name, pub), 0o644); err != nil {
		return nil, err
	}
	if err := writeNew(filepath.Join(dir, "site.name"), []byte(name+"\n"), 0o644); err != nil {
		return nil, err
	}
	return &Site{Name: name, Public: pub, key: priv, dir: dir}, nil
}

func loadSite(dir, name string) (*Site, error) {
	keyPath := filepath.Join(dir, "site.key")
	text, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("site %s: %w", name, err)
	}
	var priv minisign.PrivateKey
	if err := priv.UnmarshalText(text); err != nil {
		return nil, fmt.Errorf("site key %s: %w", keyPath, err)
	}
	pub, ok := priv.Public().(minisign.PublicKey)
	if !ok {
		return nil, fmt.Errorf("site key %s: no public key", keyPath)
	}
	return &Site{Name: name, Public: pub, key: priv, dir: dir}, nil
}

// PublicKeyPath is the site's public key file, for a security officer's
// `minisign -V -p` and for `ferry receipt trust` on the low side.
func (s *Site) PublicKeyPath() string { return filepath.Join(s.dir, "site.pub") }

// Sign gives a minisign signature of data (pre-hashed, as minisign 0.10
// and later make by default) whose trusted comment names the site.
func (s *Site) Sign(data []byte, what string) []byte {
	comment := fmt.Sprintf("ferry %s, site %s", what, s.Name)
	r := prehashed(data)
	return r.SignWithComments(s.key, comment, "signature from ferry site "+s.Name)
}

// prehashed gives a minisign Reader that has read data, so its Sign and
// Verify make or check pre-hashed signatures of exactly those bytes.
func prehashed(data []byte) *minisign.Reader {
	r := minisign.NewReader(bytes.NewReader(data))
	io.Copy(io.Discard, r) // reading a bytes.Reader cannot fail
	return r
}

// PublicKeyFile is a minisign public key file whose untrusted comment
// carries the site name, so `ferry receipt trust` can read it back.
func PublicKeyFile(site string, pub minisign.PublicKey) []byte {
	return []byte(fmt.Sprintf("untrusted comment: ferry site %s, minisign public key %s\n%s\n", site, KeyID(pub), pub.String()))
}

// ParsePublicKeyFile reads a minisign public key file; site is the name
// its comment gives when Ferry wrote it, else "".
func ParsePublicKeyFile(text []byte) (pub minisign.PublicKey, site string, err error) {
	if err := pub.UnmarshalText(text); err != nil {
		return pub, "", err
	}
	first, _, _ := strings.Cut(string(text), "\n")
	if rest, ok := strings.CutPrefix(first, "untrusted comment: ferry site "); ok {
		site, _, _ = strings.Cut(rest, ",")
	}
	return pub, site, nil
}

// KeyID is the key's ID as the minisign command prints it.
func KeyID(pub minisign.PublicKey) string {
	return strings.ToUpper(strconv.FormatUint(pub.ID(), 16))
}

// writeNew writes a file that must not exist yet: a site key is never
// overwritten.
func writeNew(path string, data []byte, mode os.FileMode) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return fmt.Errorf("site: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("site: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("site: %w", err)
	}
	return f.Close()
}

package receipt

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"aead.dev/minisign"
	"github.com/opencontainers/go-digest"

	"ferry/backend/config"
)

// Book is the low side's record of the sites it sends to: per site, the
// pinned public key and every receipt imported, each kept with its
// signature so it can be checked again later.
//
//	DIR/<site>/site.pub
//	DIR/<site>/<created>-<digest of the receipt>.json (+ .minisig)
type Book struct{ dir string }

// OpenBook uses dir, which need not exist yet.
func OpenBook(dir string) *Book { return &Book{dir: dir} }

// Trust pins a site's public key before any receipt of it arrives. A key
// file Ferry wrote names its site; site overrides or fills that in.
func (b *Book) Trust(keyFile []byte, site string) (string, minisign.PublicKey, error) {
	pub, named, err := ParsePublicKeyFile(keyFile)
	if err != nil {
		return "", pub, fmt.Errorf("public key: %w", err)
	}
	if site == "" {
		site = named
	}
	if site == "" {
		return "", pub, errors.New("the key file does not name its site: give --site NAME")
	}
	if err := CheckSiteName(site); err != nil {
		return "", pub, err
	}
	return site, pub, b.pin(site, pub)
}

// pin records pub as site's key, or checks it is the one already pinned.
func (b *Book) pin(site string, pub minisign.PublicKey) error {
	have, ok, err := b.Key(site)
	if err != nil {
		return err
	}
	if ok {
		if have.Equal(pub) {
			return nil
		}
		return fmt.Errorf("site %s is pinned to key %s, not %s: if the site really has a new key, remove %s and trust the new key with `ferry receipt trust`",
			site, KeyID(have), KeyID(pub), b.keyPath(site))
	}
	if err := os.MkdirAll(filepath.Join(b.dir, site), 0o755); err != nil {
		return err
	}
	return config.WriteFile(b.keyPath(site), PublicKeyFile(site, pub), 0o644)
}

// Key is the key pinned for site, if any.
func (b *Book) Key(site string) (minisign.PublicKey, bool, error) {
	var pub minisign.PublicKey
	text, err := os.ReadFile(b.keyPath(site))
	if errors.Is(err, fs.ErrNotExist) {
		return pub, false, nil
	}
	if err != nil {
		return pub, false, err
	}
	pub, _, err = ParsePublicKeyFile(text)
	if err != nil {
		return pub, false, fmt.Errorf("pinned key of site %s (%s): %w", site, b.keyPath(site), err)
	}
	return pub, true, nil
}

func (b *Book) keyPath(site string) string { return filepath.Join(b.dir, site, "site.pub") }

// Import checks a receipt and its signature and keeps them. The first
// receipt of a site pins the key it carries; any later one must be signed
// by that key. Importing the same receipt twice is harmless.
func (b *Book) Import(data, signature []byte) (Receipt, error) {
	r, err := Parse(data)
	if err != nil {
		return Receipt{}, err
	}
	var carried minisign.PublicKey
	if err := carried.UnmarshalText([]byte(r.PublicKey)); err != nil {
		return Receipt{}, fmt.Errorf("receipt of site %s: public key: %w", r.Site, err)
	}
	pinned, ok, err := b.Key(r.Site)
	if err != nil {
		return Receipt{}, err
	}
	signer := carried
	if ok {
		signer = pinned
	}
	if err := Verify(signer, data, signature); err != nil {
		if ok && !pinned.Equal(carried) {
			return Receipt{}, fmt.Errorf("receipt of site %s refused: it was signed by key %s, but site %s is pinned to key %s (%s)",
				r.Site, KeyID(carried), r.Site, KeyID(pinned), b.keyPath(r.Site))
		}
		return Receipt{}, fmt.Errorf("receipt of site %s refused: %w", r.Site, err)
	}
	if !ok {
		if err := b.pin(r.Site, carried); err != nil {
			return Receipt{}, err
		}
	}
	name := fmt.Sprintf("%s-%s.json", r.Created.UTC().Format("20060102T150405Z"), digest.FromBytes(data).Encoded()[:12])
	path := filepath.Join(b.dir, r.Site, name)
	if existing, err := os.ReadFile(path); err == nil && bytes.Equal(existing, data) {
		return r, nil
	}
	if err := config.WriteFile(path, data, 0o644); err != nil {
		return Receipt{}, err
	}
	return r, config.WriteFile(path+SignatureSuffix, signature, 0o644)
}

// Receipts of site, oldest first, each checked again against the pinned
// key as it is read, so a receipt edited in the book is not believed.
func (b *Book) Receipts(site string) ([]Receipt, error) {
	if err := CheckSiteName(site); err != nil {
		return nil, err
	}
	pub, ok, err := b.Key(site)
	if err != nil || !ok {
		return nil, err
	}
	paths, err := filepath.Glob(filepath.Join(b.dir, site, "*.json"))
	if err != nil {
		return nil, err
	}
	var out []Receipt
	for _, p := range paths {
		data, sig, err := ReadSigned(p)
		if err != nil {
			return nil, err
		}
		if err := Verify(pub, data, sig); err != nil {
			return nil, fmt.Errorf("kept receipt %s: %w", p, err)
		}
		r, err := Parse(data)
		if err != nil {
			return nil, fmt.Errorf("kept receipt %s: %w", p, err)
		}
		if r.Site != site {
			return nil, fmt.Errorf("kept receipt %s is of site %s, not %s", p, r.Site, site)
		}
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b Receipt) int { return a.Created.Compare(b.Created) })
	return out, nil
}

// Latest is site's newest receipt.
func (b *Book) Latest(site string) (Receipt, bool, error) {
	all, err := b.Receipts(site)
	if err != nil || len(all) == 0 {
		return Receipt{}, false, err
	}
	return all[len(all)-1], true, nil
}

// SiteSummary is one line of `ferry receipt list`.
type SiteSummary struct {
	Site     string    `json:"site"`
	KeyID    string    `json:"keyId"`
	Receipts int       `json:"receipts"`
	Latest   time.Time `json:"latest,omitzero"`
}

// Sites lists every site with a pinned key.
func (b *Book) Sites() ([]SiteSummary, error) {
	entries, err := os.ReadDir(b.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []SiteSummary
	for _, e := range entries {
		if !e.IsDir() || CheckSiteName(e.Name()) != nil {
			continue
		}
		pub, ok, err := b.Key(e.Name())
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		rs, err := b.Receipts(e.Name())
		if err != nil {
			return nil, err
		}
		s := SiteSummary{Site: e.Name(), KeyID: KeyID(pub), Receipts: len(rs)}
		if len(rs) > 0 {
			s.Latest = rs[len(rs)-1].Created
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b SiteSummary) int { return strings.Compare(a.Site, b.Site) })
	return out, nil
}

package report

import (
	"errors"
	"fmt"

	"aead.dev/minisign"

	"ferry/backend/receipt"
)

// Key is a public key a report may be signed by, with whose it is.
type Key struct {
	Name   string // "this site (high-a)", "site low-b"
	Public minisign.PublicKey
}

// ErrUnknownKey says a report is signed by none of the keys at hand.
var ErrUnknownKey = errors.New("signed by an unknown key")

// Sign writes data to path and, beside it, its minisign signature by the site.
func Sign(site *receipt.Site, path string, data []byte) error {
	return site.SignFile(path, data, "transfer report")
}

// Verify checks the report at path against its signature (path.minisig)
// and returns the key among keys that signed it.
func Verify(path string, keys []Key) (Key, error) {
	data, sig, err := receipt.ReadSigned(path)
	if err != nil {
		return Key{}, err
	}
	var s minisign.Signature
	if err := s.UnmarshalText(sig); err != nil {
		return Key{}, fmt.Errorf("%s%s is not a minisign signature: %w", path, receipt.SignatureSuffix, err)
	}
	for _, k := range keys {
		if k.Public.ID() != s.KeyID {
			continue
		}
		if err := receipt.Verify(k.Public, data, sig); err != nil {
			return k, fmt.Errorf("%s: %w (checked with the key of %s)", path, err, k.Name)
		}
		return k, nil
	}
	var known []string
	for _, k := range keys {
		known = append(known, fmt.Sprintf("%s (%s)", k.Name, receipt.KeyID(k.Public)))
	}
	have := "no key is at hand"
	if len(known) > 0 {
		have = fmt.Sprintf("the keys at hand are %v", known)
	}
	return Key{}, fmt.Errorf("%s: %w %X: %s; give the signer's public key with --key FILE", path, ErrUnknownKey, s.KeyID, have)
}

package receipt

import (
	"errors"
	"fmt"
	"os"
	"time"

	"aead.dev/minisign"

	"ferry/backend/config"
)

// SignatureSuffix is appended to a signed file's name for its detached
// minisign signature.
const SignatureSuffix = ".minisig"

// Issue completes r with the site's name and key, signs it, and writes
// the receipt to path and its signature to path+".minisig".
func (s *Site) Issue(r Receipt, path string) (Receipt, error) {
	r.Site = s.Name
	r.PublicKey = s.Public.String()
	if r.Created.IsZero() {
		r.Created = time.Now()
	}
	data, err := r.Marshal()
	if err != nil {
		return Receipt{}, err
	}
	if err := s.SignFile(path, data, "receipt"); err != nil {
		return Receipt{}, err
	}
	return Parse(data)
}

// SignFile writes data to path and its signature beside it. The
// signature is written last, so a signature never stands beside other
// bytes than the ones it signs.
func (s *Site) SignFile(path string, data []byte, what string) error {
	if err := config.WriteFile(path, data, 0o644); err != nil {
		return err
	}
	return config.WriteFile(path+SignatureSuffix, s.Sign(data, what), 0o644)
}

// ErrBadSignature says the bytes are not the ones their signature signed
// (edited by hand, cut short) or were signed by another key.
var ErrBadSignature = errors.New("the signature does not match")

// Verify checks data against a minisign signature made by pub.
func Verify(pub minisign.PublicKey, data, signature []byte) error {
	var sig minisign.Signature
	if err := sig.UnmarshalText(signature); err != nil {
		return fmt.Errorf("signature: %w", err)
	}
	if sig.KeyID != pub.ID() {
		return fmt.Errorf("%w: signed by key %X, expected key %s", ErrBadSignature, sig.KeyID, KeyID(pub))
	}
	if !prehashed(data).Verify(pub, signature) {
		return fmt.Errorf("%w: the content was changed after it was signed", ErrBadSignature)
	}
	return nil
}

// ReadSigned reads path and path+".minisig".
func ReadSigned(path string) (data, signature []byte, err error) {
	data, err = os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	signature, err = os.ReadFile(path + SignatureSuffix)
	if err != nil {
		return nil, nil, fmt.Errorf("%s has no signature beside it: %w", path, err)
	}
	return data, signature, nil
}

// Package receipt is the signed proof of what crossed the gap: the high
// side writes a receipt listing every digest that landed, signs it with its
// site key (minisign format, so the minisign command can check it), and the
// low side imports it into a book of receipts kept per site, pinning each
// site's public key on first use.
package receipt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
)

// Format names the receipt document; a reader refuses any other.
const Format = "ferry.receipt.v1"

// Receipt says what a site holds after a transfer landed.
type Receipt struct {
	Format string `json:"format"`
	Site   string `json:"site"`
	// PublicKey is the signer's minisign public key (base64), so the first
	// receipt of a site can pin it.
	PublicKey string    `json:"publicKey"`
	Created   time.Time `json:"created"`
	// SyncID and Volumes name the medium the receipt confirms, when it
	// was made after a deserialize; a receipt made on demand has none.
	SyncID     string   `json:"syncId,omitempty"`
	Volumes    []Volume `json:"volumes,omitempty"`
	Registry   string   `json:"registry"`
	Repository string   `json:"repository"`
	// Image is the reference the receipt was made for (a tag or digest).
	Image string `json:"image,omitempty"`
	// Digests is every digest present where the image landed, sorted and
	// without repeats: manifests and blobs alike.
	Digests []digest.Digest `json:"digests"`
	RunID   string          `json:"runId,omitempty"`
}

// Volume is one volume of the medium a receipt confirms.
type Volume struct {
	Name   string        `json:"name"`
	Size   int64         `json:"size,omitempty"`
	Digest digest.Digest `json:"digest,omitempty"`
}

var siteName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// CheckSiteName refuses names that could not be a directory name or would
// read ambiguously in a message.
func CheckSiteName(name string) error {
	if !siteName.MatchString(name) {
		return fmt.Errorf("site name %q: use 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

// Marshal gives the receipt's canonical bytes: the digests sorted and
// deduplicated, indented JSON, one trailing newline. These bytes are what
// is signed.
func (r Receipt) Marshal() ([]byte, error) {
	r.Format = Format
	r.Digests = sortedUnique(r.Digests)
	r.Created = r.Created.UTC()
	if err := r.validate(); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Parse reads a receipt's bytes strictly: unknown fields, another format
// or a malformed digest are errors.
func Parse(data []byte) (Receipt, error) {
	var r Receipt
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Receipt{}, fmt.Errorf("not a Ferry receipt: %w", err)
	}
	if r.Format != Format {
		return Receipt{}, fmt.Errorf("not a Ferry receipt: format %q, want %q", r.Format, Format)
	}
	return r, r.validate()
}

func (r Receipt) validate() error {
	if err := CheckSiteName(r.Site); err != nil {
		return err
	}
	if r.PublicKey == "" {
		return fmt.Errorf("receipt of site %s has no public key", r.Site)
	}
	for i, d := range r.Digests {
		if err := d.Validate(); err != nil {
			return fmt.Errorf("receipt digest %d (%q): %w", i+1, d, err)
		}
	}
	return nil
}

// Has reports whether the receipt lists d.
func (r Receipt) Has(d digest.Digest) bool {
	_, found := slices.BinarySearch(r.Digests, d)
	return found
}

// Describe is a one-line summary for logs and lists.
func (r Receipt) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "site %s, %s", r.Site, r.Created.UTC().Format(time.RFC3339))
	if r.SyncID != "" {
		fmt.Fprintf(&b, ", sync id %s", r.SyncID)
	}
	fmt.Fprintf(&b, ", %d digests in %s/%s", len(r.Digests), r.Registry, r.Repository)
	return b.String()
}

func sortedUnique(ds []digest.Digest) []digest.Digest {
	out := slices.Clone(ds)
	slices.Sort(out)
	return slices.Compact(out)
}

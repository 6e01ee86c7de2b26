package refs

import (
	"github.com/google/go-containerregistry/pkg/name"
)

// Destination is a place to push an image, normalised:
//
//	reg/repo                  -> reg/repo:latest            push to the tag
//	reg/repo:v1               -> reg/repo:v1                push to the tag
//	reg/repo@sha256:<hex>     -> reg/repo@sha256:<hex>      push by digest only, no tag
//	reg/repo:v1@sha256:<hex>  -> reg/repo:v1@sha256:<hex>   push to the tag; the image must have that digest
type Destination struct {
	Ref
}

// NormalizeDestination parses s as a destination and tags it "latest" when it
// has neither tag nor digest.
func NormalizeDestination(s string) (Destination, error) {
	r, err := Parse(s)
	if err != nil {
		return Destination{}, err
	}
	if r.tag == "" && r.digest == "" {
		r.tag = name.DefaultTag
		r.original += ":" + name.DefaultTag
		r.name = r.name.Context().Tag(name.DefaultTag)
	}
	return Destination{r}, nil
}

// Target returns what to push to: the tag when there is one, else the digest.
// When both are given the caller checks that the pushed image has
// PinnedDigest before reporting success.
func (d Destination) Target() name.Reference {
	if d.tag != "" && d.digest != "" {
		return d.name.Context().Tag(d.tag)
	}
	return d.name
}

// PinnedDigest returns the digest the pushed image must have, or "" for any.
func (d Destination) PinnedDigest() string { return d.digest }

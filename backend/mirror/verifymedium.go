package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/archive"
	"ferry/backend/medium"
)

// VerifyOptions are the options of `ferry mirror verify`.
type VerifyOptions struct {
	// Source is the medium: a file, a FIFO, "-" or a tape device.
	Source string `json:"source"`
	// Strict enforces the reference's entry order.
	Strict bool `json:"strict,omitempty"`
	// BlockSize is the first read size on a tape (see DeserializeOptions).
	BlockSize int `json:"blockSize,omitempty"`
	// AllowMissing accepts children that are not on the medium: blobs left
	// out on purpose because the far side has them (EXISTING-IMAGE, a
	// resumed run). They are still listed in the report.
	AllowMissing bool `json:"allowMissing,omitempty"`
}

// VerifyReport is what verify found on a medium.
type VerifyReport struct {
	Source      string        `json:"source"`
	Compression string        `json:"compression"`
	Root        v1.Descriptor `json:"root"`
	Tag         string        `json:"tag"`
	SyncID      string        `json:"syncId,omitempty"`
	Volume      string        `json:"volume,omitempty"`
	LastVolume  string        `json:"lastVolume,omitempty"`
	// FinalIndex is set when the final index.json was read.
	FinalIndex bool `json:"finalIndex"`
	// EndMarker is set when every archive ended with its end-of-archive marker.
	EndMarker bool `json:"endMarker"`
	// StreamDigest is "verified", "absent" (no vnd.ferry.stream.sha256,
	// e.g. written by the reference) or "mismatch".
	StreamDigest string          `json:"streamDigest"`
	Entries      int             `json:"entries"`
	Blobs        int             `json:"blobs"` // verified against their names
	Bytes        int64           `json:"bytes"`
	Manifests    []v1.Descriptor `json:"manifests"` // every manifest on the medium
	Referrers    []Referrer      `json:"referrers,omitempty"`
	// Missing are children (and listed manifests) not on the medium.
	Missing  []v1.Descriptor `json:"missing,omitempty"`
	Rejected []string        `json:"rejected,omitempty"`
	// Problems lists everything wrong; empty means the medium is sound.
	Problems []string `json:"problems,omitempty"`
	// Warnings are what limits the proof without being wrong: a medium
	// without a stream digest (written by the reference) is checked entry
	// by entry, not byte for byte.
	Warnings []string `json:"warnings,omitempty"`
}

// Referrer is a manifest on the medium whose subject is another manifest.
type Referrer struct {
	Digest       string `json:"digest"`
	ArtifactType string `json:"artifactType,omitempty"`
	Subject      string `json:"subject"`
}

// VerifyError is returned when verify found problems; the report has them.
type VerifyError struct{ Problems []string }

func (e *VerifyError) Error() string {
	return fmt.Sprintf("the medium has %d problems:\n  %s", len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// VerifyMedium reads a medium with no registry at all and checks it: every
// blob hashed against its name, every manifest's children (subject and
// index-fallback extra manifests included) present on the medium, the final
// index.json present, and, when the writer recorded it, the sha256 of the
// whole stream. It returns the report and, if anything is wrong, a
// *VerifyError listing every problem.
func VerifyMedium(ctx context.Context, env Env, o VerifyOptions) (VerifyReport, error) {
	rep := VerifyReport{Source: o.Source}
	r, closeFn, err := medium.OpenReader(o.Source, o.BlockSize)
	if err != nil {
		return rep, err
	}
	defer closeFn()
	return verifyFrom(ctx, env, r, o)
}

func verifyFrom(ctx context.Context, env Env, r io.Reader, o VerifyOptions) (VerifyReport, error) {
	rep := VerifyReport{Source: o.Source}
	ar, err := archive.NewReader(r, archive.Strict(o.Strict), archive.WithStreamDigest())
	if err != nil {
		return rep, err
	}
	defer ar.Close()
	rep.Compression = string(ar.Compression())
	d := newDeserializer(ctx, env, nil, ar)
	readErr := d.run(ar)
	if ctx.Err() != nil {
		return rep, ctx.Err()
	}
	if err := d.settle(ctx, true); err != nil {
		return rep, err
	}
	s := d.scan
	res := d.result(DeserializeResult{})
	rep.Entries, rep.Blobs, rep.Bytes, rep.Rejected = s.entries, res.Blobs, res.Bytes, res.Rejected
	rep.EndMarker = readErr == nil && ar.Complete()
	if readErr != nil {
		rep.Problems = append(rep.Problems, "reading stopped: "+readErr.Error())
	}
	for _, x := range rep.Rejected {
		rep.Problems = append(rep.Problems, fmt.Sprintf("blob %s: content does not match its name", x))
	}
	if s.root == nil {
		rep.Problems = append(rep.Problems, "no index.json: not a serialized archive")
		return rep, &VerifyError{Problems: rep.Problems}
	}
	rep.Root = *s.root
	rep.Root.Annotations = nil
	rep.Tag = s.rootTag
	rep.FinalIndex = s.finalSeen()
	if s.annots != nil {
		rep.SyncID = s.annots[archive.AnnotationSyncID]
		rep.Volume = s.annots[archive.AnnotationVolumeNumber]
		if rep.FinalIndex {
			// Only a final copy knows; the first copy of a single archive
			// says "true" before anything is written.
			rep.LastVolume = s.annots[archive.AnnotationVolumeLast]
		}
	}
	if !rep.FinalIndex {
		rep.Problems = append(rep.Problems, "the final index.json is missing: the medium was cut short")
	}
	rep.Problems = append(rep.Problems, checkMedium(s, rep.Rejected)...)
	switch {
	case len(s.streamBad) > 0:
		rep.StreamDigest = "mismatch"
		for _, b := range s.streamBad {
			rep.Problems = append(rep.Problems, "stream digest: "+b)
		}
	case s.streamChecks > 0:
		rep.StreamDigest = "verified"
	default:
		rep.StreamDigest = "absent"
		rep.Warnings = append(rep.Warnings, "no stream digest ("+archive.AnnotationStreamSHA256+"): the writer was not Ferry, so every entry, index.json and blob is checked, but the stream is not proven byte for byte (tar headers and padding before the final index.json)")
	}
	if s.manifests[s.root.Digest] == nil {
		rep.Problems = append(rep.Problems, fmt.Sprintf("the root %s is not on the medium", s.root.Digest))
	}
	for _, h := range d.heldOrder() {
		m := s.manifests[h]
		rep.Manifests = append(rep.Manifests, v1.Descriptor{MediaType: m.desc.MediaType, Digest: m.desc.Digest, Size: m.desc.Size, ArtifactType: m.desc.ArtifactType})
		if pm, err := parseManifest(m.raw); err == nil && pm.Subject != nil {
			rep.Referrers = append(rep.Referrers, Referrer{Digest: h.String(), ArtifactType: pm.ArtifactType, Subject: pm.Subject.Digest.String()})
		}
	}
	rep.Missing = d.missing()
	if len(rep.Missing) > 0 && !o.AllowMissing {
		for _, m := range rep.Missing {
			rep.Problems = append(rep.Problems, fmt.Sprintf("%s (%s, %d bytes) is referenced but not on the medium", m.Digest, m.MediaType, m.Size))
		}
	}
	if len(rep.Problems) > 0 {
		return rep, &VerifyError{Problems: rep.Problems}
	}
	env.logf("verified %s: %d blobs, %d manifests, %d referrers", o.Source, rep.Blobs, len(rep.Manifests), len(rep.Referrers))
	return rep, nil
}

// IsIncomplete reports whether err says a medium or transfer is incomplete.
func IsIncomplete(err error) bool {
	var ie *IncompleteError
	return errors.As(err, &ie)
}

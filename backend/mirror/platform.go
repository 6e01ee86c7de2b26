package mirror

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	digest "github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// parsePlatforms reads os/arch[/variant][:os.version] platforms; each flag
// value may list several, separated by commas. "all" means every platform:
// no filtering (the reference tool then keeps only manifests without a
// platform, which is never what was asked).
func parsePlatforms(ps []string) ([]ocispec.Platform, error) {
	var out []ocispec.Platform
	all := false
	for _, p := range ps {
		for _, one := range strings.Split(p, ",") {
			one = strings.TrimSpace(one)
			if one == "" {
				continue
			}
			if one == "all" {
				all = true
				continue
			}
			spec, osVersion, _ := strings.Cut(one, ":")
			parts := strings.Split(spec, "/")
			if len(parts) < 2 || len(parts) > 3 || slices.Contains(parts, "") {
				return nil, fmt.Errorf("invalid platform %q: write os/arch[/variant], e.g. linux/amd64", one)
			}
			pl := ocispec.Platform{OS: parts[0], Architecture: parts[1], OSVersion: osVersion}
			if len(parts) == 3 {
				pl.Variant = parts[2]
			}
			out = append(out, pl)
		}
	}
	if all {
		return nil, nil
	}
	return out, nil
}

// platformMatches reports whether got satisfies one of want, as the
// reference does: OS and architecture equal, variant and OS version equal
// where the wanted platform names one, and its OS features all present.
func platformMatches(got *ocispec.Platform, want []ocispec.Platform) bool {
	if got == nil {
		return false
	}
	for _, w := range want {
		if got.OS != w.OS || got.Architecture != w.Architecture ||
			(w.Variant != "" && got.Variant != w.Variant) ||
			(w.OSVersion != "" && got.OSVersion != w.OSVersion) {
			continue
		}
		if !subset(w.OSFeatures, got.OSFeatures) {
			continue
		}
		return true
	}
	return false
}

func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

func formatPlatform(p *ocispec.Platform) string {
	if p == nil || p.OS == "" && p.Architecture == "" {
		return "no platform"
	}
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	if p.OSVersion != "" {
		s += ":" + p.OSVersion
	}
	return s
}

func formatPlatforms(ps []ocispec.Platform) string {
	s := make([]string, len(ps))
	for i := range ps {
		s[i] = formatPlatform(&ps[i])
	}
	return strings.Join(s, ", ")
}

// platformPick is one manifest a source contributes under platform
// filtering: its descriptor as the gather index writes it (entry) and as
// the graph walks it (desc).
type platformPick struct {
	entry ocispec.Descriptor
	desc  v1.Descriptor
}

// pickPlatforms chooses what a source (desc, raw) contributes when only the
// platforms want are gathered:
//   - an index gives each child whose descriptor's platform matches, with
//     that descriptor as the index lists it; a child index whose own
//     descriptor does not match is searched in turn (the reference tool
//     crashes on an index of indexes);
//   - an image whose config is an OCI image config is kept when the
//     config's platform matches (a Docker v2 image is kept, as the
//     reference keeps it);
//   - anything else (signatures, charts, other artifacts) is kept as is.
//
// No pick means the source has nothing for those platforms; why says what
// it has instead, for the operator's warning.
func pickPlatforms(ctx context.Context, repo Repo, desc v1.Descriptor, raw []byte, want []ocispec.Platform) (picks []platformPick, why string, err error) {
	whole := []platformPick{{entry: ociDescriptor(desc), desc: desc}}
	switch {
	case IsIndex(desc.MediaType):
		var seen []string
		picks, err := pickFromIndex(ctx, repo, raw, want, &seen, 0)
		if err != nil {
			return nil, "", err
		}
		if len(picks) == 0 {
			if len(seen) == 0 {
				return nil, "its index lists no platform", nil
			}
			return nil, "its index has " + strings.Join(seen, ", "), nil
		}
		return picks, "", nil
	case desc.MediaType == types.OCIManifestSchema1 || desc.MediaType == types.DockerManifestSchema2:
		got, isImage, err := imagePlatform(ctx, repo, raw)
		if err != nil {
			return nil, "", err
		}
		if !isImage || platformMatches(got, want) {
			return whole, "", nil
		}
		return nil, "the image is " + formatPlatform(got), nil
	default:
		return whole, "", nil
	}
}

// pickFromIndex collects the children of the index raw that match want, in
// index order, searching child indexes that do not match as a whole. seen
// gathers the platforms found, for the warning when none match.
func pickFromIndex(ctx context.Context, repo Repo, raw []byte, want []ocispec.Platform, seen *[]string, depth int) ([]platformPick, error) {
	if depth > maxDepth {
		return nil, fmt.Errorf("indexes nested more than %d deep", maxDepth)
	}
	// The same bytes, read twice: as the index entry must repeat them, and
	// as the graph walks them.
	var entries struct {
		Manifests []ocispec.Descriptor `json:"manifests"`
	}
	var descs struct {
		Manifests []v1.Descriptor `json:"manifests"`
	}
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("parse index: %w", err)
	}
	if err := json.Unmarshal(raw, &descs); err != nil {
		return nil, fmt.Errorf("parse index: %w", err)
	}
	var picks []platformPick
	for i, e := range entries.Manifests {
		if platformMatches(e.Platform, want) {
			picks = append(picks, platformPick{entry: e, desc: descs.Manifests[i]})
			continue
		}
		if e.Platform != nil {
			*seen = append(*seen, formatPlatform(e.Platform))
		}
		if !IsIndex(descs.Manifests[i].MediaType) {
			continue
		}
		child, err := repo.Manifest(ctx, descs.Manifests[i])
		if err != nil {
			return nil, fmt.Errorf("nested index %s: %w", e.Digest, err)
		}
		nested, err := pickFromIndex(ctx, repo, child, want, seen, depth+1)
		if err != nil {
			return nil, fmt.Errorf("nested index %s: %w", e.Digest, err)
		}
		picks = append(picks, nested...)
	}
	return picks, nil
}

// imagePlatform reads the platform from an image's config. isImage is
// false when the config is not an image config (an artifact), which has no
// platform to filter on.
func imagePlatform(ctx context.Context, repo Repo, raw []byte) (p *ocispec.Platform, isImage bool, err error) {
	m, err := parseManifest(raw)
	if err != nil {
		return nil, false, err
	}
	// Only an OCI image config is filtered on, as the reference filters: a
	// Docker v2 image is kept whatever its platform, so the gather index is
	// the reference's byte for byte (docs/COMPATIBILITY.md).
	if m.Config == nil || m.Config.MediaType != types.OCIConfigJSON {
		return nil, false, nil
	}
	rc, err := repo.Blob(ctx, *m.Config)
	if err != nil {
		return nil, true, fmt.Errorf("image config: %w", err)
	}
	defer rc.Close()
	var cfg ocispec.Platform
	if err := json.NewDecoder(io.LimitReader(rc, m.Config.Size)).Decode(&cfg); err != nil {
		return nil, true, fmt.Errorf("image config %s: %w", m.Config.Digest, err)
	}
	return &cfg, true, nil
}

// ociDescriptor is the gather-index form of a resolved manifest: media
// type, digest and size, which is all the reference writes for it.
func ociDescriptor(d v1.Descriptor) ocispec.Descriptor {
	return ocispec.Descriptor{MediaType: string(d.MediaType), Digest: digest.Digest(d.Digest.String()), Size: d.Size}
}

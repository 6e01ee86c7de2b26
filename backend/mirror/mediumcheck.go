package mirror

import (
	"cmp"
	"fmt"
	"maps"
	"reflect"
	"regexp"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"ferry/backend/archive"
)

// maxProblems bounds the problems one check lists; the rest are counted.
const maxProblems = 200

var (
	volumeNumberRE = regexp.MustCompile(`^[1-9][0-9]{0,8}$`)
	sha256HexRE    = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// checkMedium proves that what a medium held is what a writer of the
// format puts there, beyond the digests of its blobs: every entry accounted
// for (no unknown names, no extra blobs, an oci-layout in every archive, no
// duplicate whose content differs, and none at all on a Ferry medium), both
// index.json copies strict and consistent with each other, their
// vnd.ferry fields well-formed (the stream digest required on a Ferry
// medium, and on a Ferry medium every index.json byte for byte as Ferry
// encodes it), and every descriptor's size and media type true of the blob
// the medium holds. Missing blobs and a stream cut short are not its
// business: the callers report those. rejected are the blobs the reader
// already reported as not matching their name.
//
// Verify and deserialize both call it, so deserialize refuses to tag what
// verify rejects.
func checkMedium(s *mediumScan, rejected []string) []string {
	c := &mediumCheck{s: s, rejected: map[string]bool{}, blobSize: map[v1.Hash]int64{}, onMedium: map[v1.Hash]bool{}}
	for _, r := range rejected {
		c.rejected[r] = true
	}
	c.ferry = s.writtenByFerry()
	c.many = len(s.inventories) > 1 || (len(s.inventories) == 1 && len(s.inventories[0].Archives) > 1)
	for vi, inv := range s.inventories {
		for ai, a := range inv.Archives {
			last := vi == len(s.inventories)-1 && ai == len(inv.Archives)-1
			c.archive(vi, a, last)
		}
	}
	c.descriptors()
	if n := len(c.problems) - maxProblems; n > 0 {
		c.problems = append(c.problems[:maxProblems], fmt.Sprintf("and %d more problems", n))
	}
	return c.problems
}

type mediumCheck struct {
	s        *mediumScan
	ferry    bool // some index.json carries a vnd.ferry key
	many     bool // more than one archive was read
	rejected map[string]bool
	// blobSize is the size of each blob a copy of which matched its name;
	// onMedium is every blob name met.
	blobSize map[v1.Hash]int64
	onMedium map[v1.Hash]bool
	problems []string
}

func (c *mediumCheck) add(format string, args ...any) {
	if len(c.problems) <= maxProblems {
		c.problems = append(c.problems, fmt.Sprintf(format, args...))
	} else {
		c.problems = append(c.problems, "") // counted only
	}
}

// writtenByFerry reports whether any index.json read carries a vnd.ferry
// key: a damaged key still leaves the others to give the writer away.
func (s *mediumScan) writtenByFerry() bool {
	for _, inv := range s.inventories {
		for _, a := range inv.Archives {
			for _, x := range a.Indexes {
				for k := range x.Index.Annotations {
					if archive.IsFerryKey(k) {
						return true
					}
				}
			}
		}
	}
	return false
}

// linkInventory records the inventory of a reader, once.
func (s *mediumScan) linkInventory(inv *archive.Inventory) {
	if inv != nil && !slices.Contains(s.inventories, inv) {
		s.inventories = append(s.inventories, inv)
	}
}

func (c *mediumCheck) archive(vol int, a *archive.ArchiveInventory, last bool) {
	where := "the medium"
	switch {
	case len(c.s.inventories) > 1:
		where = fmt.Sprintf("volume %d", vol+1)
		if a.Number > 0 {
			where += fmt.Sprintf(", archive %d (from offset %d)", a.Number+1, a.Start)
		}
	case c.many:
		where = fmt.Sprintf("archive %d (from offset %d)", a.Number+1, a.Start)
	}

	// Entries.
	if len(a.Layouts) == 0 {
		c.add("%s has no oci-layout", where)
	}
	for i, l := range a.Layouts {
		switch {
		case c.ferry && !l.Canonical:
			c.add("oci-layout at offset %d is not the one Ferry writes", l.Offset)
		case i > 0 && c.ferry:
			c.add("oci-layout at offset %d is a second copy: Ferry writes one", l.Offset)
		case i > 0 && !l.Same:
			c.add("oci-layout at offset %d differs from the first copy", l.Offset)
		}
	}
	for _, u := range a.Unknown {
		c.add("entry %q at offset %d is no part of an OCI layout", u.Name, u.Offset)
	}
	if n := a.UnknownCount - len(a.Unknown); n > 0 {
		c.add("%s holds %d more unknown entries", where, n)
	}
	for _, u := range a.AfterFinal {
		c.add("entry %q at offset %d follows the final index.json (only manifest.json may)", u.Name, u.Offset)
	}
	if n := a.AfterFinalCount - len(a.AfterFinal); n > 0 {
		c.add("%s holds %d more entries after its final index.json", where, n)
	}
	if len(a.DockerManifests) > 1 {
		c.add("%s holds %d manifest.json entries", where, len(a.DockerManifests))
	}
	for _, p := range a.BadPadding {
		c.add("the tar padding after entry %q at offset %d is not zeros", p.Name, p.Offset)
	}
	if n := a.BadPaddingCount - len(a.BadPadding); n > 0 {
		c.add("%s has %d more entries with padding that is not zeros", where, n)
	}
	if c.ferry {
		for name, n := range a.Directories {
			if n > 1 {
				c.add("%s holds the directory %q %d times: Ferry writes it once", where, name, n)
			}
		}
	}
	for _, h := range a.BlobOrder {
		b := a.Blobs[h]
		c.onMedium[h] = true
		if _, ok := c.blobSize[h]; !ok && b.Verified > 0 {
			c.blobSize[h] = b.Size
		}
		if c.ferry && b.Copies > 1 {
			c.add("blob %s is written %d times in %s: Ferry writes each blob once", h, b.Copies, where)
		}
		for _, off := range b.Mismatched {
			if off == b.Offset && c.rejected[h.String()] {
				continue // reported as rejected
			}
			if off == b.Offset {
				c.add("blob %s at offset %d: content does not match its name", h, off)
			} else {
				c.add("a later copy of blob %s at offset %d differs from its name (the duplicate is not the same content)", h, off)
			}
		}
	}

	// The index.json copies.
	switch n := len(a.Indexes); {
	case n == 0:
		c.add("%s holds no index.json", where)
		return
	case n > 2:
		c.add("%s holds %d index.json copies; an archive has two", where, n)
	case n == 1 && !last && a.Indexes[0].Index.Annotations[archive.AnnotationSerializationVersion] != "":
		c.add("%s ends before its final index.json", where)
	}
	for i, x := range a.Indexes {
		c.indexCopy(x, i == 1)
	}
	first := a.Indexes[0].Index
	if c.s.root != nil && len(first.Manifests) > 0 && first.Manifests[0].Digest != c.s.root.Digest {
		c.add("index.json at offset %d names the root %s, but the medium's root is %s", a.Indexes[0].Offset, first.Manifests[0].Digest, c.s.root.Digest)
	}
	if first.Annotations[archive.AnnotationSerializationVersion] != "" && len(first.Manifests) != 1 {
		c.add("the first index.json at offset %d lists %d manifests; it lists only the root", a.Indexes[0].Offset, len(first.Manifests))
	}
	if len(a.Indexes) >= 2 {
		c.copiesAgree(a.Indexes[0], a.Indexes[1])
	}
}

// indexCopy checks one index.json copy on its own.
func (c *mediumCheck) indexCopy(x archive.IndexRecord, final bool) {
	at := fmt.Sprintf("index.json at offset %d", x.Offset)
	if x.Strict != nil {
		c.add("%s: %v", at, x.Strict)
	}
	if c.ferry && !x.Canonical {
		c.add("%s is not byte for byte what Ferry writes for its content: it was altered", at)
	}
	if c.ferry && !x.HeaderCanonical {
		c.add("the tar header of %s is not the one Ferry writes", at)
	}
	if len(x.Index.Manifests) == 0 {
		c.add("%s lists no manifest", at)
	}
	ann := x.Index.Annotations
	for _, k := range slices.Sorted(maps.Keys(ann)) {
		if archive.IsFerryKey(k) && !archive.KnownFerryKey(k) {
			c.add("%s: unknown annotation %q", at, k)
		}
	}
	if v, ok := ann[archive.AnnotationSerializationVersion]; ok && v != archive.SerializationVersion {
		c.add("%s: serialization version %q, not %s", at, v, archive.SerializationVersion)
	}
	num, hasNum := ann[archive.AnnotationVolumeNumber]
	lastV, hasLast := ann[archive.AnnotationVolumeLast]
	sum, hasSum := ann[archive.AnnotationStreamSHA256]
	sync, hasSync := ann[archive.AnnotationSyncID]
	if hasNum && !volumeNumberRE.MatchString(num) {
		c.add("%s: volume number %q is not a positive integer", at, num)
	}
	if hasLast && lastV != "true" && lastV != "false" {
		c.add("%s: %s is %q, not \"true\" or \"false\"", at, archive.AnnotationVolumeLast, lastV)
	}
	if (hasNum || hasLast) && (!hasSync || sync == "") {
		c.add("%s has volume fields but no sync id", at)
	}
	if hasSync && !hasNum {
		c.add("%s has a sync id but no volume number", at)
	}
	switch {
	case hasSum && !final:
		c.add("%s is the first copy but carries a stream digest", at)
	case hasSum && !sha256HexRE.MatchString(sum):
		c.add("%s: stream digest %q is not a lower-case hex sha256", at, sum)
	case final && c.ferry && !hasSum:
		c.add("%s was written by Ferry but carries no stream digest (%s)", at, archive.AnnotationStreamSHA256)
	}
	if final && c.ferry && !hasLast {
		c.add("%s was written by Ferry but does not say whether its volume is the last", at)
	}
}

// copiesAgree checks that an archive's final index.json keeps what the
// first one says: the same root, and the same annotations but for the
// stream digest (final copy only) and the last flag (which the first copy
// of a multi-volume run cannot know yet).
func (c *mediumCheck) copiesAgree(first, final archive.IndexRecord) {
	a, b := first.Index, final.Index
	if len(a.Manifests) > 0 && len(b.Manifests) > 0 && !reflect.DeepEqual(a.Manifests[0], b.Manifests[0]) {
		c.add("the final index.json at offset %d lists the root as %s, the first copy as %s", final.Offset, describe(b.Manifests[0]), describe(a.Manifests[0]))
	}
	keys := map[string]bool{}
	for k := range a.Annotations {
		keys[k] = true
	}
	for k := range b.Annotations {
		keys[k] = true
	}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		va, inA := a.Annotations[k]
		vb, inB := b.Annotations[k]
		switch {
		case k == archive.AnnotationStreamSHA256:
		case k == archive.AnnotationVolumeLast && !inA:
		case !inA:
			c.add("the final index.json at offset %d has annotation %q, which the first copy lacks", final.Offset, k)
		case !inB:
			c.add("the final index.json at offset %d lacks annotation %q of the first copy", final.Offset, k)
		case va != vb:
			c.add("annotation %q is %q in the final index.json at offset %d, %q in the first copy", k, vb, final.Offset, va)
		}
	}
}

// descriptors checks every descriptor the medium holds (index.json copies
// and the manifests on it) against the blob it names, and that every blob
// on the medium is named by one.
func (c *mediumCheck) descriptors() {
	s := c.s
	named := map[v1.Hash]bool{}
	// How parents name each manifest, for the listings of the final copies.
	asChild := map[v1.Hash][]v1.Descriptor{}
	type seenKey struct {
		d  v1.Hash
		mt types.MediaType
		sz int64
	}
	seen := map[seenKey]bool{}
	manifestsNotHeld := map[v1.Hash]bool{}
	check := func(d v1.Descriptor, by string) {
		named[d.Digest] = true
		if IsManifest(d.MediaType) && s.manifests[d.Digest] == nil {
			manifestsNotHeld[d.Digest] = true
		}
		k := seenKey{d.Digest, d.MediaType, d.Size}
		if seen[k] {
			return
		}
		seen[k] = true
		size, ok := c.blobSize[d.Digest]
		if !ok {
			return // not on the medium, or rejected: reported by the caller
		}
		if d.Size != size {
			c.add("%s names %s with size %d, but the blob on the medium is %d bytes", by, d.Digest, d.Size, size)
		}
		if !IsManifest(d.MediaType) {
			return
		}
		m := s.manifests[d.Digest]
		if m == nil {
			c.add("%s names %s as a manifest (%s), but its bytes on the medium are not one", by, d.Digest, d.MediaType)
			return
		}
		if why := manifestKindProblem(d.MediaType, m.raw); why != "" {
			c.add("%s names %s as %s, but %s", by, d.Digest, d.MediaType, why)
		}
	}
	for _, h := range slices.SortedFunc(maps.Keys(s.manifests), func(a, b v1.Hash) int { return cmp.Compare(a.String(), b.String()) }) {
		m := s.manifests[h]
		for _, ch := range m.children {
			check(ch, "manifest "+h.String())
			asChild[ch.Digest] = append(asChild[ch.Digest], ch)
		}
	}
	for _, inv := range s.inventories {
		for _, a := range inv.Archives {
			for i, x := range a.Indexes {
				for j, d := range x.Index.Manifests {
					check(d, fmt.Sprintf("index.json at offset %d", x.Offset))
					if !IsManifest(d.MediaType) {
						c.add("index.json at offset %d lists %s with media type %q, which is no manifest type", x.Offset, d.Digest, d.MediaType)
					}
					m := s.manifests[d.Digest]
					if i == 0 || j == 0 || m == nil {
						continue // the root, or not on the medium
					}
					if parents := asChild[d.Digest]; len(parents) > 0 {
						if !slices.ContainsFunc(parents, func(p v1.Descriptor) bool { return reflect.DeepEqual(p, d) }) {
							c.add("the final index.json at offset %d lists %s as %s, unlike any manifest that names it", x.Offset, d.Digest, describe(d))
						}
					} else if why := referrerListingProblem(d, m.raw); why != "" {
						c.add("the final index.json at offset %d lists %s, which no manifest names, but %s", x.Offset, d.Digest, why)
					}
				}
			}
		}
	}
	// A blob no descriptor names is extra only when the whole graph is
	// known: a manifest not on the medium (an earlier volume, a cut
	// medium's lost final index.json) may name it.
	if !s.finalSeen() || len(manifestsNotHeld) > 0 {
		return
	}
	for _, inv := range s.inventories {
		for _, a := range inv.Archives {
			for _, h := range a.BlobOrder {
				if !named[h] {
					named[h] = true // once
					c.add("blob %s at offset %d is named by nothing on the medium: an extra entry", h, a.Blobs[h].Offset)
				}
			}
		}
	}
}

// manifestKindProblem says why raw is not a manifest of media type want,
// or "" when it is.
func manifestKindProblem(want types.MediaType, raw []byte) string {
	if declared := mediaTypeOf(raw); declared != "" && declared != want {
		return fmt.Sprintf("its bytes are %s", declared)
	}
	if want == types.DockerManifestSchema1 || want == types.DockerManifestSchema1Signed {
		return "" // legacy: no structure to compare
	}
	got := sniffManifest(raw)
	switch {
	case got == "":
		return "its bytes are not an image manifest or index"
	case IsIndex(want) && !IsIndex(got):
		return "its bytes are an image manifest, not an index"
	case !IsIndex(want) && IsIndex(got):
		return "its bytes are an index, not an image manifest"
	}
	return ""
}

// referrerListingProblem says why d, listed in a final index.json without
// a parent naming it, is not the listing of the referrer raw, as the
// referrers API gives it: its artifact type (or its config's media type)
// and its annotations. A registry that leaves those out of its answer
// leaves them out of the listing too, which is accepted.
func referrerListingProblem(d v1.Descriptor, raw []byte) string {
	pm, err := parseManifest(raw)
	if err != nil || pm.Subject == nil {
		return "it is no referrer"
	}
	want := pm.ArtifactType
	if want == "" && pm.Config != nil {
		want = string(pm.Config.MediaType)
	}
	if d.ArtifactType != "" && d.ArtifactType != want {
		return fmt.Sprintf("its artifact type %q is not the referrer's %q", d.ArtifactType, want)
	}
	if len(d.Annotations) > 0 && !maps.Equal(d.Annotations, pm.Annotations) {
		return fmt.Sprintf("its annotations %v are not the referrer's %v", d.Annotations, pm.Annotations)
	}
	if d.Platform != nil || len(d.URLs) > 0 || len(d.Data) > 0 {
		return "it carries fields a referrer listing has not"
	}
	return ""
}

func describe(d v1.Descriptor) string {
	return fmt.Sprintf("%s (%s, %d bytes, annotations %v)", d.Digest, d.MediaType, d.Size, d.Annotations)
}

package mirror

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sort"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// What a deserializer does once entries are in: push the manifests whose
// graphs are complete, look up in the target what the medium left out, and
// say what is still missing.

// settle pushes every held manifest whose children are all present,
// repeatedly, since each push may complete another's children. At the end
// (final), children still absent are looked up in the target once, and a
// manifest wanted but not on this medium is read back from the target when
// an earlier medium left it there as a blob.
func (d *deserializer) settle(ctx context.Context, final bool) error {
	s := d.scan
	checked := map[NodeKey]bool{}
	for {
		d.mu.Lock()
		dirty := d.dirty
		d.dirty = false
		d.mu.Unlock()
		if !dirty && !final {
			return nil
		}
		progressed := false
		for _, h := range d.heldOrder() {
			m := s.manifests[h]
			if m.pushed {
				continue
			}
			ready := true
			for _, c := range m.children {
				k := KeyOf(c)
				if d.isPresent(k) {
					continue
				}
				if final && d.dst != nil && !checked[k] && (k.Role == RoleBlob || s.manifests[c.Digest] == nil) {
					checked[k] = true
					found, err := d.lookUp(ctx, c)
					if err != nil {
						return err
					}
					if found {
						progressed = true
						if d.isPresent(k) {
							continue
						}
					}
				}
				ready = false
				break
			}
			if !ready {
				continue
			}
			m.pushed = true
			progressed = true
			if err := d.pushManifest(ctx, m, final); err != nil {
				return err
			}
		}
		if !progressed {
			return nil
		}
	}
}

// lookUp asks the target for a node that did not come on the medium. A
// manifest is read back from the target's blobs first, where an earlier
// (cut) medium left its bytes: then it is held, its children are checked,
// and settle puts it as a manifest. Only when the target has no such blob
// is it asked for as a manifest: a registry that holds a manifest's bytes as
// a blob answers that it has the manifest, children or not. found reports
// whether anything changed.
func (d *deserializer) lookUp(ctx context.Context, c v1.Descriptor) (found bool, err error) {
	if RoleOf(c) == RoleManifest && d.scan.manifests[c.Digest] == nil {
		raw, err := d.readBack(ctx, c)
		if err != nil {
			return false, err
		}
		if raw != nil {
			if _, err := d.scan.addManifest(d.scan.manifestDesc(c.Digest, int64(len(raw)), raw), raw); err != nil {
				return false, err
			}
			d.setPresent(d.scan.blobDesc(c.Digest, int64(len(raw))), nil, false)
			return true, nil
		}
	}
	has, err := d.dst.Has(ctx, c)
	if err != nil {
		return false, fmt.Errorf("checking %s in %s: %w", c.Digest, d.dst, err)
	}
	if has {
		d.setPresent(c, nil, false)
	}
	return has, nil
}

// readBack reads a manifest's bytes from the target's blobs, verified
// against the digest; nil when the target does not hold them as a blob.
func (d *deserializer) readBack(ctx context.Context, c v1.Descriptor) ([]byte, error) {
	b := d.scan.blobDesc(c.Digest, c.Size)
	if c.Size > maxKnownManifestSize {
		return nil, nil
	}
	has, err := d.dst.Has(ctx, b)
	if err != nil || !has {
		return nil, err
	}
	rc, err := d.dst.Blob(ctx, b)
	if err != nil {
		return nil, fmt.Errorf("reading %s back from %s: %w", c.Digest, d.dst, err)
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, maxKnownManifestSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s back from %s: %w", c.Digest, d.dst, err)
	}
	if h, _, err := v1.SHA256(bytes.NewReader(raw)); err != nil || h != c.Digest {
		return nil, nil // not what it claims: leave it missing
	}
	return raw, nil
}

// heldOrder lists held manifests in a stable order (children first is not
// required: settle repeats until nothing more can be pushed).
func (d *deserializer) heldOrder() []v1.Hash {
	out := make([]v1.Hash, 0, len(d.scan.manifests))
	for h := range d.scan.manifests {
		out = append(out, h)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// lookUpListed checks the target for listed manifests that did not come
// on the medium (an earlier part may have delivered them), then settles
// what that made ready.
func (d *deserializer) lookUpListed(ctx context.Context) error {
	if d.dst == nil {
		return nil
	}
	changed := false
	for _, h := range d.scan.order {
		desc := d.scan.listed[h]
		if !IsManifest(desc.MediaType) || d.isPresent(KeyOf(desc)) || d.scan.manifests[h] != nil {
			continue // a listing without a manifest media type cannot be asked for as one
		}
		found, err := d.lookUp(ctx, desc)
		if err != nil {
			return err
		}
		changed = changed || found
	}
	if changed {
		return d.settle(ctx, true)
	}
	return nil
}

// missing lists what the target lacks to hold the whole transfer: a walk
// from the root and every listed manifest through held manifests, each
// child in its role. A manifest pushed stands for its whole graph.
func (d *deserializer) missing() []v1.Descriptor {
	s := d.scan
	var out []v1.Descriptor
	seen := map[NodeKey]bool{}
	var walk func(desc v1.Descriptor, role Role)
	walk = func(desc v1.Descriptor, role Role) {
		k := NodeKey{desc.Digest, role}
		if seen[k] || d.isPresent(k) {
			return
		}
		seen[k] = true
		if m := s.manifests[desc.Digest]; role == RoleManifest && m != nil {
			for _, c := range m.children {
				walk(c, RoleOf(c))
			}
			return
		}
		out = append(out, v1.Descriptor{MediaType: desc.MediaType, Digest: desc.Digest, Size: desc.Size})
	}
	if s.root != nil {
		walk(*s.root, RoleManifest)
	}
	for _, h := range s.order {
		walk(s.listed[h], RoleManifest)
	}
	return out
}

package ops

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/mirror"
	"ferry/backend/store"
)

// ResumeSerialize rebuilds the options of an interrupted serialize (or
// archive) run so the operator never types an offset: the same gather
// index, by the digest the run was sending (not by its tag, which may have
// moved since), the same settings, the blobs every earlier run of the chain
// delivered marked as delivered, and the next part's destination. The
// caller may replace Dest. Force is never carried over: a resume does not
// overwrite an existing file unless its caller asks again.
func ResumeSerialize(st *store.Store, id string) (mirror.SerializeOptions, error) {
	run, err := st.GetRun(id)
	if err != nil {
		return mirror.SerializeOptions{}, fmt.Errorf("resume %s: %w", id, err)
	}
	switch run.Status {
	case store.StatusSucceeded:
		return mirror.SerializeOptions{}, fmt.Errorf("resume %s: that run completed; there is nothing left to send", id)
	case store.StatusRunning:
		return mirror.SerializeOptions{}, fmt.Errorf("resume %s: that run is still running", id)
	}
	o, err := StoredSerialize(st, id)
	if err != nil {
		return o, err
	}
	root, err := sentRoot(st, id)
	if err != nil {
		return o, err
	}
	if root != "" {
		if o, err = o.Pinned(root); err != nil {
			return o, fmt.Errorf("resume %s: %w", id, err)
		}
	}
	delivered := map[v1.Hash]bool{}
	part := 1
	for run, depth := id, 0; run != "" && depth < 100; depth++ {
		blobs, err := st.Blobs(run)
		if err != nil {
			return o, err
		}
		for _, b := range blobs {
			if h, err := v1.NewHash(b.Digest); err == nil && b.Confirmed {
				delivered[h] = true
			}
		}
		part++
		prev, err := StoredSerialize(st, run)
		if err != nil {
			return o, err
		}
		run = prev.Resume
	}
	for h := range delivered {
		o.Delivered = append(o.Delivered, h)
	}
	o.Resume = id
	o.CheckpointFile = "" // a resumed run writes a new ledger only when asked
	o.Force = false       // each front end decides again whether to overwrite
	o.Dest = PartName(o.Dest, part)
	return o, nil
}

// sentRoot returns the digest of the gather index run id was sending, as
// Serialize records it (an item with status planned) before it writes
// anything; "" for a run that recorded none (one that failed before, or was
// recorded by an earlier version, which is then resumed by its reference).
func sentRoot(st *store.Store, id string) (string, error) {
	items, err := st.Items(id)
	if err != nil {
		return "", fmt.Errorf("resume %s: %w", id, err)
	}
	for _, it := range items {
		if it.Status == mirror.ItemPlanned && it.Digest != "" {
			return it.Digest, nil
		}
	}
	return "", nil
}

// StoredSerialize reads the serialize options a serialize or archive run
// was started with.
func StoredSerialize(st *store.Store, id string) (mirror.SerializeOptions, error) {
	var o mirror.SerializeOptions
	run, err := st.GetRun(id)
	if err != nil {
		return o, fmt.Errorf("resume %s: %w", id, err)
	}
	switch run.Kind {
	case string(Serialize):
		if err := json.Unmarshal([]byte(run.Options), &o); err != nil {
			return o, fmt.Errorf("resume %s: reading its options: %w", id, err)
		}
	case string(Archive):
		var a mirror.ArchiveOptions
		if err := json.Unmarshal([]byte(run.Options), &a); err != nil {
			return o, fmt.Errorf("resume %s: reading its options: %w", id, err)
		}
		o = a.Serialize
		o.Source, o.SourceLayout, o.Tag = a.Reference, a.StoreDir, a.Reference
		if o.Source == "" {
			o.Source, o.Tag = "latest", "latest"
		}
	default:
		return o, fmt.Errorf("resume %s: that run is a %s, not a serialize or archive", id, run.Kind)
	}
	return o, nil
}

// partSuffix is the part number PartName replaces: only a trailing
// .part<digits>, so db.partition.tar keeps its name.
var partSuffix = regexp.MustCompile(`\.part[0-9]+$`)

// PartName derives the next part's path: sync-45.tar -> sync-45.part2.tar.
// Devices, pipes and standard output keep their path (load the next tape).
func PartName(dest string, part int) string {
	if fi, err := os.Stat(dest); dest == "-" || (err == nil && !fi.Mode().IsRegular()) {
		return dest
	}
	dir, base := filepath.Split(dest)
	stem, ext := base, ""
	for _, e := range []string{".tar.gz", ".tar.zst", ".tgz", ".tar"} {
		if strings.HasSuffix(base, e) {
			stem, ext = strings.TrimSuffix(base, e), e
			break
		}
	}
	stem = partSuffix.ReplaceAllString(stem, "")
	return filepath.Join(dir, fmt.Sprintf("%s.part%d%s", stem, part, ext))
}

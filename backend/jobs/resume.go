package jobs

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/mirror"
	"ferry/backend/store"
)

// ResumeSerialize rebuilds the options of an interrupted serialize (or
// archive) run so the operator never types an offset: same source and
// settings, the blobs every earlier run of the chain delivered marked as
// delivered, and the next part's destination. The caller may replace Dest.
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
	o.Dest = PartName(o.Dest, part)
	return o, nil
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
	case "serialize":
		if err := json.Unmarshal([]byte(run.Options), &o); err != nil {
			return o, fmt.Errorf("resume %s: reading its options: %w", id, err)
		}
	case "archive":
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
	if i := strings.LastIndex(stem, ".part"); i >= 0 {
		stem = stem[:i]
	}
	return filepath.Join(dir, fmt.Sprintf("%s.part%d%s", stem, part, ext))
}

package ops

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/mapping"
	"ferry/backend/mirror"
	"ferry/backend/progress"
	"ferry/backend/refs"
)

// Plan is the summary shown before Start: what will move and where.
type Plan struct {
	Images      int      `json:"images"`
	BytesTotal  int64    `json:"bytesTotal"`
	BytesDedup  int64    `json:"bytesDedup"` // after blob deduplication
	Destination string   `json:"destination"`
	FreeBytes   int64    `json:"freeBytes"` // free space at a file destination; -1 unknown
	Warnings    []string `json:"warnings"`
	// BytesSaved is what an incremental serialize leaves out (blob bytes
	// the site's receipt or an earlier run lists), Incremental says what
	// and where the medium must be read; zero and "" otherwise.
	BytesSaved  int64  `json:"bytesSaved"`
	Incremental string `json:"incremental"`
	// Mapping counts the destinations of the entries being operated on
	// (scatter: the gather index; unarchive: the medium's), nil when the
	// rules do not compile.
	Mapping *mapping.Counts `json:"mapping"`
}

// PlanFor looks at the request's inputs without copying anything: sources
// are resolved, gather indexes read, media sized. env reaches registries;
// the plan of an incremental serialize reads the history and receipts of rt
// to tell the bytes it saves.
func PlanFor(ctx context.Context, env mirror.Env, req Request, rt Runtime) (Plan, error) {
	p := Plan{FreeBytes: -1, Warnings: []string{}}
	p.Destination, p.FreeBytes = destinationOf(req)
	switch req.Kind {
	case Gather, Clone, Archive:
		srcs, err := selectedSources(req, Runtime{})
		if err != nil {
			return p, err
		}
		list := make([]string, len(srcs))
		for i, s := range srcs {
			list[i] = s.Ref
		}
		for _, in := range mirror.Inspect(ctx, env, list) {
			if in.Error != "" {
				p.Warnings = append(p.Warnings, in.Ref+": "+in.Error)
				continue
			}
			p.Images++
			p.BytesTotal += in.Size
		}
		p.BytesDedup = p.BytesTotal // per image; shared layers are counted once by gather itself
		if req.Kind != Clone {
			drops, err := mirror.PlatformWarnings(ctx, env, srcs, req.Platforms)
			if err != nil {
				return p, err
			}
			p.Warnings = append(p.Warnings, drops...)
		}
	case Serialize, Scatter:
		entries, ann, err := ReadGatherIndex(ctx, env, req.Image)
		if err != nil {
			return p, err
		}
		p.Images = len(entries)
		p.BytesTotal, _ = strconv.ParseInt(ann[mirror.AnnotationSizeTotal], 10, 64)
		p.BytesDedup, _ = strconv.ParseInt(ann[mirror.AnnotationSizeDedup], 10, 64)
		if req.Kind == Serialize {
			if err := planIncremental(ctx, env, req, rt, &p); err != nil {
				return p, err
			}
			if need := p.BytesDedup - p.BytesSaved; p.FreeBytes >= 0 && p.FreeBytes < need {
				p.Warnings = append(p.Warnings, fmt.Sprintf("the destination has %s free but the transfer needs about %s",
					progress.HumanBytes(p.FreeBytes), progress.HumanBytes(need)))
			}
		} else {
			p.Mapping = mappingCounts(ctx, req, entries)
		}
	case Deserialize, Unarchive, Verify:
		fi, err := os.Stat(req.Path)
		if err != nil {
			return p, fmt.Errorf("the medium %s: %w", req.Path, err)
		}
		if fi.Mode().IsRegular() {
			p.BytesTotal, p.BytesDedup = fi.Size(), fi.Size()
			// Only a file is read ahead: a tape read would move the tape.
			if entries, err := mediumEntries(req.Path); err == nil {
				p.Images = len(entries)
				p.Mapping = mappingCounts(ctx, req, entries)
			} else {
				p.Warnings = append(p.Warnings, "images: unknown until it runs ("+err.Error()+")")
			}
		}
	default:
		return p, fmt.Errorf("no plan for operation %q", req.Kind)
	}
	return p, nil
}

// destinationOf names where a request writes, for people, and the free
// space there when it is a file.
func destinationOf(req Request) (string, int64) {
	switch req.Kind {
	case Gather, Deserialize:
		return "registry " + req.Image, -1
	case Scatter, Clone, Unarchive:
		return "destinations from the mapping rules", -1
	case Serialize, Archive:
		return describePath(req.Path)
	}
	return "nothing: the medium is only read", -1
}

// mappingCounts counts the destinations the request's rules give the
// entries being operated on; nil for kinds without rules, or rules that do
// not compile (the form says why).
func mappingCounts(ctx context.Context, req Request, entries []v1.Descriptor) *mapping.Counts {
	if req.Kind != Scatter && req.Kind != Unarchive {
		return nil
	}
	m, err := mapperOf(req, Runtime{})
	if err != nil {
		return nil
	}
	c := mapping.PreviewContext(ctx, entries, m).Counts
	return &c
}

// ReadGatherIndex reads the entries and annotations of a gather index
// from its registry.
func ReadGatherIndex(ctx context.Context, env mirror.Env, ref string) ([]v1.Descriptor, map[string]string, error) {
	r, err := refs.Parse(ref)
	if err != nil {
		return nil, nil, err
	}
	_, raw, err := env.Open(r.Name().Context()).Resolve(ctx, r.Name().Identifier())
	if err != nil {
		return nil, nil, err
	}
	entries, err := mirror.GatherEntries(raw)
	if err != nil {
		return nil, nil, err
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(raw, &idx); err != nil {
		return nil, nil, err
	}
	return entries, idx.Annotations, nil
}

// describePath names a medium for people and finds the free space of a
// file destination's folder.
func describePath(path string) (string, int64) {
	if path == "" {
		return "no medium chosen", -1
	}
	if path == "-" {
		return "standard output", -1
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return "tape " + path, -1
	}
	return "file " + path, FreeBytes(filepath.Dir(path))
}

// FreeBytes is the space left to an unprivileged writer in dir's file
// system; -1 when it cannot be told.
func FreeBytes(dir string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return -1
	}
	return int64(st.Bavail) * int64(st.Bsize)
}

// planIncremental works out what an incremental serialize leaves out, the
// way the run will decide it.
func planIncremental(ctx context.Context, env mirror.Env, req Request, rt Runtime, p *Plan) error {
	o, err := serializeOptions(Request{Path: or(req.Path, "-"), Existing: req.Existing, ExistingFromCheckpoint: req.ExistingFromCheckpoint,
		Referrers: req.Referrers, SinceReceipt: req.SinceReceipt, SinceRun: req.SinceRun, IncludeUnconfirmed: req.IncludeUnconfirmed})
	if err != nil || !incremental(o) {
		return err
	}
	o.Source = req.Image
	om, err := sinceOf(o, rt)
	if err != nil {
		return err
	}
	s, err := mirror.PlanSavings(ctx, env, withOmission(mirror.Env{}, o, om))
	if err != nil {
		return err
	}
	p.BytesSaved, p.Incremental = s.SkippedBytes, savedNote(om, s)
	for _, m := range om.unconfirmed {
		p.Warnings = append(p.Warnings, "sends again the content of medium "+m.String()+", which no receipt confirms")
	}
	return nil
}

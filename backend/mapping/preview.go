package mapping

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/refs"
)

// Severity tells whether a problem blocks the job or only deserves a look.
type Severity string

// Severities of a Problem.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// What a Problem is about, for the GUI to pick icons and filters.
const (
	ProblemMappingFailed      = "mapping-failed"      // error: the rule could not be applied (template error, no source)
	ProblemInvalidDestination = "invalid-destination" // error: the rule produced something that is not a reference
	ProblemCollision          = "collision"           // error: different images land on the same tag
	ProblemDigestMismatch     = "digest-mismatch"     // error: the destination pins a digest the image does not have
	ProblemNoDestination      = "no-destination"      // warning: no rule matched, the image is skipped
	ProblemSameAsSource       = "same-as-source"      // warning: the destination is the source itself
)

// Problem is one finding about one row of a preview.
type Problem struct {
	Severity    Severity `json:"severity"`
	Kind        string   `json:"kind"`
	Destination string   `json:"destination,omitempty"` // the destination concerned, if any
	Message     string   `json:"message"`
}

// Row is the preview of one gather-index entry.
type Row struct {
	Source       string    `json:"source"`
	Digest       string    `json:"digest,omitempty"`
	Destinations []string  `json:"destinations"` // normalised, valid ones only
	Problems     []Problem `json:"problems,omitempty"`
}

// Counts summarises a preview.
type Counts struct {
	Sources      int `json:"sources"`
	Destinations int `json:"destinations"`
	Problems     int `json:"problems"` // errors plus warnings
	Errors       int `json:"errors"`
	Warnings     int `json:"warnings"`
	Unmatched    int `json:"unmatched"` // rows mapped to no destination without an error
}

// Result is what Preview returns: one row per entry, in entry order.
type Result struct {
	Rows   []Row  `json:"rows"`
	Counts Counts `json:"counts"`
}

// OK reports whether nothing in the preview blocks the job.
func (r Result) OK() bool { return r.Counts.Errors == 0 }

// Preview is PreviewContext without a way to stop it early; each template
// run still has its budget.
func Preview(entries []v1.Descriptor, m Mapper) Result {
	return PreviewContext(context.Background(), entries, m)
}

// PreviewContext applies m to every entry and reports where each image
// would land and what is wrong with it. Destinations are normalised
// (":latest" added when there is no tag or digest) and deduplicated within
// a row. Entries may lack a digest when a sources list is previewed before
// gather; then two different sources on one tag count as a collision.
//
// Once ctx is done, or a template has run out of time on one entry, the
// remaining entries are not mapped: each row says why, and a preview of
// thousands of entries does not spend the time limit on every one.
func PreviewContext(ctx context.Context, entries []v1.Descriptor, m Mapper) Result {
	res := Result{Rows: make([]Row, len(entries))}
	landings := map[string][]landing{} // destination repo:tag -> images landing there

	var halt string // why the remaining entries are not mapped
	for i, entry := range entries {
		row := &res.Rows[i]
		row.Source = entry.Annotations[SourceAnnotation]
		row.Digest = digestOf(entry)
		row.Destinations = []string{}

		if halt == "" && ctx.Err() != nil {
			halt = "not mapped: " + context.Cause(ctx).Error()
		}
		if halt != "" {
			row.add(SeverityError, ProblemMappingFailed, "", halt)
			continue
		}
		raw, err := m.Map(ctx, entry)
		if err != nil {
			row.add(SeverityError, ProblemMappingFailed, "", err.Error())
			if errors.Is(err, errTimedOut) {
				halt = "not mapped: the template ran out of time on " + row.Source
			}
			continue
		}
		var srcCanonical string
		if src, err := refs.Parse(row.Source); err == nil {
			srcCanonical = src.Canonical()
		}
		seen := map[string]bool{}
		for _, r := range raw {
			dest, err := refs.NormalizeDestination(r)
			if err != nil {
				row.add(SeverityError, ProblemInvalidDestination, r, "invalid destination: "+err.Error())
				continue
			}
			canonical := dest.Canonical()
			if seen[canonical] {
				continue
			}
			seen[canonical] = true
			row.Destinations = append(row.Destinations, dest.String())

			if canonical == srcCanonical {
				row.add(SeverityWarning, ProblemSameAsSource, dest.String(), "destination is the source itself")
			}
			if pin := dest.PinnedDigest(); pin != "" && row.Digest != "" && pin != row.Digest {
				row.add(SeverityError, ProblemDigestMismatch, dest.String(), fmt.Sprintf("destination pins %s but the image is %s", pin, row.Digest))
			}
			if dest.Tag() != "" {
				key := dest.Target().Name()
				landings[key] = append(landings[key], landing{row: i, dest: dest.String(), image: imageIdentity(row.Digest, srcCanonical, row.Source)})
			}
		}
		if len(raw) == 0 {
			row.add(SeverityWarning, ProblemNoDestination, "", "no rule matches this source; it is skipped")
			res.Counts.Unmatched++
		}
	}

	flagCollisions(res.Rows, landings)

	res.Counts.Sources = len(entries)
	for _, row := range res.Rows {
		res.Counts.Destinations += len(row.Destinations)
		for _, p := range row.Problems {
			if p.Severity == SeverityError {
				res.Counts.Errors++
			} else {
				res.Counts.Warnings++
			}
		}
	}
	res.Counts.Problems = res.Counts.Errors + res.Counts.Warnings
	return res
}

// landing is one image arriving at a destination tag.
type landing struct {
	row   int
	dest  string
	image string
}

// imageIdentity tells images apart: by digest when known, else by source.
func imageIdentity(digest, srcCanonical, src string) string {
	switch {
	case digest != "":
		return digest
	case srcCanonical != "":
		return srcCanonical
	}
	return src
}

// flagCollisions marks every row whose tag also receives a different image,
// naming the other sources. The same image twice on one tag is harmless.
func flagCollisions(rows []Row, landings map[string][]landing) {
	keys := make([]string, 0, len(landings))
	for k, ls := range landings {
		if len(ls) > 1 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys) // stable problem order for the GUI

	for _, k := range keys {
		ls := landings[k]
		for _, l := range ls {
			var others []string
			for _, o := range ls {
				if o.image != l.image && !slices.Contains(others, rows[o.row].Source) {
					others = append(others, rows[o.row].Source)
				}
			}
			if len(others) == 0 {
				continue
			}
			rows[l.row].add(SeverityError, ProblemCollision, l.dest,
				fmt.Sprintf("%s also receives %s", l.dest, strings.Join(others, ", ")))
		}
	}
}

func (r *Row) add(sev Severity, kind, dest, msg string) {
	r.Problems = append(r.Problems, Problem{Severity: sev, Kind: kind, Destination: dest, Message: msg})
}

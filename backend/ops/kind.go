// Package ops turns an operator's request into a job. The window and the
// CLI fill the same Request (from a form or from flags) and hand it to
// Build; CommandLine gives the command a request is, so history shows, for
// a run from either front end, a line that runs as is in a terminal.
package ops

import "fmt"

// Kind names an operation. It is the run kind history records.
type Kind string

// The operations of `ferry mirror`, and the two follow-ups of a recorded run.
const (
	Gather      Kind = "gather"
	Serialize   Kind = "serialize"
	Deserialize Kind = "deserialize"
	Scatter     Kind = "scatter"
	Clone       Kind = "clone"
	Archive     Kind = "archive"
	Unarchive   Kind = "unarchive"
	Verify      Kind = "verify"
	Diff        Kind = "diff"
	// BatchSerialize and BatchDeserialize are the reference's batch verbs:
	// numbered archives of a sync directory and its CSV tracker.
	BatchSerialize   Kind = "batch-serialize"
	BatchDeserialize Kind = "batch-deserialize"
	// Resume continues an interrupted serialize, archive or deserialize run.
	Resume Kind = "resume"
	// Rerun runs again only the images a scatter or clone run failed.
	Rerun Kind = "rerun"
)

// Kinds lists every kind, the mirror verbs first.
func Kinds() []Kind {
	return []Kind{Gather, Serialize, Deserialize, Scatter, Clone, Archive, Unarchive, Verify, Diff, BatchSerialize, BatchDeserialize, Resume, Rerun}
}

// ParseKind checks a kind's name.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds() {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown operation %q", s)
}

// Mirror reports whether k is a `ferry mirror` verb (not a follow-up).
func (k Kind) Mirror() bool { return k != Resume && k != Rerun && k != "" }

// Resumable reports whether runs of kind k continue from a checkpoint.
func (k Kind) Resumable() bool { return k == Serialize || k == Archive || k == Deserialize }

// Reruns reports whether runs of kind k re-run their failed images.
func (k Kind) Reruns() bool { return k == Scatter || k == Clone }

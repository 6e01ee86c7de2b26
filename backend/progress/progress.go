// Package progress defines the typed events that long operations report.
// It is a leaf package so that mirror, archive and medium can report progress
// without knowing who listens (jobs turns events into UI events, bars and rows).
package progress

import "fmt"

// Event is one progress report. Counters are cumulative, never deltas, so a
// listener that drops events still shows the right totals.
type Event struct {
	Phase      string  `json:"phase"`                // e.g. "resolve", "copy", "write", "push"
	BytesDone  int64   `json:"bytesDone"`            // bytes finished so far
	BytesTotal int64   `json:"bytesTotal"`           // 0 when unknown
	ItemsDone  int     `json:"itemsDone"`            // images/blobs finished so far
	ItemsTotal int     `json:"itemsTotal"`           // 0 when unknown
	Current    string  `json:"current,omitempty"`    // the image or blob being worked on
	BufferFill float64 `json:"bufferFill,omitempty"` // write buffer fill 0..1, media writes only
	Message    string  `json:"message,omitempty"`    // a line worth showing in a log
}

// Func receives events. Implementations must be cheap and safe for
// concurrent use; operations call it from several goroutines.
type Func func(Event)

// Nop discards events.
func Nop(Event) {}

// Or returns f, or Nop when f is nil, so callers never check for nil.
func Or(f Func) Func {
	if f == nil {
		return Nop
	}
	return f
}

// HumanBytes renders a byte count with binary units, e.g. "1.5 GiB".
func HumanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

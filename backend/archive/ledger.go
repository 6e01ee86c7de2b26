package archive

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"strconv"
	"strings"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxLedgerLine bounds one ledger line (a descriptor may embed data).
const maxLedgerLine = 16 << 20

// Ledger writes the checkpoint ledger: one JSON line per blob, in write
// order, holding the descriptor as found in its parent plus the
// vnd.act3-ace.data.offset annotation. A line is written only once the
// medium has confirmed the entry's bytes (see Confirm), so the ledger never
// claims more than the medium holds. It is safe for concurrent use: Record
// runs on the producer, Confirm typically on the medium's drain goroutine.
type Ledger struct {
	mu        sync.Mutex
	enc       *json.Encoder
	confirmed int64
	pending   []pendingLine
	err       error
}

type pendingLine struct {
	desc v1.Descriptor
	end  Position
}

// NewLedger returns a Ledger writing to w.
func NewLedger(w io.Writer) *Ledger {
	return &Ledger{enc: json.NewEncoder(w)}
}

// Record queues the line for a blob whose entry ends at end (as returned by
// Writer.WriteBlob); it is written as soon as end.Sink bytes are confirmed.
// It returns the first write error so far.
func (l *Ledger) Record(desc v1.Descriptor, end Position) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = append(l.pending, pendingLine{desc: desc, end: end})
	l.flushLocked()
	return l.err
}

// Confirm tells the ledger that the first n bytes handed to the medium are
// on it; its signature fits medium.WithConfirm. Write errors are kept for
// Record and Err.
func (l *Ledger) Confirm(n int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n > l.confirmed {
		l.confirmed = n
	}
	l.flushLocked()
}

// Pending reports how many lines wait for confirmation.
func (l *Ledger) Pending() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.pending)
}

// Err returns the first error writing the ledger.
func (l *Ledger) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

func (l *Ledger) flushLocked() {
	i := 0
	for ; i < len(l.pending) && l.err == nil && l.pending[i].end.Sink <= l.confirmed; i++ {
		l.err = l.enc.Encode(ledgerLine(l.pending[i].desc, l.pending[i].end.Stream))
		if l.err != nil {
			l.err = fmt.Errorf("writing checkpoint ledger: %w", l.err)
		}
	}
	l.pending = l.pending[i:]
}

func ledgerLine(d v1.Descriptor, offset int64) specDescriptor {
	d.Annotations = maps.Clone(d.Annotations)
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[AnnotationOffset] = strconv.FormatInt(offset, 10)
	return toSpec(d)
}

// LedgerEntry is one line of a checkpoint ledger.
type LedgerEntry struct {
	Descriptor v1.Descriptor // as written, offset annotation included
	Offset     int64         // end of the entry on the uncompressed stream
	Line       int           // line number in the ledger, from 1
}

// ReadLedger parses a whole ledger. A malformed line is an error naming its
// line number, except a final line without a newline, which a crash may
// have cut short: it is ignored.
func ReadLedger(r io.Reader) ([]LedgerEntry, error) {
	br := bufio.NewReader(r)
	var out []LedgerEntry
	for line := 1; ; line++ {
		text, err := readLine(br)
		if errors.Is(err, io.EOF) && text == "" {
			return out, nil
		}
		last := errors.Is(err, io.EOF)
		if err != nil && !last {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		if strings.TrimSpace(text) == "" {
			if last {
				return out, nil
			}
			continue
		}
		e, perr := parseLedgerLine(text)
		if perr != nil {
			if last {
				return out, nil
			}
			return nil, fmt.Errorf("line %d: %w", line, perr)
		}
		e.Line = line
		out = append(out, e)
		if last {
			return out, nil
		}
	}
}

// readLine returns one line without its newline, and io.EOF when the line
// had no newline (or there was none).
func readLine(br *bufio.Reader) (string, error) {
	var sb strings.Builder
	for {
		chunk, err := br.ReadSlice('\n')
		if sb.Len()+len(chunk) > maxLedgerLine {
			return "", fmt.Errorf("longer than %d bytes", maxLedgerLine)
		}
		sb.Write(chunk)
		switch {
		case err == nil:
			return strings.TrimSuffix(strings.TrimSuffix(sb.String(), "\n"), "\r"), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return sb.String(), err
		}
	}
}

func parseLedgerLine(text string) (LedgerEntry, error) {
	var d v1.Descriptor
	if err := json.Unmarshal([]byte(text), &d); err != nil {
		return LedgerEntry{}, fmt.Errorf("not a JSON descriptor: %w", err)
	}
	raw, ok := d.Annotations[AnnotationOffset]
	if !ok {
		return LedgerEntry{}, fmt.Errorf("descriptor %s has no %s annotation", d.Digest, AnnotationOffset)
	}
	off, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || off < 0 {
		return LedgerEntry{}, fmt.Errorf("descriptor %s: invalid offset %q", d.Digest, raw)
	}
	return LedgerEntry{Descriptor: d, Offset: off}, nil
}

// Checkpoint is a parsed --existing-from-checkpoint FILE:OFFSET argument.
type Checkpoint struct {
	Path   string
	Offset int64
}

// ParseCheckpoint parses FILE:OFFSET. FILE may itself contain ':', so the
// split is on the last one.
func ParseCheckpoint(arg string) (Checkpoint, error) {
	i := strings.LastIndex(arg, ":")
	if i < 0 {
		return Checkpoint{}, fmt.Errorf("checkpoint %q: want FILE:OFFSET", arg)
	}
	file, rawOff := arg[:i], arg[i+1:]
	if file == "" {
		return Checkpoint{}, fmt.Errorf("checkpoint %q: missing FILE before ':'", arg)
	}
	off, err := strconv.ParseInt(rawOff, 10, 64)
	if err != nil || off < 0 {
		return Checkpoint{}, fmt.Errorf("checkpoint %q: OFFSET %q is not a non-negative whole number of bytes", arg, rawOff)
	}
	return Checkpoint{Path: file, Offset: off}, nil
}

// Delivered returns the blobs the checkpoint's ledger records strictly
// below its offset, keyed by digest. Offset 0 means nothing was delivered
// (the ledger is not even opened).
func (c Checkpoint) Delivered() (map[v1.Hash]v1.Descriptor, error) {
	if c.Offset == 0 {
		return map[v1.Hash]v1.Descriptor{}, nil
	}
	f, err := os.Open(c.Path)
	if err != nil {
		return nil, fmt.Errorf("checkpoint ledger: %w", err)
	}
	defer f.Close()
	entries, err := ReadLedger(f)
	if err != nil {
		return nil, fmt.Errorf("checkpoint ledger %s: %w", c.Path, err)
	}
	return Delivered(entries, c.Offset), nil
}

// Delivered returns the descriptors of entries that end strictly below
// offset, keyed by digest (without the offset annotation).
func Delivered(entries []LedgerEntry, offset int64) map[v1.Hash]v1.Descriptor {
	out := map[v1.Hash]v1.Descriptor{}
	for _, e := range entries {
		if e.Offset < offset {
			d := e.Descriptor
			d.Annotations = maps.Clone(d.Annotations)
			delete(d.Annotations, AnnotationOffset)
			if len(d.Annotations) == 0 {
				d.Annotations = nil
			}
			out[d.Digest] = d
		}
	}
	return out
}

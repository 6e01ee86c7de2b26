// Package digestcheck proves content against its name: the digest (with
// go-digest, as the bytes pass) and the size a descriptor gives. It is the
// one digest verifier of the engine: the archive writer and reader and the
// repositories mirror reads blobs from all check through it.
package digestcheck

import (
	"errors"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/opencontainers/go-digest"
)

// ErrMismatch means content does not match its digest.
var ErrMismatch = errors.New("blob content does not match its digest")

// Verifier hashes what is written to it and says whether it is the content
// its digest names.
type Verifier struct {
	want digest.Digest
	d    digest.Digester
	n    int64
}

// New returns a Verifier for h. A malformed digest, or one whose algorithm
// has no implementation here, is an error.
func New(h v1.Hash) (*Verifier, error) {
	want := digest.Digest(h.String())
	if err := want.Validate(); err != nil {
		return nil, fmt.Errorf("digest %q: %w", h, err)
	}
	return &Verifier{want: want, d: want.Algorithm().Digester()}, nil
}

func (v *Verifier) Write(p []byte) (int, error) {
	n, err := v.d.Hash().Write(p)
	v.n += int64(n)
	return n, err
}

// Size is the number of bytes written.
func (v *Verifier) Size() int64 { return v.n }

// Verified reports whether the bytes written so far are the content named.
func (v *Verifier) Verified() bool { return v.d.Digest() == v.want }

// Check returns nil when the bytes written are the content named, else an
// error matching ErrMismatch that names the content's own digest.
func (v *Verifier) Check() error {
	if got := v.d.Digest(); got != v.want {
		return fmt.Errorf("blob %s: %w (content is %s)", v.want, ErrMismatch, got)
	}
	return nil
}

// Reader passes content through and fails when it is not what desc names:
// at once when it runs past desc.Size, and at its end when it is shorter or
// its digest differs, so nothing is counted as sent or received before it is
// proven. Done, when set, is told once how the content compared (nil when
// it matched).
type Reader struct {
	r     io.Reader
	desc  v1.Descriptor
	v     *Verifier
	err   error // a digest that cannot be checked
	done  func(error)
	ended bool
}

// NewReader returns a Reader of r checked against desc.
func NewReader(r io.Reader, desc v1.Descriptor, done func(error)) *Reader {
	v, err := New(desc.Digest)
	if err != nil {
		err = fmt.Errorf("blob %s: %w", desc.Digest, err)
	}
	return &Reader{r: r, desc: desc, v: v, err: err, done: done}
}

func (c *Reader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.end(c.err)
	}
	n, err := c.r.Read(p)
	c.v.Write(p[:n])
	if c.v.Size() > c.desc.Size {
		return n, c.end(fmt.Errorf("blob %s: more than the expected %d bytes", c.desc.Digest, c.desc.Size))
	}
	if err == io.EOF {
		if c.v.Size() != c.desc.Size {
			return n, c.end(fmt.Errorf("blob %s: got %d bytes, expected %d", c.desc.Digest, c.v.Size(), c.desc.Size))
		}
		if cerr := c.v.Check(); cerr != nil {
			return n, c.end(cerr)
		}
		c.end(nil)
	}
	return n, err
}

// end tells done the outcome, once, and returns err.
func (c *Reader) end(err error) error {
	if !c.ended && c.done != nil {
		c.done(err)
	}
	c.ended = true
	return err
}

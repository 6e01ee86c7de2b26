package mirror

import (
	"context"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// missingPusher is a Repo whose push asks first whether it holds the blob
// (a registry upload begins with a HEAD), so that no caller asks twice.
type missingPusher interface {
	pushMissing(ctx context.Context, d v1.Descriptor, r io.Reader) (sent bool, err error)
}

// pushVerifier is a Repo that checks what it is sent against the digest it
// is sent under: a registry is told the digest at the closing PUT of an
// upload and refuses content that does not match it (DIGEST_INVALID), as
// the distribution spec has it. A blob pushed there needs no hash of Ferry's.
type pushVerifier interface{ verifiesPushes() }

// pushMissing pushes the blob from r unless dst holds it already; sent says
// whether it was sent (r is not read when it was not).
func pushMissing(ctx context.Context, dst Repo, d v1.Descriptor, r io.Reader) (sent bool, err error) {
	if mp, ok := dst.(missingPusher); ok {
		return mp.pushMissing(ctx, d, r)
	}
	has, err := dst.Has(ctx, d)
	if err != nil || has {
		return false, err
	}
	return true, dst.PushBlob(ctx, d, r)
}

// lazyReader opens its source at the first read, so a push that finds the
// blob at the destination opens nothing (no GET of the source).
type lazyReader struct {
	open func() (io.ReadCloser, error)
	rc   io.ReadCloser
	err  error
}

func (l *lazyReader) Read(p []byte) (int, error) {
	if l.rc == nil && l.err == nil {
		l.rc, l.err = l.open()
	}
	if l.err != nil {
		return 0, l.err
	}
	return l.rc.Read(p)
}

func (l *lazyReader) Close() error {
	if l.rc == nil {
		return nil
	}
	return l.rc.Close()
}

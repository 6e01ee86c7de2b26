package ops

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/archive"
	"ferry/backend/medium"
	"ferry/backend/mirror"
	"ferry/backend/progress"
)

// mediumLookahead bounds how many entries a plan reads looking for the
// gather index; a Ferry or reference medium has it as its first blob.
const mediumLookahead = 8

// maxGatherIndex bounds the gather index a plan reads into memory.
const maxGatherIndex = 64 << 20

// mediumEntries reads the images of a medium from its gather index (the
// root that the first index.json names, written as the first blob),
// reading only the start of the stream.
func mediumEntries(path string) ([]v1.Descriptor, error) {
	src, closeSrc, err := medium.OpenReader(path, 0)
	if err != nil {
		return nil, err
	}
	defer closeSrc()
	ar, err := archive.NewReader(src)
	if err != nil {
		return nil, err
	}
	defer ar.Close()
	var root v1.Hash
	for i := 0; i < mediumLookahead; i++ {
		e, err := ar.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		switch {
		case e.Kind == archive.KindIndex && root == (v1.Hash{}) && e.Index != nil && len(e.Index.Manifests) > 0:
			root = e.Index.Manifests[0].Digest
		case e.Kind == archive.KindBlob && root != (v1.Hash{}) && e.Digest == root:
			if e.Size > maxGatherIndex {
				return nil, fmt.Errorf("its gather index is %d bytes, more than a plan reads", e.Size)
			}
			raw, err := io.ReadAll(ar)
			if err != nil {
				return nil, err
			}
			return mirror.GatherEntries(raw)
		}
	}
	return nil, errors.New("its gather index is not at the start of the medium")
}

// plainFileSize is the size of a medium that is an uncompressed regular
// file, whose bytes are the stream deserialize counts; 0 for anything else
// (a tape, a pipe, or a compressed file, whose stream is longer than it).
func plainFileSize(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return 0
	}
	magic := make([]byte, 4)
	n, _ := io.ReadFull(f, magic)
	if bytes.HasPrefix(magic[:n], []byte{0x1f, 0x8b}) || bytes.HasPrefix(magic[:n], []byte{0x28, 0xb5, 0x2f, 0xfd}) {
		return 0
	}
	return fi.Size()
}

// withMediumTotal gives a deserialize's progress the size of its medium as
// its total, when the medium is a plain file, so the bar has an end.
func withMediumTotal(env mirror.Env, path string) mirror.Env {
	total := plainFileSize(path)
	if total == 0 {
		return env
	}
	next := progress.Or(env.Progress)
	env.Progress = func(ev progress.Event) {
		if ev.BytesTotal == 0 {
			ev.BytesTotal = total
		}
		next(ev)
	}
	return env
}

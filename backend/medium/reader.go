package medium

import (
	"bufio"
	"fmt"
	"io"

	"ferry/backend/tape"
)

// OpenReader opens a medium for one forward pass: a tape drive through a
// record reader in variable-block mode (so archives written in any block
// size read with the defaults, blockSize being the first read's size),
// another character device in blocks of blockSize, and files, FIFOs and
// standard input plainly (buffered in blockSize when it is set). close
// releases the medium.
func OpenReader(path string, blockSize int) (r io.Reader, close func() error, err error) {
	src, err := Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("source: %w", err)
	}
	if src.Kind != KindDevice {
		if blockSize > 0 {
			return bufio.NewReaderSize(src, blockSize), src.Close, nil
		}
		return src, src.Close, nil
	}
	if dev, err := tape.OpenRead(nil, path); err == nil {
		src.Close()
		return tape.NewRecordReader(dev, tape.WithInitialRecordSize(blockSize)), dev.Close, nil
	}
	var opts []BlockReaderOption
	if blockSize > 0 {
		opts = append(opts, WithReadBlockSize(blockSize))
	}
	br, err := NewBlockReader(src, opts...)
	if err != nil {
		src.Close()
		return nil, nil, err
	}
	return br, src.Close, nil
}

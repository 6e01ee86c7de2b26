// Command blockcopy copies a file through Ferry's buffered block writer
// and prints the rate, so `make bench` can set it next to dd bs=1M moving
// the same bytes.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"ferry/backend/medium"
)

func main() {
	block := flag.Int("block", 1<<20, "block size in bytes")
	buffer := flag.Int("buffer", 256<<20, "write buffer size in bytes")
	hwm := flag.Int("hwm", 0, "high water mark in percent (0: drain as soon as a block is in)")
	flag.Parse()
	if flag.NArg() != 2 {
		fmt.Fprintln(os.Stderr, "usage: blockcopy [-block N] [-buffer N] [-hwm PERCENT] SRC DST")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), flag.Arg(1), *block, *buffer, *hwm); err != nil {
		fmt.Fprintln(os.Stderr, "blockcopy:", err)
		os.Exit(1)
	}
}

func run(src, dst string, block, buffer, hwm int) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer out.Close()
	start := time.Now()
	w, err := medium.NewBlockWriter(context.Background(), out, medium.WithBlockSize(block), medium.WithBufferSize(buffer), medium.WithHighWaterMark(hwm))
	if err != nil {
		return err
	}
	n, err := io.Copy(w, in) // the writer's ReadFrom: straight into its buffer
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	secs := time.Since(start).Seconds()
	fmt.Printf("%.0f\n", float64(n)/1e6/secs)
	return nil
}

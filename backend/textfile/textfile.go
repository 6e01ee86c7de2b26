// Package textfile reads the small text files an operator hands to Ferry
// (sources lists, mapping rules, configuration) safely: only regular files,
// never more than a limit, and UTF-16 refused with a hint instead of being
// read as garbage.
package textfile

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
	"unicode/utf8"
)

// Limit is what Read accepts by default: far above any sources list or rules
// file, far below what would hurt the process.
const Limit = 16 << 20

// byteOrderMark is what some Windows editors put before the first line.
const byteOrderMark = "\ufeff"

// ErrUTF16 is returned for text that looks like UTF-16.
var ErrUTF16 = errors.New("the file looks like UTF-16; save it as UTF-8")

// Read returns the content of the regular file at path, refusing folders,
// devices, pipes and sockets at once and anything larger than limit bytes.
func Read(path string, limit int64) ([]byte, error) {
	// O_NONBLOCK: opening a FIFO with no writer would otherwise wait for
	// one; regular files ignore the flag.
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is %s, not a regular file", path, kind(fi.Mode()))
	}
	if fi.Size() > limit {
		return nil, tooLarge(path, limit)
	}
	// The file may grow while it is read: never read past the limit.
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, tooLarge(path, limit)
	}
	return b, nil
}

func tooLarge(path string, limit int64) error {
	return fmt.Errorf("%s is larger than %d MiB; this is not a text file Ferry reads", path, limit>>20)
}

func kind(m fs.FileMode) string {
	switch {
	case m.IsDir():
		return "a folder"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}

// Clean drops a UTF-8 byte order mark and refuses UTF-16 text: a byte order
// mark FF FE or FE FF (also as the replacement characters they become on
// the way from a browser), or NUL bytes, which no sources list or rules
// file has.
func Clean(text string) (string, error) {
	for _, bom := range []string{"\xff\xfe", "\xfe\xff", "\ufffd\ufffd"} {
		if strings.HasPrefix(text, bom) {
			return "", ErrUTF16
		}
	}
	if strings.IndexByte(text, 0) >= 0 {
		return "", ErrUTF16
	}
	return strings.TrimPrefix(text, byteOrderMark), nil
}

// quoteMax is how much of an operator's text a message echoes.
const quoteMax = 80

// Quote quotes s for a message as %q would, but shortens a long s to its
// first bytes and an ellipsis, with its length, so that a 10 MB line is
// never echoed whole.
func Quote(s string) string {
	if len(s) <= quoteMax {
		return strconv.Quote(s)
	}
	cut := quoteMax
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes)", strconv.Quote(s[:cut]), len(s))
}

// CSVLines reads comma-separated fields one line at a time, so a stray
// quote spoils only its own line, not the rest of the file. Its buffer is
// reused across lines (csv.NewReader adopts a *bufio.Reader as is).
type CSVLines struct {
	buf *bufio.Reader
	cr  *csv.Reader // of the last line
}

// NewCSVLines returns a reader of single CSV lines.
func NewCSVLines() *CSVLines { return &CSVLines{buf: bufio.NewReader(nil)} }

// Fields splits one line into its fields (any number, leading spaces
// trimmed). On failure it returns the 1-based column csv reported (0 when
// it gave none) and an error that says the line is not CSV.
func (c *CSVLines) Fields(line string) (fields []string, column int, err error) {
	c.buf.Reset(strings.NewReader(line))
	c.cr = csv.NewReader(c.buf)
	c.cr.FieldsPerRecord = -1
	c.cr.TrimLeadingSpace = true
	fields, err = c.cr.Read()
	if err != nil {
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			column, err = pe.Column, pe.Err
		}
		return nil, column, fmt.Errorf("cannot read the line as CSV: %v", err)
	}
	return fields, 0, nil
}

// Column is the 1-based column where field i of the last line Fields read
// starts.
func (c *CSVLines) Column(i int) int {
	_, col := c.cr.FieldPos(i)
	return col
}

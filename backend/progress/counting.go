package progress

import "io"

// CountingReader counts the bytes read through it and, when OnRead is set,
// tells it the size of every read that returned bytes, so a copy can report
// progress as its bytes pass. It is the one counting reader of the engine.
type CountingReader struct {
	R      io.Reader
	OnRead func(n int)
	n      int64
}

func (c *CountingReader) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.n += int64(n)
	if n > 0 && c.OnRead != nil {
		c.OnRead(n)
	}
	return n, err
}

// N is the number of bytes read so far.
func (c *CountingReader) N() int64 { return c.n }

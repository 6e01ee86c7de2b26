package progress

import (
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestCountingReaderCountsAndReportsEveryRead(t *testing.T) {
	var reported []int
	cr := &CountingReader{R: iotest.OneByteReader(strings.NewReader("abc")), OnRead: func(n int) { reported = append(reported, n) }}
	data, err := io.ReadAll(cr)
	if err != nil || string(data) != "abc" {
		t.Fatalf("read %q, %v", data, err)
	}
	if cr.N() != 3 || len(reported) != 3 {
		t.Errorf("N = %d, reports %v; want 3 and three reads of 1", cr.N(), reported)
	}
	quiet := &CountingReader{R: strings.NewReader("hello")}
	if _, err := io.Copy(io.Discard, quiet); err != nil || quiet.N() != 5 {
		t.Errorf("without OnRead: N = %d, %v", quiet.N(), err)
	}
}

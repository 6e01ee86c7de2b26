package digestcheck

import (
	"errors"
	"io"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func descOf(t *testing.T, content string) v1.Descriptor {
	t.Helper()
	h, _, err := v1.SHA256(strings.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	return v1.Descriptor{Digest: h, Size: int64(len(content))}
}

func TestReaderPassesTheContentNamedAndRefusesAnyOther(t *testing.T) {
	want := descOf(t, "hello")
	for _, tc := range []struct {
		content, fails string
	}{
		{"hello", ""},
		{"hellO", "does not match its digest (content is sha256:"},
		{"hell", "got 4 bytes, expected 5"},
		{"hello!", "more than the expected 5 bytes"},
	} {
		var told []error
		r := NewReader(strings.NewReader(tc.content), want, func(err error) { told = append(told, err) })
		data, err := io.ReadAll(r)
		if tc.fails == "" {
			if err != nil || string(data) != tc.content || len(told) != 1 || told[0] != nil {
				t.Errorf("%q: %v, told %v", tc.content, err, told)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.fails) {
			t.Errorf("%q: %v, want %q", tc.content, err, tc.fails)
		}
		if len(told) != 1 || told[0] == nil {
			t.Errorf("%q: done told %v, want the failure once", tc.content, told)
		}
	}
}

func TestVerifier(t *testing.T) {
	d := descOf(t, "abc")
	v, err := New(d.Digest)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(v, "ab")
	if v.Verified() || !errors.Is(v.Check(), ErrMismatch) {
		t.Error("a prefix verified")
	}
	io.WriteString(v, "c")
	if !v.Verified() || v.Check() != nil || v.Size() != 3 {
		t.Errorf("the content did not verify: %v", v.Check())
	}
	for _, bad := range []v1.Hash{{Algorithm: "md5", Hex: "00"}, {Algorithm: "sha256", Hex: "abc"}, {}} {
		if _, err := New(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
		if _, err := io.ReadAll(NewReader(strings.NewReader("x"), v1.Descriptor{Digest: bad, Size: 1}, nil)); err == nil {
			t.Errorf("reading against %q succeeded", bad)
		}
	}
}

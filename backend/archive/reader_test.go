package archive

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

func TestRoundTrip(t *testing.T) {
	root, blobs, manifests := randomGraph(t, 1)
	for _, c := range []Compression{None, Gzip, Zstd} {
		t.Run(string(c), func(t *testing.T) {
			stream, positions := writeArchive(t, c, root, blobs, manifests)
			r, err := NewReader(bytes.NewReader(stream), WithStreamDigest())
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Compression() != c {
				t.Errorf("detected %q, wrote %q", r.Compression(), c)
			}
			var kinds []Kind
			var gotBlobs int
			var indexes []*Entry
			for {
				e, err := r.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				kinds = append(kinds, e.Kind)
				body, err := io.ReadAll(r)
				if err != nil {
					t.Fatalf("%s: %v", e.Name, err)
				}
				switch e.Kind {
				case KindBlob:
					b := blobs[gotBlobs]
					if e.Digest != b.desc.Digest || !bytes.Equal(body, b.data) {
						t.Errorf("blob %d: got %s (%d bytes), want %s", gotBlobs, e.Digest, len(body), b.desc.Digest)
					}
					if e.End != positions[gotBlobs].Stream {
						t.Errorf("blob %d ends at %d, writer reported %d", gotBlobs, e.End, positions[gotBlobs].Stream)
					}
					gotBlobs++
				case KindIndex:
					indexes = append(indexes, e)
				}
			}
			if !r.Complete() {
				t.Error("a finished archive is reported incomplete")
			}
			if gotBlobs != len(blobs) {
				t.Errorf("read %d blobs, wrote %d", gotBlobs, len(blobs))
			}
			want := []Kind{KindLayout, KindIndex, KindDirectory, KindDirectory}
			if len(kinds) < 4 || !equalKinds(kinds[:4], want) || kinds[len(kinds)-1] != KindIndex {
				t.Errorf("kinds = %v", kinds)
			}
			if len(indexes) != 2 {
				t.Fatalf("%d index.json copies, want 2", len(indexes))
			}
			if got := indexes[0].Index.Manifests; len(got) != 1 || got[0].Digest != root.desc.Digest {
				t.Errorf("first index manifests = %v, want only the root", got)
			}
			if got := indexes[1].Index.Manifests; len(got) != 1+len(manifests) {
				t.Errorf("final index has %d manifests, want %d", len(got), 1+len(manifests))
			}
			final := indexes[1]
			if want := final.Index.Annotations[AnnotationStreamSHA256]; final.StreamDigest != want || want == "" {
				t.Errorf("stream digest before final index = %q, annotation says %q", final.StreamDigest, want)
			}
		})
	}
}

func equalKinds(a, b []Kind) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A Sink position covers the entry: the sink's bytes up to it hold the blob
// complete, even when compressing.
func TestSinkPositionCoversEntry(t *testing.T) {
	root, blobs, manifests := randomGraph(t, 2)
	for _, c := range []Compression{None, Gzip, Zstd} {
		t.Run(string(c), func(t *testing.T) {
			stream, positions := writeArchive(t, c, root, blobs, manifests)
			for i, p := range positions {
				entries, bodies, _ := readAll(t, stream[:p.Sink])
				found := false
				for j, e := range entries {
					if e.Kind == KindBlob && e.Digest == blobs[i].desc.Digest && bytes.Equal(bodies[j], blobs[i].data) {
						found = true
					}
				}
				if !found {
					t.Errorf("blob %d not complete in the first %d sink bytes", i, p.Sink)
				}
			}
		})
	}
}

func TestTruncation(t *testing.T) {
	root, blobs, manifests := randomGraph(t, 3)
	stream, positions := writeArchive(t, None, root, blobs, manifests)
	firstBlobEnd := positions[0].Stream
	cases := []struct {
		name  string
		cut   int64
		clean bool
	}{
		{"inside the first header", 100, false},
		{"inside a body", firstBlobEnd - 512 - 10, false},
		{"inside the padding", positions[1].Stream - 1, false},
		{"inside a blob header", firstBlobEnd + 200, false},
		{"at an entry boundary", firstBlobEnd, true},
		{"before the end marker", int64(len(stream)) - 1024, true},
		{"inside the end marker", int64(len(stream)) - 700, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readAll(t, stream[:tc.cut])
			if tc.clean {
				if err != nil {
					t.Fatalf("cut at %d: %v, want a clean end", tc.cut, err)
				}
				return
			}
			if !errors.Is(err, ErrTruncated) || !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("cut at %d: err = %v, want ErrTruncated and io.ErrUnexpectedEOF", tc.cut, err)
			}
		})
	}

	t.Run("complete flag", func(t *testing.T) {
		r, _ := NewReader(bytes.NewReader(stream[:firstBlobEnd]))
		for {
			if _, err := r.Next(); err != nil {
				break
			}
		}
		if r.Complete() {
			t.Error("an archive without its end marker is reported complete")
		}
	})

	for _, c := range []Compression{Gzip, Zstd} {
		t.Run(string(c), func(t *testing.T) {
			stream, positions := writeArchive(t, c, root, blobs, manifests)
			for _, cut := range []int64{positions[0].Sink / 2, positions[2].Sink - 3, int64(len(stream)) - 5} {
				_, _, err := readAll(t, stream[:cut])
				if err == nil {
					t.Errorf("cut at %d of %d: no error", cut, len(stream))
				}
			}
		})
	}
}

func TestDigestMismatch(t *testing.T) {
	good := newBlob("", []byte("the real content"))
	stream := makeTar(t,
		file("oci-layout", layoutBytes),
		file("blobs/sha256/"+good.desc.Digest.Hex, []byte("other content!!!")),
		file("blobs/sha256/"+good.desc.Digest.Hex, good.data),
	)
	r, err := NewReader(bytes.NewReader(stream))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("tampered blob: err = %v, want ErrDigestMismatch", err)
	}
	// The stream stays readable: the next copy is good.
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if body, err := io.ReadAll(r); err != nil || !bytes.Equal(body, good.data) {
		t.Fatalf("good copy after a bad one: %v", err)
	}
}

func TestUnsafeEntries(t *testing.T) {
	cases := []struct {
		entry rawEntry
		want  error
	}{
		{file("../x", []byte("x")), ErrUnsafeName},
		{file("blobs/../../etc/passwd", []byte("x")), ErrUnsafeName},
		{file("/etc/passwd", []byte("x")), ErrUnsafeName},
		{dir("../up"), ErrUnsafeName},
		{rawEntry{name: "blobs/sha256/link", typeflag: tar.TypeSymlink, linkname: "/etc/passwd"}, ErrUnsupportedEntry},
		{rawEntry{name: "hard", typeflag: tar.TypeLink, linkname: "oci-layout"}, ErrUnsupportedEntry},
		{rawEntry{name: "dev", typeflag: tar.TypeChar}, ErrUnsupportedEntry},
		{rawEntry{name: "fifo", typeflag: tar.TypeFifo}, ErrUnsupportedEntry},
	}
	for _, tc := range cases {
		t.Run(tc.entry.name, func(t *testing.T) {
			_, _, err := readAll(t, makeTar(t, file("oci-layout", layoutBytes), tc.entry))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.entry.name) {
				t.Errorf("error %q does not name the entry", err)
			}
		})
	}
}

func TestInvalidBlobName(t *testing.T) {
	_, _, err := readAll(t, makeTar(t, file("blobs/sha256/nothex", []byte("x"))))
	if err == nil || !strings.Contains(err.Error(), "blobs/sha256/nothex") {
		t.Fatalf("err = %v, want an error naming the entry", err)
	}
}

func TestLenientEntries(t *testing.T) {
	b := newBlob("", []byte("layer bytes"))
	idx := []byte(`{"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"` + b.desc.Digest.String() + `","size":11}]}`)
	stream := makeTar(t,
		dir("./"),
		file("./blobs/sha256/"+b.desc.Digest.Hex, b.data), // blob before the layout
		file("README", []byte("ignored")),
		dir("./blobs/"),
		file("./oci-layout", layoutBytes),
		file("./index.json", idx),
		file("blobs/sha256/"+b.desc.Digest.Hex, b.data), // duplicate
	)
	stream = stream[:len(stream)-1024] // and no end marker
	entries, bodies, err := readAll(t, stream)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		name string
		kind Kind
	}{
		{".", KindDirectory}, {"blobs/sha256/" + b.desc.Digest.Hex, KindBlob}, {"README", KindOther},
		{"blobs", KindDirectory}, {"oci-layout", KindLayout}, {"index.json", KindIndex},
		{"blobs/sha256/" + b.desc.Digest.Hex, KindBlob},
	}
	if len(entries) != len(want) {
		t.Fatalf("%d entries, want %d", len(entries), len(want))
	}
	for i, w := range want {
		if entries[i].Name != w.name || entries[i].Kind != w.kind {
			t.Errorf("entry %d = %s %q, want %s %q", i, entries[i].Kind, entries[i].Name, w.kind, w.name)
		}
	}
	if !bytes.Equal(bodies[6], b.data) || string(bodies[2]) != "ignored" {
		t.Error("bodies not passed through")
	}
	if entries[5].Index == nil || entries[5].Index.Manifests[0].Digest != b.desc.Digest {
		t.Error("index.json not parsed")
	}
}

func TestStrict(t *testing.T) {
	b := newBlob("", []byte("blob"))
	blobEntry := file("blobs/sha256/"+b.desc.Digest.Hex, b.data)
	idx := file("index.json", []byte(`{"schemaVersion":2,"manifests":[]}`))
	layout := file("oci-layout", layoutBytes)
	cases := []struct {
		name    string
		entries []rawEntry
		ok      bool
	}{
		{"reference order", []rawEntry{layout, idx, dir("blobs"), dir("blobs/sha256"), blobEntry, idx}, true},
		{"dot prefixes", []rawEntry{file("./oci-layout", layoutBytes), idx, blobEntry}, true},
		{"index first", []rawEntry{idx, layout, blobEntry}, false},
		{"blob before index", []rawEntry{layout, blobEntry, idx}, false},
		{"unknown file", []rawEntry{layout, idx, file("README", nil)}, false},
		{"three indexes", []rawEntry{layout, idx, blobEntry, idx, idx}, false},
		{"layout twice", []rawEntry{layout, idx, layout}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			stream := makeTar(t, tc.entries...)
			_, _, err := readAll(t, stream, Strict(true))
			if tc.ok && err != nil {
				t.Fatalf("strict: %v", err)
			}
			if !tc.ok && !errors.Is(err, ErrStrict) {
				t.Fatalf("strict: err = %v, want ErrStrict", err)
			}
			if _, _, err := readAll(t, stream); err != nil {
				t.Fatalf("lenient: %v", err)
			}
		})
	}
}

func TestAppendedArchives(t *testing.T) {
	b1 := newBlob("", []byte("first volume"))
	b2 := newBlob("", []byte("second volume"))
	idx := file("index.json", []byte(`{"schemaVersion":2,"manifests":[]}`))
	one := makeTar(t, file("oci-layout", layoutBytes), idx, file("blobs/sha256/"+b1.desc.Digest.Hex, b1.data))
	two := makeTar(t, file("oci-layout", layoutBytes), idx, file("blobs/sha256/"+b2.desc.Digest.Hex, b2.data))
	padding := make([]byte, 4096) // a tape block's zero padding
	stream := append(append(append([]byte{}, one...), padding...), two...)
	stream = append(stream, padding...)

	entries, _, err := readAll(t, stream, Strict(true), WithStreamDigest())
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 6 || entries[5].Digest != b2.desc.Digest {
		t.Fatalf("entries = %d, want both archives' 6", len(entries))
	}
	if entries[2].Archive != 0 || entries[3].Archive != 1 {
		t.Errorf("archive numbers %d, %d; want 0, 1", entries[2].Archive, entries[3].Archive)
	}
	if off := int64(len(one) + len(padding)); entries[3].Offset != off {
		t.Errorf("second archive's first entry at %d, want %d", entries[3].Offset, off)
	}
	if entries[3].StreamDigest != emptySHA256 || entries[0].StreamDigest != emptySHA256 {
		t.Error("the stream digest must restart with each archive")
	}
}

// Compressed streams written to tape end in zero padding after the
// compressed data; that is the end of the stream, not an error.
func TestCompressedWithPadding(t *testing.T) {
	root, blobs, manifests := randomGraph(t, 4)
	for _, c := range []Compression{Gzip, Zstd} {
		t.Run(string(c), func(t *testing.T) {
			stream, _ := writeArchive(t, c, root, blobs, manifests)
			padded := append(append([]byte{}, stream...), make([]byte, 1<<16-len(stream)%(1<<16))...)
			entries, _, err := readAll(t, padded)
			if err != nil {
				t.Fatal(err)
			}
			if n := len(entries); n != len(blobs)+4+1 {
				t.Errorf("%d entries, want %d", n, len(blobs)+5)
			}
		})
	}
}

func TestAppendedCompressedStreams(t *testing.T) {
	root, blobs, manifests := randomGraph(t, 5)
	one, _ := writeArchive(t, Gzip, root, blobs[:2], manifests[:1])
	two, _ := writeArchive(t, Gzip, root, blobs[2:], manifests[1:])
	entries, _, err := readAll(t, append(append([]byte{}, one...), two...))
	if err != nil {
		t.Fatal(err)
	}
	var n int
	for _, e := range entries {
		if e.Kind == KindBlob {
			n++
		}
	}
	if n != len(blobs) || entries[len(entries)-1].Archive != 1 {
		t.Errorf("read %d blobs in %d archives, want %d in 2", n, entries[len(entries)-1].Archive+1, len(blobs))
	}
}

func TestBadLayoutAndIndex(t *testing.T) {
	for name, stream := range map[string][]byte{
		"layout version": makeTar(t, file("oci-layout", []byte(`{"imageLayoutVersion":"9"}`))),
		"layout json":    makeTar(t, file("oci-layout", []byte(`not json`))),
		"index json":     makeTar(t, file("index.json", []byte(`{"manifests":`))),
	} {
		t.Run(name, func(t *testing.T) {
			if _, _, err := readAll(t, stream); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestGarbageIsNotAnArchive(t *testing.T) {
	_, _, err := readAll(t, bytes.Repeat([]byte("not a tar stream "), 64))
	if err == nil || errors.Is(err, ErrTruncated) {
		t.Fatalf("err = %v, want an invalid header error", err)
	}
	if _, _, err := readAll(t, nil); err != nil {
		t.Fatalf("empty stream: %v", err)
	}
}

func TestGzipAndZstdMagic(t *testing.T) {
	plain := makeTar(t, file("oci-layout", layoutBytes))
	var gz, zs bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write(plain)
	gw.Close()
	zw, _ := zstd.NewWriter(&zs)
	zw.Write(plain)
	zw.Close()
	for want, data := range map[Compression][]byte{None: plain, Gzip: gz.Bytes(), Zstd: zs.Bytes()} {
		r, err := NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		if r.Compression() != want {
			t.Errorf("detected %s, want %s", r.Compression(), want)
		}
		if e, err := r.Next(); err != nil || e.Kind != KindLayout {
			t.Errorf("%s: %v", want, err)
		}
		r.Close()
	}
}

// A PAX sparse entry of a few bytes would expand to its whole logical size
// of zeros; the reader refuses it instead.
func TestSparseEntryRefused(t *testing.T) {
	// archive/tar drops GNU.sparse records when writing, so the extended
	// header is made as a regular file and retyped to 'x'.
	var records string
	for _, kv := range [][2]string{{"GNU.sparse.major", "1"}, {"GNU.sparse.minor", "0"}, {"GNU.sparse.realsize", "1099511627776"}} {
		records += paxRecord(kv[0], kv[1])
	}
	sparseMap := make([]byte, 512) // GNU sparse 1.0: the map leads the data
	copy(sparseMap, "1\n0\n0\n")   // one data region: offset 0, length 0
	stream := makeTar(t, file("PaxHeaders/x", []byte(records)), file("blobs/sha256/x", sparseMap))
	stream[156] = tar.TypeXHeader
	var sum int64
	copy(stream[148:156], "        ")
	for _, c := range stream[:512] {
		sum += int64(c)
	}
	copy(stream[148:156], fmt.Sprintf("%06o\x00 ", sum))

	_, _, err := readAll(t, stream)
	if !errors.Is(err, ErrUnsupportedEntry) || !strings.Contains(err.Error(), "sparse") {
		t.Fatalf("err = %v, want ErrUnsupportedEntry for a sparse file", err)
	}
}

// paxRecord formats one PAX record: "<length> <key>=<value>\n", the length
// counting itself.
func paxRecord(k, v string) string {
	body := " " + k + "=" + v + "\n"
	n := len(body) + 1
	for len(strconv.Itoa(n))+len(body) != n {
		n++
	}
	return strconv.Itoa(n) + body
}

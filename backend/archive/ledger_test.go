package archive

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestLedgerLineFormat(t *testing.T) {
	var buf bytes.Buffer
	l := NewLedger(&buf)
	d := newBlob("application/vnd.oci.image.manifest.v1+json", []byte("manifest")).desc
	if err := l.Record(d, Position{Stream: 6656, Sink: 6656}); err != nil {
		t.Fatal(err)
	}
	l.Confirm(6656)
	want := `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + d.Digest.String() +
		`","size":8,"annotations":{"vnd.act3-ace.data.offset":"6656"}}` + "\n"
	if buf.String() != want {
		t.Errorf("line:\n%s\nwant:\n%s", buf.String(), want)
	}
	if d.Annotations != nil {
		t.Error("Record changed the caller's descriptor")
	}
}

// Lines appear only once the medium confirmed the bytes, in write order.
func TestLedgerWaitsForConfirmation(t *testing.T) {
	var buf bytes.Buffer
	l := NewLedger(&buf)
	a := newBlob("", []byte("a")).desc
	b := newBlob("", []byte("b")).desc
	c := newBlob("", []byte("c")).desc
	// Compressed: stream offsets and sink counts differ.
	l.Record(a, Position{Stream: 2048, Sink: 300})
	l.Record(b, Position{Stream: 4096, Sink: 700})
	if buf.Len() != 0 || l.Pending() != 2 {
		t.Fatalf("ledger wrote %q before any confirmation", buf.String())
	}
	l.Confirm(699)
	entries, err := ReadLedger(&buf)
	if err != nil || len(entries) != 1 || entries[0].Descriptor.Digest != a.Digest || entries[0].Offset != 2048 {
		t.Fatalf("after confirming 699 bytes: %+v, %v; want only a at 2048", entries, err)
	}
	l.Confirm(5000) // confirmation may run ahead of Record
	l.Record(c, Position{Stream: 6144, Sink: 900})
	entries, _ = ReadLedger(&buf)
	if len(entries) != 2 || entries[0].Descriptor.Digest != b.Digest || entries[1].Descriptor.Digest != c.Digest {
		t.Fatalf("got %+v, want b then c", entries)
	}
	if l.Pending() != 0 || l.Err() != nil {
		t.Errorf("pending %d, err %v", l.Pending(), l.Err())
	}
}

func TestLedgerWriteError(t *testing.T) {
	l := NewLedger(&failingWriter{})
	if err := l.Record(v1.Descriptor{}, Position{}); err == nil || !strings.Contains(err.Error(), "checkpoint ledger") {
		t.Fatalf("err = %v", err)
	}
	if l.Err() == nil {
		t.Error("Err forgot the failure")
	}
}

const okLine = `{"mediaType":"m","digest":"sha256:` + "a5a1d8c8e1a3c0b1a5a1d8c8e1a3c0b1a5a1d8c8e1a3c0b1a5a1d8c8e1a3c0b1" + `","size":3,"annotations":{"vnd.act3-ace.data.offset":"%s"}}`

func line(off string) string { return strings.Replace(okLine, "%s", off, 1) }

func TestReadLedgerErrors(t *testing.T) {
	cases := map[string]string{
		"line 2: not a JSON descriptor": line("1") + "\n{broken\n" + line("2") + "\n",
		"line 1: descriptor":            `{"digest":"sha256:` + strings.Repeat("0", 64) + `","size":1}` + "\n",
		"line 3: descriptor":            line("1") + "\n\n" + line("x") + "\n",
		"invalid offset \"-5\"":         line("-5") + "\n",
	}
	for want, text := range cases {
		if _, err := ReadLedger(strings.NewReader(text)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v, want %q", err, want)
		}
	}
}

func TestReadLedgerToleratesCutLastLine(t *testing.T) {
	text := line("1024") + "\n" + line("2048")[:40]
	entries, err := ReadLedger(strings.NewReader(text))
	if err != nil || len(entries) != 1 || entries[0].Offset != 1024 || entries[0].Line != 1 {
		t.Fatalf("got %+v, %v", entries, err)
	}
	// A complete last line without a newline still counts.
	entries, err = ReadLedger(strings.NewReader(line("1024") + "\n" + line("2048")))
	if err != nil || len(entries) != 2 {
		t.Fatalf("got %d entries, %v", len(entries), err)
	}
}

func TestParseCheckpoint(t *testing.T) {
	good := map[string]Checkpoint{
		"ledger.jsonl:1024":          {Path: "ledger.jsonl", Offset: 1024},
		"/tmp/a:b/ledger.jsonl:0":    {Path: "/tmp/a:b/ledger.jsonl", Offset: 0},
		`C:\runs\ledger.jsonl:77`:    {Path: `C:\runs\ledger.jsonl`, Offset: 77},
		"weird:name:with:colons:512": {Path: "weird:name:with:colons", Offset: 512},
	}
	for in, want := range good {
		if got, err := ParseCheckpoint(in); err != nil || got != want {
			t.Errorf("ParseCheckpoint(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	for _, in := range []string{"ledger.jsonl", ":5", "ledger.jsonl:", "ledger.jsonl:-1", "ledger.jsonl:1k", "a:b:c"} {
		if _, err := ParseCheckpoint(in); err == nil {
			t.Errorf("ParseCheckpoint(%q) accepted", in)
		}
	}
}

func TestCheckpointDelivered(t *testing.T) {
	var buf bytes.Buffer
	l := NewLedger(&buf)
	var descs []v1.Descriptor
	for i, s := range []string{"a", "b", "c"} {
		d := newBlob("m", []byte(s)).desc
		d.Annotations = map[string]string{"keep": s}
		descs = append(descs, d)
		off := int64(1024 * (i + 1))
		l.Record(d, Position{Stream: off, Sink: off})
	}
	l.Confirm(1 << 20)
	path := filepath.Join(t.TempDir(), "ledger:1.jsonl")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for off, want := range map[string]int{"0": 0, "1024": 0, "1025": 1, "3072": 2, "3073": 3, "99999": 3} {
		cp, err := ParseCheckpoint(path + ":" + off)
		if err != nil {
			t.Fatal(err)
		}
		got, err := cp.Delivered()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != want {
			t.Errorf("offset %s: %d delivered, want %d", off, len(got), want)
		}
		for i := 0; i < want; i++ {
			d, ok := got[descs[i].Digest]
			if !ok || d.Annotations["keep"] != descs[i].Annotations["keep"] || d.Annotations[AnnotationOffset] != "" {
				t.Errorf("offset %s: blob %d = %+v", off, i, d)
			}
		}
	}
	if got, err := (Checkpoint{Path: "/does/not/exist", Offset: 0}).Delivered(); err != nil || len(got) != 0 {
		t.Errorf("offset 0 must mean nothing without reading the file: %v, %v", got, err)
	}
	if _, err := (Checkpoint{Path: "/does/not/exist", Offset: 5}).Delivered(); err == nil {
		t.Error("missing ledger accepted")
	}
}

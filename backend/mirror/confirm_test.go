package mirror

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/archive"
)

// A blob is confirmed only once the medium holds every byte of its entry,
// in the order the entries were written.
func TestConfirmerConfirmsWhatTheMediumHolds(t *testing.T) {
	var got []Checkpoint
	c := newConfirmer(Env{Checkpoint: func(cp Checkpoint) { got = append(got, cp) }}, nil, 2)
	a := v1.Descriptor{Digest: sha256Of([]byte("a")), Size: 1}
	b := v1.Descriptor{Digest: sha256Of([]byte("b")), Size: 1}
	c.written(a, archive.Position{Stream: 2048, Sink: 2048})
	c.written(b, archive.Position{Stream: 4096, Sink: 4096})
	c.confirm(4095) // b's last byte is not on the medium yet
	c.confirm(1024) // a confirmation never goes back
	if c.confirmedCount() != 1 {
		t.Fatalf("%d confirmed, want 1", c.confirmedCount())
	}
	c.confirm(4096)
	var confirmed []string
	for _, cp := range got {
		if cp.Volume != 2 {
			t.Errorf("checkpoint of volume %d, want 2", cp.Volume)
		}
		if cp.Confirmed {
			confirmed = append(confirmed, cp.Digest)
		}
	}
	if len(got) != 4 || len(confirmed) != 2 || confirmed[0] != a.Digest.String() || confirmed[1] != b.Digest.String() {
		t.Errorf("checkpoints %+v; want a and b written, then confirmed in order", got)
	}
}

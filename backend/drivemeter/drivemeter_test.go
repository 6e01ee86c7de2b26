package drivemeter

import (
	"testing"
	"time"

	"ferry/backend/tape"
)

func TestRateFromSuccessiveSamples(t *testing.T) {
	m := New()
	t0 := time.Unix(1000, 0)
	at := func(d time.Duration, written int64) tape.Stats {
		return tape.Stats{Taken: t0.Add(d), WriteBytes: written, IOTime: d / 2}
	}
	if r, err := m.next("st0", at(0, 0)); err != nil || r.Interval != 0 {
		t.Fatalf("first sample: %+v, %v; want a zero rate (measuring)", r, err)
	}
	r, err := m.next("st0", at(time.Second, 100e6))
	if err != nil || r.Interval != time.Second || r.WriteMBps < 99 || r.WriteMBps > 101 {
		t.Fatalf("after a second and 100 MB: %+v, %v", r, err)
	}
	if again, _ := m.next("st0", at(time.Second+Span/2, 200e6)); again != r {
		t.Errorf("asked again within Span: %+v, want the last rate %+v", again, r)
	}
	if other, _ := m.next("st1", at(2*time.Second, 5)); other.Interval != 0 {
		t.Errorf("another drive shares the first one's sample: %+v", other)
	}
	if stale, _ := m.next("st0", at(time.Minute, 300e6)); stale.Interval != 0 {
		t.Errorf("after a pause longer than Stale: %+v, want measuring again", stale)
	}
	if _, err := m.next("st0", at(time.Minute+time.Second, 1)); err == nil {
		t.Error("counters that went backwards gave a rate")
	}
}

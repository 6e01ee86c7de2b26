// Package drivemeter gives the Drives page a tape drive's throughput from
// the st driver's counters in sysfs, which can be read while a job holds
// the drive open.
//
// Stand-in: serialize is getting one throughput meter of its own in
// backend/tape; when it lands, the Drives page should read that meter and
// this package should go.
package drivemeter

import (
	"sync"
	"time"

	"ferry/backend/tape"
)

// Each Rate call compares the drive's counters with the sample kept from
// an earlier call, so a page polling every second or two gets an answer
// at once and no call waits. A sample younger than Span gives the last
// rate again; one older than Stale is not compared with (the rate would be
// an average over the pause).
const (
	Span  = 250 * time.Millisecond
	Stale = 30 * time.Second
)

type sample struct {
	stats tape.Stats
	rate  tape.Rate
}

// Meter keeps the last sample of every drive asked about.
type Meter struct {
	mu      sync.Mutex
	samples map[string]sample // by sysfs directory
}

// New returns a meter with no samples.
func New() *Meter { return &Meter{samples: map[string]sample{}} }

// Rate reports a drive's read and write rates and how busy it is, between
// the previous call's sample and now. The first call for a drive (or one
// after a pause longer than Stale) only takes a sample and returns a zero
// Rate, whose Interval 0 says "measuring".
func (m *Meter) Rate(drives tape.Drives, dev string) (tape.Rate, error) {
	drive, err := drives.Find(dev)
	if err != nil {
		return tape.Rate{}, err
	}
	now, err := drive.Stats()
	if err != nil {
		return tape.Rate{}, err
	}
	return m.next(drive.SysfsDir, now)
}

// next folds one sample of drive key into the meter.
func (m *Meter) next(key string, now tape.Stats) (tape.Rate, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	prev, ok := m.samples[key]
	age := now.Taken.Sub(prev.stats.Taken)
	switch {
	case ok && age < Span:
		return prev.rate, nil // asked again too soon for a fair measure
	case !ok || age > Stale:
		m.samples[key] = sample{stats: now}
		return tape.Rate{}, nil
	}
	rate, err := tape.Throughput(prev.stats, now)
	if err != nil {
		// The counters were reset: start again from this sample.
		m.samples[key] = sample{stats: now}
		return tape.Rate{}, err
	}
	m.samples[key] = sample{stats: now, rate: rate}
	return rate, nil
}

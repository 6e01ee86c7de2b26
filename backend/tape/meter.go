package tape

import (
	"sync"
	"time"
)

// Defaults of a Meter.
const (
	// DefaultMeterSpan is the shortest time between two samples a rate is
	// computed from: closer samples measure the counters' granularity more
	// than the drive.
	DefaultMeterSpan = time.Second
	// DefaultMeterStale is the age beyond which the previous sample no
	// longer says how the drive runs now, and the measure starts again.
	DefaultMeterStale = 30 * time.Second
)

// Meter measures a drive's throughput from its sysfs counters (stats/),
// which the st driver keeps for every drive, so it works while any program
// holds the drive open. It runs no goroutine and never sleeps: each Sample
// compares the counters with the previous sample. It is safe for concurrent
// use.
type Meter struct {
	drive Drive
	span  time.Duration
	stale time.Duration
	clock func() time.Time

	mu   sync.Mutex
	prev Stats
	have bool // prev holds a sample
	last Rate
}

// MeterOption adjusts a Meter.
type MeterOption func(*Meter)

// WithSpan sets the shortest time between the samples of a rate
// (default DefaultMeterSpan).
func WithSpan(d time.Duration) MeterOption { return func(m *Meter) { m.span = d } }

// WithStale sets the age beyond which an earlier sample is discarded
// (default DefaultMeterStale).
func WithStale(d time.Duration) MeterOption { return func(m *Meter) { m.stale = d } }

// WithClock makes the Meter take the time of each sample from now instead
// of time.Now (tests).
func WithClock(now func() time.Time) MeterOption { return func(m *Meter) { m.clock = now } }

// NewMeter returns a Meter of the drive dev names ("nst0" or "/dev/nst0")
// among the drives under sysfsRoot ("" for DefaultSysfsRoot, device nodes
// in /dev). Drives.Meter does the same for other locations.
func NewMeter(sysfsRoot, dev string, opts ...MeterOption) (*Meter, error) {
	return Drives{SysfsRoot: sysfsRoot}.Meter(dev, opts...)
}

// Meter returns a Meter of the drive dev names (see Find).
func (d Drives) Meter(dev string, opts ...MeterOption) (*Meter, error) {
	drive, err := d.Find(dev)
	if err != nil {
		return nil, err
	}
	return MeterOf(drive, opts...), nil
}

// MeterOf returns a Meter of a drive Discover found.
func MeterOf(drive Drive, opts ...MeterOption) *Meter {
	m := &Meter{drive: drive, span: DefaultMeterSpan, stale: DefaultMeterStale, clock: time.Now}
	for _, o := range opts {
		o(m)
	}
	return m
}

// Drive is the drive measured.
func (m *Meter) Drive() Drive { return m.drive }

// Sample reads the counters and returns the throughput since the previous
// sample. Sooner than the span after it, the counters are not read and the
// last rate is returned. The first sample, and one after a pause longer than
// the stale age, only starts the measure: its Rate is zero (Interval 0).
// Counters that went backwards (the driver was reloaded) fail once and
// start the measure again.
func (m *Meter) Sample() (Rate, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.clock()
	age := now.Sub(m.prev.Taken)
	if m.have && age >= 0 && age < m.span {
		return m.last, nil
	}
	st, err := m.drive.Stats()
	if err != nil {
		return Rate{}, err
	}
	st.Taken = now
	prev, fresh := m.prev, m.have && age >= 0 && age <= m.stale
	m.prev, m.have, m.last = st, true, Rate{}
	if !fresh {
		return Rate{}, nil
	}
	rate, err := Throughput(prev, st)
	if err != nil {
		return Rate{}, err
	}
	m.last = rate
	return rate, nil
}

// Rate returns the last rate Sample computed, without reading the counters.
func (m *Meter) Rate() Rate {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.last
}

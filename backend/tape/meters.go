package tape

import "sync"

// Meters keeps one Meter per drive asked about, for a page that polls the
// throughput of whichever drives it shows: each call answers at once from
// the drive's own Meter, and no call waits for a span to pass.
type Meters struct {
	drives Drives
	opts   []MeterOption

	mu     sync.Mutex
	meters map[string]*Meter // by sysfs directory, so nst0 and /dev/nst0 share one
}

// Meters returns an empty set of meters of these drives, each made with opts.
func (d Drives) Meters(opts ...MeterOption) *Meters {
	return &Meters{drives: d, opts: opts, meters: map[string]*Meter{}}
}

// Sample samples the meter of the drive dev names (see Find), made on the
// first call for that drive; see Meter.Sample for what a sample returns.
func (ms *Meters) Sample(dev string) (Rate, error) {
	drive, err := ms.drives.Find(dev)
	if err != nil {
		return Rate{}, err
	}
	ms.mu.Lock()
	m, ok := ms.meters[drive.SysfsDir]
	if !ok {
		m = MeterOf(drive, ms.opts...)
		ms.meters[drive.SysfsDir] = m
	}
	ms.mu.Unlock()
	return m.Sample()
}

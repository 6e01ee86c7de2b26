package main

import (
	"sync"
	"time"

	"ferry/backend/tape"
)

// The Drives page lists drives, polls their status and throughput, and
// rewinds or ejects a tape. Discovery reads /sys/class/scsi_tape and /dev
// unless FERRY_SYSFS_ROOT and FERRY_DEV_DIR point elsewhere (UI tests show
// fake drives so). The page never accepts a rewinding node (stN): it has no
// way to ask the operator to confirm losing the tape position.

// ListDrives lists the tape drives with each one's status, or why it could
// not be read ("busy" while a job writes to it). No drives is an empty list;
// DrivesHint explains why.
func (a *App) ListDrives() ([]tape.DriveInfo, error) {
	return tape.DrivesFromEnv().List()
}

// DrivesHint explains an empty drive list (st driver not loaded, or no drive
// attached).
func (a *App) DrivesHint() string {
	return tape.DrivesFromEnv().NoDrivesHint()
}

// DriveStatus reads one drive's status without waiting for a tape. dev is a
// node name ("nst0") or a path ("/dev/nst0").
func (a *App) DriveStatus(dev string) (tape.Status, error) {
	path, err := tape.DrivesFromEnv().Resolve(dev, false)
	if err != nil {
		return tape.Status{}, err
	}
	return tape.DrivesFromEnv().Status(path)
}

// RewindDrive rewinds the tape. It returns when the drive has finished,
// which on a full LTO cartridge takes a minute or two; a busy drive (a job
// holds it) fails at once.
func (a *App) RewindDrive(dev string) error {
	return controlDrive(dev, tape.Drives.Rewind)
}

// EjectDrive rewinds and unloads the tape. Like RewindDrive it returns when
// the drive has finished.
func (a *App) EjectDrive(dev string) error {
	return controlDrive(dev, tape.Drives.Eject)
}

func controlDrive(dev string, op func(tape.Drives, string) (tape.Status, error)) error {
	d := tape.DrivesFromEnv()
	path, err := d.Resolve(dev, false)
	if err != nil {
		return err
	}
	_, err = op(d, path)
	return err
}

// Throughput sampling: each call compares the drive's counters with the
// sample kept from the previous call, so a page polling every second or so
// gets an answer at once. The first call, or one after a long pause, samples
// twice throughputSpan apart.
const (
	throughputSpan  = 250 * time.Millisecond
	throughputStale = 30 * time.Second
)

type throughputSample struct {
	stats tape.Stats
	rate  tape.Rate
}

var (
	throughputMu      sync.Mutex
	throughputSamples = map[string]throughputSample{}
)

// DriveThroughput reports a drive's read and write rates in MB/s and how busy
// it is. It reads the st driver's counters in sysfs, so it works while a job
// holds the drive open.
func (a *App) DriveThroughput(dev string) (tape.Rate, error) {
	drive, err := tape.DrivesFromEnv().Find(dev)
	if err != nil {
		return tape.Rate{}, err
	}
	key := drive.SysfsDir
	now, err := drive.Stats()
	if err != nil {
		return tape.Rate{}, err
	}

	throughputMu.Lock()
	prev, ok := throughputSamples[key]
	throughputMu.Unlock()
	age := now.Taken.Sub(prev.stats.Taken)
	switch {
	case ok && age < throughputSpan:
		return prev.rate, nil // asked again too soon for a fair measure
	case ok && age <= throughputStale:
	default:
		prev.stats = now
		time.Sleep(throughputSpan)
		if now, err = drive.Stats(); err != nil {
			return tape.Rate{}, err
		}
	}
	rate, err := tape.Throughput(prev.stats, now)
	if err != nil {
		// The counters were reset: start again from this sample.
		throughputMu.Lock()
		throughputSamples[key] = throughputSample{stats: now}
		throughputMu.Unlock()
		return tape.Rate{}, err
	}
	throughputMu.Lock()
	throughputSamples[key] = throughputSample{stats: now, rate: rate}
	throughputMu.Unlock()
	return rate, nil
}

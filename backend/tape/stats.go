package tape

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Stats is one sample of a drive's st driver counters (sysfs stats/). The
// counters are cumulative since the driver attached the drive.
type Stats struct {
	Taken      time.Time     `json:"taken"`      // when the sample was read
	ReadBytes  int64         `json:"readBytes"`  // read_byte_cnt
	WriteBytes int64         `json:"writeBytes"` // write_byte_cnt
	Reads      int64         `json:"reads"`      // read_cnt
	Writes     int64         `json:"writes"`     // write_cnt
	Others     int64         `json:"others"`     // other_cnt: commands other than read and write
	ReadTime   time.Duration `json:"readTime"`   // read_ns
	WriteTime  time.Duration `json:"writeTime"`  // write_ns
	IOTime     time.Duration `json:"ioTime"`     // io_ns: all commands, including tape motion
	InFlight   int64         `json:"inFlight"`   // commands outstanding now
	Residuals  int64         `json:"residuals"`  // resid_cnt: reads or writes that moved fewer bytes than asked
}

// statFiles maps each stats/ file to where it goes. The kernel writes them
// without a trailing newline.
var statFiles = []struct {
	name  string
	field func(*Stats) *int64
}{
	{"read_byte_cnt", func(s *Stats) *int64 { return &s.ReadBytes }},
	{"write_byte_cnt", func(s *Stats) *int64 { return &s.WriteBytes }},
	{"read_cnt", func(s *Stats) *int64 { return &s.Reads }},
	{"write_cnt", func(s *Stats) *int64 { return &s.Writes }},
	{"other_cnt", func(s *Stats) *int64 { return &s.Others }},
	{"read_ns", func(s *Stats) *int64 { return (*int64)(&s.ReadTime) }},
	{"write_ns", func(s *Stats) *int64 { return (*int64)(&s.WriteTime) }},
	{"io_ns", func(s *Stats) *int64 { return (*int64)(&s.IOTime) }},
	{"in_flight", func(s *Stats) *int64 { return &s.InFlight }},
	{"resid_cnt", func(s *Stats) *int64 { return &s.Residuals }},
}

// Stats samples the drive's counters. Every node of a drive shares them; st.rst
// names the stN directory, so that is tried when the node has none. It fails
// when the kernel keeps no statistics (before Linux 4.2); a single missing
// counter reads as 0.
func (d Drive) Stats() (Stats, error) {
	dir := filepath.Join(d.SysfsDir, "stats")
	if _, err := os.Stat(dir); err != nil {
		alt := filepath.Join(filepath.Dir(d.SysfsDir), "st"+strconv.Itoa(d.Number), "stats")
		if _, altErr := os.Stat(alt); altErr != nil {
			return Stats{}, fmt.Errorf("tape %s statistics: %w", d.Name, err)
		}
		dir = alt
	}
	s := Stats{Taken: time.Now()}
	for _, f := range statFiles {
		path := filepath.Join(dir, f.name)
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return Stats{}, fmt.Errorf("tape %s statistics: %w", d.Name, err)
		}
		v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
		if err != nil {
			return Stats{}, fmt.Errorf("tape %s statistics: %s is not a number: %q", d.Name, path, strings.TrimSpace(string(b)))
		}
		*f.field(&s) = v
	}
	return s, nil
}

// Rate is the throughput between two Stats samples, in MB/s (10^6 bytes per
// second, as tape drives are rated).
type Rate struct {
	Interval  time.Duration `json:"interval"`  // wall-clock time between the samples
	ReadMBps  float64       `json:"readMBps"`  // MB read per wall-clock second
	WriteMBps float64       `json:"writeMBps"` // MB written per wall-clock second
	// Busy is the share of the interval the drive spent on commands (0..1,
	// from io_ns); a writer that keeps the drive streaming holds it near 1.
	Busy float64 `json:"busy"`
}

// Throughput computes the rate between an earlier and a later sample of the
// same drive. It fails when the samples are out of order or the counters
// went backwards (the driver was reloaded or the drive re-attached).
func Throughput(earlier, later Stats) (Rate, error) {
	interval := later.Taken.Sub(earlier.Taken)
	if interval <= 0 {
		return Rate{}, fmt.Errorf("tape throughput: samples not in time order (%v apart)", interval)
	}
	read := later.ReadBytes - earlier.ReadBytes
	write := later.WriteBytes - earlier.WriteBytes
	busy := later.IOTime - earlier.IOTime
	if read < 0 || write < 0 || busy < 0 {
		return Rate{}, fmt.Errorf("tape throughput: counters went backwards; the drive was reset")
	}
	secs := interval.Seconds()
	return Rate{
		Interval:  interval,
		ReadMBps:  float64(read) / secs / 1e6,
		WriteMBps: float64(write) / secs / 1e6,
		Busy:      min(1, busy.Seconds()/secs),
	}, nil
}

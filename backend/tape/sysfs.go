package tape

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// DefaultSysfsRoot is where Linux's st driver lists tape devices.
const DefaultSysfsRoot = "/sys/class/scsi_tape"

// Drive describes one tape device node found in sysfs.
//
// Sources, relative to the node's sysfs directory (Documentation/scsi/st.rst
// and Documentation/ABI/testing/sysfs-class-scsi_tape in Linux):
//   - default_blksize, default_density, default_compression, options, defined:
//     written by the st driver for each node; -1 in a default means "not set".
//   - device/vendor, device/model, device/rev: the SCSI device's INQUIRY strings.
//   - device/vpd_pg80: the Unit Serial Number VPD page (4-byte header, then
//     the serial in ASCII), exposed by the SCSI layer since Linux 4.x; drives
//     or kernels without it give an empty Serial.
//   - stats/: I/O counters since Linux 4.2, shared by every node of a drive.
type Drive struct {
	Name               string `json:"name"`               // node name, e.g. "nst0"
	Path               string `json:"path"`               // device node, e.g. "/dev/nst0"
	Number             int    `json:"number"`             // the drive number N in nstN
	Mode               string `json:"mode"`               // "" for mode 0, else "l", "m" or "a"
	Rewinding          bool   `json:"rewinding"`          // true for stN nodes, which rewind on close
	SCSIAddress        string `json:"scsiAddress"`        // host:channel:target:lun, e.g. "0:0:3:0"
	Vendor             string `json:"vendor"`             // e.g. "IBM"
	Model              string `json:"model"`              // e.g. "ULT3580-TD9"
	Revision           string `json:"revision"`           // firmware revision
	Serial             string `json:"serial"`             // drive serial number; "" when not exposed
	DefaultBlockSize   int    `json:"defaultBlockSize"`   // -1 when not set (the drive's own default applies)
	DefaultDensity     int    `json:"defaultDensity"`     // -1 when not set
	DefaultCompression int    `json:"defaultCompression"` // -1 not set, 0 off, 1 on
	Options            uint32 `json:"options"`            // st driver options (MT_ST_* bits); 0 when not exposed
	SysfsDir           string `json:"sysfsDir"`           // the node's sysfs directory
}

// DiscoverOption adjusts Discover.
type DiscoverOption func(*discoverConfig)

type discoverConfig struct {
	root      string
	devDir    string
	modes     bool
	rewinding bool
}

// WithSysfsRoot reads the drive list from dir instead of DefaultSysfsRoot.
func WithSysfsRoot(dir string) DiscoverOption {
	return func(c *discoverConfig) { c.root = dir }
}

// WithDevDir names device nodes under dir instead of /dev.
func WithDevDir(dir string) DiscoverOption {
	return func(c *discoverConfig) { c.devDir = dir }
}

// WithModes also lists the defined mode variants nstNl, nstNm and nstNa.
func WithModes() DiscoverOption {
	return func(c *discoverConfig) { c.modes = true }
}

// WithRewinding also lists the rewinding nodes stN. Writing an archive
// through one loses the position after every close, so they are off by default.
func WithRewinding() DiscoverOption {
	return func(c *discoverConfig) { c.rewinding = true }
}

// nodeName matches st driver node names: optional "n", "st", drive number, mode letter.
var nodeName = regexp.MustCompile(`^(n?)st([0-9]+)([lma]?)$`)

// Discover lists the tape drives the st driver knows, sorted by drive number.
// By default it returns one entry per drive: its non-rewinding mode-0 node
// nstN. A missing root (no st driver loaded) gives no drives and no error.
func Discover(opts ...DiscoverOption) ([]Drive, error) {
	cfg := discoverConfig{root: DefaultSysfsRoot, devDir: "/dev"}
	for _, o := range opts {
		o(&cfg)
	}
	entries, err := os.ReadDir(cfg.root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list tape drives: %w", err)
	}
	var drives []Drive
	for _, e := range entries {
		m := nodeName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		rewinding, mode := m[1] == "", m[3]
		if (rewinding && !cfg.rewinding) || (mode != "" && !cfg.modes) {
			continue
		}
		number, err := strconv.Atoi(m[2])
		if err != nil {
			return nil, fmt.Errorf("tape node %s: drive number: %w", e.Name(), err)
		}
		d, err := readDrive(filepath.Join(cfg.root, e.Name()))
		if err != nil {
			return nil, err
		}
		if mode != "" && !d.defined {
			continue // a dormant mode the administrator never set up
		}
		d.Name, d.Number, d.Mode, d.Rewinding = e.Name(), number, mode, rewinding
		d.Path = filepath.Join(cfg.devDir, e.Name())
		drives = append(drives, d.Drive)
	}
	sort.Slice(drives, func(i, j int) bool {
		a, b := drives[i], drives[j]
		if a.Number != b.Number {
			return a.Number < b.Number
		}
		return a.Name < b.Name
	})
	return drives, nil
}

type drivePlus struct {
	Drive
	defined bool
}

// readDrive reads one node directory. Only the directory itself is required;
// every attribute is optional because kernels and drives differ.
func readDrive(dir string) (drivePlus, error) {
	d := drivePlus{Drive: Drive{
		SysfsDir:           dir,
		DefaultBlockSize:   -1,
		DefaultDensity:     -1,
		DefaultCompression: -1,
	}, defined: true}
	var err error
	if d.DefaultBlockSize, err = readIntAttr(dir, "default_blksize", -1); err != nil {
		return d, err
	}
	if d.DefaultDensity, err = readIntAttr(dir, "default_density", -1); err != nil {
		return d, err
	}
	if d.DefaultCompression, err = readIntAttr(dir, "default_compression", -1); err != nil {
		return d, err
	}
	defined, err := readIntAttr(dir, "defined", 1)
	if err != nil {
		return d, err
	}
	d.defined = defined != 0
	options, err := readIntAttr(dir, "options", 0)
	if err != nil {
		return d, err
	}
	d.Options = uint32(options)

	dev := filepath.Join(dir, "device")
	if target, err := filepath.EvalSymlinks(dev); err == nil {
		d.SCSIAddress = filepath.Base(target)
	}
	d.Vendor = readStringAttr(dev, "vendor")
	d.Model = readStringAttr(dev, "model")
	d.Revision = readStringAttr(dev, "rev")
	if page, err := os.ReadFile(filepath.Join(dev, "vpd_pg80")); err == nil {
		d.Serial = parseSerialPage(page)
	}
	return d, nil
}

// readStringAttr returns a trimmed attribute, or "" when it is absent.
// INQUIRY strings are space-padded to a fixed width.
func readStringAttr(dir, name string) string {
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// readIntAttr parses a decimal or 0x-prefixed attribute, returning def when
// the file does not exist.
func readIntAttr(dir, name string, def int) (int, error) {
	path := filepath.Join(dir, name)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return def, nil
	}
	if err != nil {
		return def, fmt.Errorf("read %s: %w", path, err)
	}
	v, err := strconv.ParseInt(strings.TrimSpace(string(b)), 0, 64)
	if err != nil {
		return def, fmt.Errorf("read %s: not a number: %q", path, strings.TrimSpace(string(b)))
	}
	return int(v), nil
}

// parseSerialPage extracts the serial from a Unit Serial Number VPD page
// (SPC: byte 1 is the page code 0x80, bytes 2-3 the length of what follows).
func parseSerialPage(page []byte) string {
	if len(page) < 4 || page[1] != 0x80 {
		return ""
	}
	n := int(binary.BigEndian.Uint16(page[2:4]))
	serial := page[4:]
	if n < len(serial) {
		serial = serial[:n]
	}
	return string(bytes.Trim(serial, " \x00"))
}

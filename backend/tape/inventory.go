package tape

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
)

// Environment variables that point drive discovery at another tree, so tests
// and UI demonstrations can show drives on hosts that have none.
const (
	EnvSysfsRoot = "FERRY_SYSFS_ROOT"
	EnvDevDir    = "FERRY_DEV_DIR"
)

// MaxBlockSize is the largest block size the st driver can set (24 bits).
const MaxBlockSize = maxBlockSize

// Drives says where to look for tape drives: the st driver's sysfs class
// directory and the directory holding the device nodes. Its methods list,
// find, check and move drives, turning the driver's errors into messages
// an operator can act on.
type Drives struct {
	SysfsRoot string `json:"sysfsRoot"` // default DefaultSysfsRoot
	DevDir    string `json:"devDir"`    // default /dev
	// OpenStatus opens a drive for status and control (default the
	// package's OpenStatus); tests answer with a Simulator.
	OpenStatus func(path string) (Device, error) `json:"-"`
}

// DrivesFromEnv returns the default locations, overridden by FERRY_SYSFS_ROOT
// and FERRY_DEV_DIR when set.
func DrivesFromEnv() Drives {
	return Drives{
		SysfsRoot: firstNonEmpty(os.Getenv(EnvSysfsRoot), DefaultSysfsRoot),
		DevDir:    firstNonEmpty(os.Getenv(EnvDevDir), "/dev"),
	}
}

// DriveInfo is one drive as `ferry drives` and the Drives page show it: what
// sysfs says about it and, when the drive answered, its status.
type DriveInfo struct {
	Drive Drive `json:"drive"`
	// State is "ready" (a tape is loaded and online), "empty" (no tape),
	// "loading" (a tape is in the drive but not ready), "busy" (another
	// program or a job has the drive open) or "error".
	State   string  `json:"state"`
	Summary string  `json:"summary"` // one line for people, e.g. "online, at BOT, file 0 block 0, variable blocks"
	Status  *Status `json:"status"`  // nil when the drive could not be asked
	Error   string  `json:"error"`   // why the status is missing; "" otherwise
}

// List discovers the drives and reads each one's status. A drive that cannot
// be asked (busy, missing node, no permission) is listed with its reason; only
// an unreadable sysfs tree fails the whole list. No drives gives an empty list.
func (d Drives) List() ([]DriveInfo, error) {
	drives, err := Discover(d.options()...)
	if err != nil {
		return nil, err
	}
	infos := make([]DriveInfo, 0, len(drives))
	for _, drv := range drives {
		info := DriveInfo{Drive: drv}
		st, err := d.Status(drv.Path)
		switch {
		case errors.Is(err, syscall.EBUSY):
			info.State, info.Summary = "busy", "busy (in use by another program or a job)"
			info.Error = err.Error()
		case err != nil:
			info.State, info.Summary, info.Error = "error", "error: "+err.Error(), err.Error()
		default:
			info.State, info.Summary = StatusState(st), StatusSummary(st)
			info.Status = &st
		}
		infos = append(infos, info)
	}
	return infos, nil
}

// NoDrivesHint explains an empty drive list: the st driver is not loaded, or
// it is loaded but sees no drive.
func (d Drives) NoDrivesHint() string {
	root := d.root()
	if _, err := os.Stat(root); errors.Is(err, fs.ErrNotExist) {
		return fmt.Sprintf("No tape drives found: %s does not exist, so the st (SCSI tape) driver is not loaded.\n"+
			"Load it with `sudo modprobe st`, then run `ferry drives` again.", root)
	}
	return fmt.Sprintf("No tape drives found: the st driver is loaded but lists no drives in %s.\n"+
		"Check that the drive is powered on and connected, and that the host adapter sees it (`lsscsi` lists it as \"tape\").", root)
}

// rewindingNode matches the st driver's rewinding nodes: stN, stNl, stNm, stNa.
var rewindingNode = regexp.MustCompile(`^st[0-9]+[lma]?$`)

// IsRewindingNode reports whether path names a rewinding node (stN), whose
// close rewinds the tape.
func IsRewindingNode(path string) bool {
	if target, err := filepath.EvalSymlinks(path); err == nil {
		path = target
	}
	return rewindingNode.MatchString(filepath.Base(path))
}

// Resolve turns what an operator typed ("nst0" or "/dev/nst0") into a device
// path. It refuses a rewinding node (stN) unless allowRewinding is set, and a
// node that does not exist, naming the drives that do.
func (d Drives) Resolve(dev string, allowRewinding bool) (string, error) {
	dev = strings.TrimSpace(dev)
	if dev == "" {
		return "", errors.New("no tape device given: name one such as nst0 or /dev/nst0 (`ferry drives` lists them)")
	}
	path := filepath.Clean(dev)
	if !strings.ContainsRune(dev, '/') {
		path = filepath.Join(d.dir(), dev)
	}
	node := path
	if target, err := filepath.EvalSymlinks(path); err == nil {
		node = target // udev links such as /dev/tape/by-id/...
	}
	if name := filepath.Base(node); rewindingNode.MatchString(name) && !allowRewinding {
		return "", fmt.Errorf("%s is a rewinding tape node: closing it rewinds the tape, so even a status check would lose the position. "+
			"Use %s, the same drive without the rewind, or pass --allow-rewinding", path, filepath.Join(filepath.Dir(node), "n"+name))
	}
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("no tape device %s: %s does not exist (%s)", dev, path, d.knownDrives())
		}
		return "", Problem(path, err)
	}
	return path, nil
}

// Find returns the drive dev names, as a node name ("nst0") or a path
// ("/dev/nst0"), from sysfs alone: the device node is not opened, and every
// node of a drive (rewinding or not, in any mode) is accepted.
func (d Drives) Find(dev string) (Drive, error) {
	dev = strings.TrimSpace(dev)
	drives, err := Discover(append(d.options(), WithModes(), WithRewinding())...)
	if err != nil {
		return Drive{}, err
	}
	path := filepath.Clean(dev)
	target, _ := filepath.EvalSymlinks(path)
	for _, drv := range drives {
		if drv.Name == dev || drv.Path == path || (target != "" && filepath.Base(target) == drv.Name) {
			return drv, nil
		}
	}
	return Drive{}, fmt.Errorf("no tape drive %q (%s)", dev, d.knownDrives())
}

// knownDrives names the drives found, for error messages.
func (d Drives) knownDrives() string {
	drives, err := Discover(d.options()...)
	if err != nil || len(drives) == 0 {
		return "no tape drives found"
	}
	names := make([]string, len(drives))
	for i, drv := range drives {
		names[i] = drv.Path
	}
	return "drives found: " + strings.Join(names, ", ")
}

func (d Drives) options() []DiscoverOption {
	return []DiscoverOption{WithSysfsRoot(d.root()), WithDevDir(d.dir())}
}

func (d Drives) root() string { return firstNonEmpty(d.SysfsRoot, DefaultSysfsRoot) }
func (d Drives) dir() string  { return firstNonEmpty(d.DevDir, "/dev") }

func (d Drives) openStatus(path string) (Device, error) {
	if d.OpenStatus != nil {
		return d.OpenStatus(path)
	}
	return OpenStatus(path)
}

// Status reads a drive's status without waiting for a tape.
func (d Drives) Status(path string) (Status, error) {
	return d.control(path, "status", false, nil)
}

// Rewind rewinds the tape in a drive and returns its status after.
func (d Drives) Rewind(path string) (Status, error) {
	return d.control(path, "rewind", true, Device.Rewind)
}

// Eject rewinds and unloads the tape.
func (d Drives) Eject(path string) (Status, error) {
	return d.control(path, "eject", true, Device.Eject)
}

// SpaceToEOD moves the tape to the end of recorded data, where a new
// archive is appended.
func (d Drives) SpaceToEOD(path string) (Status, error) {
	return d.control(path, "space to end of data", true, Device.SpaceToEOD)
}

// SetBlockSize sets the drive's block size in bytes; 0 selects
// variable-block mode.
func (d Drives) SetBlockSize(path string, size int) (Status, error) {
	if size < 0 || size > maxBlockSize {
		return Status{}, fmt.Errorf("block size %d is outside 0..%d (0 selects variable blocks)", size, maxBlockSize)
	}
	return d.control(path, "set block size", false, func(dev Device) error { return dev.SetBlockSize(size) })
}

// control opens path for control, checks for a tape when the command
// moves it, runs op and returns the status after it.
func (d Drives) control(path, name string, needTape bool, op func(Device) error) (st Status, err error) {
	dev, err := d.openStatus(path)
	if err != nil {
		return st, Problem(path, err)
	}
	defer func() {
		if cerr := dev.Close(); cerr != nil && err == nil {
			err = Problem(path, cerr)
		}
	}()
	st, err = dev.Status()
	if err != nil {
		return st, Problem(path, err)
	}
	if op == nil {
		return st, nil
	}
	if needTape && !st.Loaded {
		return st, fmt.Errorf("%s %s: no tape loaded", name, path)
	}
	if err := op(dev); err != nil {
		if problem := Problem(path, err); problem != err {
			return st, fmt.Errorf("%s: %w", name, problem)
		}
		return st, err // the device's error names the command and path
	}
	st, err = dev.Status()
	if err != nil {
		return st, Problem(path, err)
	}
	return st, nil
}

// CheckWritable reports, in words an operator can act on, why a drive with
// status st cannot take an archive now: no tape, a tape still loading, or a
// write-protected cartridge. It returns nil when the drive is ready to write.
func CheckWritable(path string, st Status) error {
	switch {
	case !st.Loaded:
		return &driveError{msg: fmt.Sprintf("no tape in %s: insert a cartridge and try again", path), err: errNoMedium}
	case !st.Online:
		return &driveError{msg: fmt.Sprintf("the tape in %s is not ready yet (still loading?); wait for the drive and try again", path), err: syscall.EAGAIN}
	case st.WriteProtected:
		return &driveError{msg: fmt.Sprintf("the tape in %s is write-protected: slide the cartridge's write-protect tab to unlock it, or insert another tape; nothing was written", path), err: syscall.EROFS}
	}
	return nil
}

// driveError is a message an operator can act on, wrapping the system error.
type driveError struct {
	msg string
	err error
}

func (e *driveError) Error() string { return e.msg }
func (e *driveError) Unwrap() error { return e.err }

// Problem rewrites the errors the st driver gives for the usual mistakes
// into plain words; errors.Is still sees the original errno.
func Problem(path string, err error) error {
	var de *driveError
	if err == nil || errors.As(err, &de) {
		return err
	}
	var msg string
	switch {
	case errors.Is(err, syscall.ENOTTY):
		msg = fmt.Sprintf("%s is not a tape device (it does not answer tape commands)", path)
	case errors.Is(err, syscall.EBUSY):
		msg = fmt.Sprintf("%s is busy: another program or a running job has it open (the drive takes one user at a time)", path)
	case errors.Is(err, fs.ErrNotExist):
		msg = fmt.Sprintf("%s does not exist", path)
	case errors.Is(err, fs.ErrPermission):
		msg = fmt.Sprintf("permission denied on %s: add your user to the group that owns it (often \"tape\"), then log in again", path)
	case errors.Is(err, syscall.EROFS):
		msg = fmt.Sprintf("the tape in %s is write-protected", path)
	case errors.Is(err, errNoMedium):
		msg = fmt.Sprintf("no tape in %s", path)
	case errors.Is(err, syscall.ENXIO), errors.Is(err, syscall.ENODEV):
		msg = fmt.Sprintf("%s has no drive behind it (is the drive powered on and connected?)", path)
	case errors.Is(err, syscall.EIO):
		msg = fmt.Sprintf("%s reported an I/O error (the kernel log, `dmesg`, has the drive's sense data)", path)
	default:
		return err
	}
	return &driveError{msg: msg, err: err}
}

// StatusState classifies a status as DriveInfo.State does.
func StatusState(st Status) string {
	switch {
	case st.Online:
		return "ready"
	case st.Loaded:
		return "loading"
	default:
		return "empty"
	}
}

// StatusSummary describes a status in one line.
func StatusSummary(st Status) string {
	switch StatusState(st) {
	case "empty":
		return "no tape"
	case "loading":
		return "tape loaded, not ready"
	}
	parts := []string{"online"}
	if st.WriteProtected {
		parts = append(parts, "write-protected")
	}
	if st.AtBOT {
		parts = append(parts, "at BOT")
	}
	if st.AtEOD {
		parts = append(parts, "at EOD")
	}
	if st.PastEarlyWarning {
		parts = append(parts, "near end of tape")
	}
	if st.FileNumber >= 0 && st.BlockNumber >= 0 {
		parts = append(parts, fmt.Sprintf("file %d block %d", st.FileNumber, st.BlockNumber))
	} else {
		parts = append(parts, "position unknown")
	}
	parts = append(parts, BlockSizeText(st.BlockSize))
	if st.CleaningRequested {
		parts = append(parts, "cleaning requested")
	}
	return strings.Join(parts, ", ")
}

// BlockSizeText describes a block size: "variable blocks", "1 MiB blocks".
func BlockSizeText(n int) string {
	switch {
	case n == 0:
		return "variable blocks"
	case n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB blocks", n>>20)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB blocks", n>>10)
	default:
		return fmt.Sprintf("%d-byte blocks", n)
	}
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}

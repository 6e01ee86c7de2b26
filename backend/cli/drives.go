package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"ferry/backend/config"
	"ferry/backend/tape"
)

func init() { register(newDrivesCmd) }

// Environment variables that point drive discovery at another tree, so tests
// and UI demonstrations can show drives on hosts that have none.
const (
	EnvSysfsRoot = "FERRY_SYSFS_ROOT"
	EnvDevDir    = "FERRY_DEV_DIR"
)

// maxBlockSize is the largest block size the st driver can set (24 bits).
const maxBlockSize = 1<<24 - 1

// openStatus opens a drive for status and control; tests replace it with a
// simulator.
var openStatus = tape.OpenStatus

// Drives says where to look for tape drives: the st driver's sysfs class
// directory and the directory holding the device nodes.
type Drives struct {
	SysfsRoot string `json:"sysfsRoot"` // default tape.DefaultSysfsRoot
	DevDir    string `json:"devDir"`    // default /dev
}

// DrivesFromEnv returns the default locations, overridden by FERRY_SYSFS_ROOT
// and FERRY_DEV_DIR when set.
func DrivesFromEnv() Drives {
	return Drives{
		SysfsRoot: firstNonEmpty(os.Getenv(EnvSysfsRoot), tape.DefaultSysfsRoot),
		DevDir:    firstNonEmpty(os.Getenv(EnvDevDir), "/dev"),
	}
}

// DriveInfo is one drive as `ferry drives` and the Drives page show it: what
// sysfs says about it and, when the drive answered, its status.
type DriveInfo struct {
	Drive tape.Drive `json:"drive"`
	// State is "ready" (a tape is loaded and online), "empty" (no tape),
	// "loading" (a tape is in the drive but not ready), "busy" (another
	// program or a job has the drive open) or "error".
	State   string       `json:"state"`
	Summary string       `json:"summary"` // one line for people, e.g. "online, at BOT, file 0 block 0, variable blocks"
	Status  *tape.Status `json:"status"`  // nil when the drive could not be asked
	Error   string       `json:"error"`   // why the status is missing; "" otherwise
}

// List discovers the drives and reads each one's status. A drive that cannot
// be asked (busy, missing node, no permission) is listed with its reason; only
// an unreadable sysfs tree fails the whole list. No drives gives an empty list.
func (d Drives) List() ([]DriveInfo, error) {
	drives, err := tape.Discover(d.options()...)
	if err != nil {
		return nil, err
	}
	infos := make([]DriveInfo, 0, len(drives))
	for _, drv := range drives {
		info := DriveInfo{Drive: drv}
		st, err := ReadDriveStatus(drv.Path)
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
		return "", DriveProblem(path, err)
	}
	return path, nil
}

// Find returns the drive dev names, as a node name ("nst0") or a path
// ("/dev/nst0"), from sysfs alone: the device node is not opened, and every
// node of a drive (rewinding or not, in any mode) is accepted.
func (d Drives) Find(dev string) (tape.Drive, error) {
	dev = strings.TrimSpace(dev)
	drives, err := tape.Discover(append(d.options(), tape.WithModes(), tape.WithRewinding())...)
	if err != nil {
		return tape.Drive{}, err
	}
	path := filepath.Clean(dev)
	target, _ := filepath.EvalSymlinks(path)
	for _, drv := range drives {
		if drv.Name == dev || drv.Path == path || (target != "" && filepath.Base(target) == drv.Name) {
			return drv, nil
		}
	}
	return tape.Drive{}, fmt.Errorf("no tape drive %q (%s)", dev, d.knownDrives())
}

// knownDrives names the drives found, for error messages.
func (d Drives) knownDrives() string {
	drives, err := tape.Discover(d.options()...)
	if err != nil || len(drives) == 0 {
		return "no tape drives found"
	}
	names := make([]string, len(drives))
	for i, drv := range drives {
		names[i] = drv.Path
	}
	return "drives found: " + strings.Join(names, ", ")
}

func (d Drives) options() []tape.DiscoverOption {
	return []tape.DiscoverOption{tape.WithSysfsRoot(d.root()), tape.WithDevDir(d.dir())}
}

func (d Drives) root() string { return firstNonEmpty(d.SysfsRoot, tape.DefaultSysfsRoot) }
func (d Drives) dir() string  { return firstNonEmpty(d.DevDir, "/dev") }

// ReadDriveStatus reads a drive's status without waiting for a tape.
func ReadDriveStatus(path string) (tape.Status, error) {
	return controlDrive(path, "status", false, nil)
}

// RewindDrive rewinds the tape in a drive and returns its status after.
func RewindDrive(path string) (tape.Status, error) {
	return controlDrive(path, "rewind", true, tape.Device.Rewind)
}

// EjectDrive rewinds and unloads the tape.
func EjectDrive(path string) (tape.Status, error) {
	return controlDrive(path, "eject", true, tape.Device.Eject)
}

// SpaceToEOD moves the tape to the end of recorded data, where a new
// archive is appended.
func SpaceToEOD(path string) (tape.Status, error) {
	return controlDrive(path, "space to end of data", true, tape.Device.SpaceToEOD)
}

// SetDriveBlockSize sets the drive's block size in bytes; 0 selects
// variable-block mode.
func SetDriveBlockSize(path string, size int) (tape.Status, error) {
	if size < 0 || size > maxBlockSize {
		return tape.Status{}, fmt.Errorf("block size %d is outside 0..%d (0 selects variable blocks)", size, maxBlockSize)
	}
	return controlDrive(path, "set block size", false, func(dev tape.Device) error { return dev.SetBlockSize(size) })
}

// controlDrive opens path for control, checks for a tape when the command
// moves it, runs op and returns the status after it.
func controlDrive(path, name string, needTape bool, op func(tape.Device) error) (st tape.Status, err error) {
	dev, err := openStatus(path)
	if err != nil {
		return st, DriveProblem(path, err)
	}
	defer func() {
		if cerr := dev.Close(); cerr != nil && err == nil {
			err = DriveProblem(path, cerr)
		}
	}()
	st, err = dev.Status()
	if err != nil {
		return st, DriveProblem(path, err)
	}
	if op == nil {
		return st, nil
	}
	if needTape && !st.Loaded {
		return st, fmt.Errorf("%s %s: no tape loaded", name, path)
	}
	if err := op(dev); err != nil {
		if problem := DriveProblem(path, err); problem != err {
			return st, fmt.Errorf("%s: %w", name, problem)
		}
		return st, err // the device's error names the command and path
	}
	st, err = dev.Status()
	if err != nil {
		return st, DriveProblem(path, err)
	}
	return st, nil
}

// driveError is a message an operator can act on, wrapping the system error.
type driveError struct {
	msg string
	err error
}

func (e *driveError) Error() string { return e.msg }
func (e *driveError) Unwrap() error { return e.err }

// DriveProblem rewrites the errors the st driver gives for the usual
// mistakes into plain words; errors.Is still sees the original errno.
func DriveProblem(path string, err error) error {
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
func StatusState(st tape.Status) string {
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
func StatusSummary(st tape.Status) string {
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
	parts = append(parts, blockSizeText(st.BlockSize))
	if st.CleaningRequested {
		parts = append(parts, "cleaning requested")
	}
	return strings.Join(parts, ", ")
}

func blockSizeText(n int) string {
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

// drivesFlags are the flags every `ferry drives` command shares.
type drivesFlags struct {
	sysfsRoot, devDir string
	asJSON            bool
	allowRewinding    bool
}

func (f *drivesFlags) drives() Drives {
	env := DrivesFromEnv()
	return Drives{SysfsRoot: firstNonEmpty(f.sysfsRoot, env.SysfsRoot), DevDir: firstNonEmpty(f.devDir, env.DevDir)}
}

func newDrivesCmd(g *globals) *cobra.Command {
	f := &drivesFlags{}
	cmd := &cobra.Command{
		Use:   "drives",
		Short: "List tape drives and their status; rewind, eject or position a tape",
		Long: `List the tape drives the st driver knows, one line each: device, vendor, model,
serial and the state of the tape. A drive a job is writing to shows as busy.
Subcommands check and move one drive; DEV is a node name (nst0) or path (/dev/nst0).`,
		Example: `  ferry drives
  ferry drives --json
  ferry drives status nst0
  ferry drives eod /dev/nst0     # ready to append a new archive`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			d := f.drives()
			infos, err := d.List()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if f.asJSON {
				return writeJSON(out, infos)
			}
			if len(infos) == 0 {
				fmt.Fprintln(out, d.NoDrivesHint())
				return nil
			}
			return writeDriveTable(out, infos)
		},
	}
	pf := cmd.PersistentFlags()
	pf.StringVar(&f.sysfsRoot, "sysfs-root", "", "read drives from this directory instead of "+tape.DefaultSysfsRoot+" (or "+EnvSysfsRoot+")")
	pf.StringVar(&f.devDir, "dev-dir", "", "directory of the device nodes instead of /dev (or "+EnvDevDir+")")
	_ = pf.MarkHidden("sysfs-root")
	_ = pf.MarkHidden("dev-dir")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print the list as JSON")

	cmd.AddCommand(
		newDriveStatusCmd(f),
		newDriveControlCmd(f, "rewind", "Rewind the tape to the beginning",
			"  ferry drives rewind nst0", RewindDrive,
			func(path string, _ tape.Status) string { return "Rewound " + path }),
		newDriveControlCmd(f, "eject", "Rewind and unload the tape",
			"  ferry drives eject /dev/nst0", EjectDrive,
			func(path string, _ tape.Status) string { return "Ejected the tape from " + path }),
		newDriveControlCmd(f, "eod", "Move the tape to the end of recorded data, ready to append",
			"  ferry drives eod nst0", SpaceToEOD,
			func(path string, st tape.Status) string {
				return fmt.Sprintf("At end of data on %s: %s", path, StatusSummary(st))
			}),
		newDriveSetBlockCmd(f),
	)
	return cmd
}

func newDriveStatusCmd(f *drivesFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status DEV",
		Short: "Show one drive's status: tape loaded, write protection, position, block size",
		Example: `  ferry drives status nst0
  ferry drives status --json /dev/nst0`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := f.drives().Resolve(args[0], f.allowRewinding)
			if err != nil {
				return err
			}
			st, err := ReadDriveStatus(path)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if f.asJSON {
				return writeJSON(out, struct {
					Path   string      `json:"path"`
					State  string      `json:"state"`
					Status tape.Status `json:"status"`
				}{path, StatusState(st), st})
			}
			return writeStatus(out, path, st)
		},
	}
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print the status as JSON")
	addAllowRewinding(cmd, f)
	return cmd
}

func newDriveControlCmd(f *drivesFlags, verb, short, example string, op func(string) (tape.Status, error), done func(string, tape.Status) string) *cobra.Command {
	cmd := &cobra.Command{
		Use:     verb + " DEV",
		Short:   short,
		Example: example,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := f.drives().Resolve(args[0], f.allowRewinding)
			if err != nil {
				return err
			}
			st, err := op(path)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), done(path, st))
			return nil
		},
	}
	addAllowRewinding(cmd, f)
	return cmd
}

func newDriveSetBlockCmd(f *drivesFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "setblk DEV SIZE",
		Short: "Set the drive's block size; 0 selects variable blocks, which Ferry writes",
		Example: `  ferry drives setblk nst0 0        # variable-length records
  ferry drives setblk nst0 256Ki    # fixed 262144-byte blocks`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			size, err := config.ParseSize(args[1])
			if err != nil {
				return fmt.Errorf("block size: %w", err)
			}
			if size > maxBlockSize {
				return fmt.Errorf("block size %s is larger than the st driver's limit of %d bytes (0 selects variable blocks)", args[1], maxBlockSize)
			}
			path, err := f.drives().Resolve(args[0], f.allowRewinding)
			if err != nil {
				return err
			}
			st, err := SetDriveBlockSize(path, int(size))
			if err != nil {
				return err
			}
			what := "variable blocks"
			if st.BlockSize != 0 {
				what = strconv.Itoa(st.BlockSize) + "-byte blocks"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s now uses %s\n", path, what)
			return nil
		},
	}
	addAllowRewinding(cmd, f)
	return cmd
}

func addAllowRewinding(cmd *cobra.Command, f *drivesFlags) {
	cmd.Flags().BoolVar(&f.allowRewinding, "allow-rewinding", false, "accept a rewinding node (stN); the tape rewinds when the command ends")
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func writeDriveTable(w io.Writer, infos []DriveInfo) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDEVICE\tVENDOR\tMODEL\tSERIAL\tSTATUS")
	dash := func(s string) string { return firstNonEmpty(s, "-") }
	for _, i := range infos {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", i.Drive.Name, i.Drive.Path,
			dash(i.Drive.Vendor), dash(i.Drive.Model), dash(i.Drive.Serial), i.Summary)
	}
	return tw.Flush()
}

func writeStatus(w io.Writer, path string, st tape.Status) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	yes := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	pos := "unknown"
	if st.FileNumber >= 0 && st.BlockNumber >= 0 {
		pos = fmt.Sprintf("file %d, block %d", st.FileNumber, st.BlockNumber)
	}
	var marks []string
	for _, m := range []struct {
		on   bool
		name string
	}{{st.AtBOT, "at BOT"}, {st.AtEOD, "at EOD"}, {st.AtFilemark, "after a filemark"}, {st.PastEarlyWarning, "near end of tape"}} {
		if m.on {
			marks = append(marks, m.name)
		}
	}
	if len(marks) > 0 {
		pos += " (" + strings.Join(marks, ", ") + ")"
	}
	fmt.Fprintf(tw, "device:\t%s\n", path)
	fmt.Fprintf(tw, "state:\t%s\n", StatusSummary(st))
	fmt.Fprintf(tw, "tape loaded:\t%s\n", yes(st.Loaded))
	fmt.Fprintf(tw, "online:\t%s\n", yes(st.Online))
	fmt.Fprintf(tw, "write-protected:\t%s\n", yes(st.WriteProtected))
	fmt.Fprintf(tw, "position:\t%s\n", pos)
	fmt.Fprintf(tw, "block size:\t%s\n", blockSizeText(st.BlockSize))
	fmt.Fprintf(tw, "density:\t0x%02x\n", st.Density)
	fmt.Fprintf(tw, "cleaning requested:\t%s\n", yes(st.CleaningRequested))
	return tw.Flush()
}

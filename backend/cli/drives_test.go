package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"ferry/backend/tape"
)

// fakeDrives builds a sysfs class directory shaped like Linux's, holding two
// drives (nst0/st0, an IBM LTO-9 with a serial page, and nst1/st1, an HP
// LTO-6 without one), and a device directory where every node is a plain
// file, as on a host without the st driver.
func fakeDrives(t *testing.T) (sysfsRoot, devDir string) {
	t.Helper()
	root := t.TempDir()
	sysfsRoot = filepath.Join(root, "sys", "class", "scsi_tape")
	devDir = filepath.Join(root, "dev")
	mustMkdir(t, sysfsRoot)
	mustMkdir(t, devDir)
	drives := []struct {
		n, scsi string
		attrs   map[string]string
	}{
		{"0", "0:0:3:0", map[string]string{"vendor": "IBM     \n", "model": "ULT3580-TD9     \n", "vpd_pg80": "\x01\x80\x00\x0c" + "1013000123  "}},
		{"1", "1:0:0:0", map[string]string{"vendor": "HP      \n", "model": "Ultrium 6-SCSI  \n"}},
	}
	for _, d := range drives {
		scsi := filepath.Join(root, "sys", "devices", "host"+d.n, d.scsi)
		for name, content := range d.attrs {
			mustWrite(t, filepath.Join(scsi, name), content)
		}
		for _, name := range []string{"st" + d.n, "nst" + d.n} {
			node := filepath.Join(scsi, "scsi_tape", name)
			mustWrite(t, filepath.Join(node, "default_blksize"), "-1\n")
			mustWrite(t, filepath.Join(node, "stats", "write_byte_cnt"), "0")
			if err := os.Symlink(filepath.Join("..", ".."), filepath.Join(node, "device")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(node, filepath.Join(sysfsRoot, name)); err != nil {
				t.Fatal(err)
			}
			mustWrite(t, filepath.Join(devDir, name), "")
		}
	}
	return sysfsRoot, devDir
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t *testing.T, path, content string) {
	t.Helper()
	mustMkdir(t, filepath.Dir(path))
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runFerry runs the CLI with args and returns what it printed.
func runFerry(t *testing.T, args ...string) (stdout string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := NewRoot(Options{Stdout: &out, Stderr: &errOut})
	root.SetArgs(args)
	err = root.Execute()
	return out.String(), err
}

// drivesArgs prefixes args with `drives` and the fake tree's locations.
func drivesArgs(sysfsRoot, devDir string, args ...string) []string {
	return append([]string{"drives", "--sysfs-root", sysfsRoot, "--dev-dir", devDir}, args...)
}

// simulate answers opens of the given device paths from simulators instead
// of the st driver, for the length of the test.
func simulate(t *testing.T, sims map[string]*tape.Simulator) {
	t.Helper()
	saved := openStatus
	openStatus = func(path string) (tape.Device, error) {
		if s, ok := sims[path]; ok {
			return s.OpenStatus()
		}
		return saved(path)
	}
	t.Cleanup(func() { openStatus = saved })
}

func TestDrivesListShowsEachDriveAndItsProblem(t *testing.T) {
	sys, dev := fakeDrives(t)
	out, err := runFerry(t, drivesArgs(sys, dev)...)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) != 3 {
		t.Fatalf("want a header and one line per drive, got:\n%s", out)
	}
	for _, want := range []string{"nst0", filepath.Join(dev, "nst0"), "IBM", "ULT3580-TD9", "1013000123", "not a tape device"} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("line for nst0 lacks %q: %s", want, lines[1])
		}
	}
	for _, want := range []string{"nst1", "HP", "Ultrium 6-SCSI", " - "} {
		if !strings.Contains(lines[2], want) {
			t.Errorf("line for nst1 lacks %q: %s", want, lines[2])
		}
	}
	if strings.Contains(out, filepath.Join(dev, "st0")) {
		t.Errorf("the list shows a rewinding node:\n%s", out)
	}
}

func TestDrivesListStatusSummaryAndBusy(t *testing.T) {
	sys, dev := fakeDrives(t)
	loaded := tape.NewSimulator(&tape.Medium{WriteProtected: true})
	busy := tape.NewSimulator(&tape.Medium{})
	simulate(t, map[string]*tape.Simulator{filepath.Join(dev, "nst0"): loaded, filepath.Join(dev, "nst1"): busy})
	held, err := busy.Open(true) // a job writing to drive 1
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()

	out, err := runFerry(t, drivesArgs(sys, dev)...)
	if err != nil {
		t.Fatal(err)
	}
	if want := "online, write-protected, at BOT, file 0 block 0, variable blocks"; !strings.Contains(out, want) {
		t.Errorf("list lacks the status of nst0 %q:\n%s", want, out)
	}
	if !strings.Contains(out, "busy") {
		t.Errorf("list does not show nst1 as busy:\n%s", out)
	}
}

func TestDrivesListJSON(t *testing.T) {
	sys, dev := fakeDrives(t)
	simulate(t, map[string]*tape.Simulator{filepath.Join(dev, "nst1"): tape.NewSimulator(nil)})
	out, err := runFerry(t, drivesArgs(sys, dev, "--json")...)
	if err != nil {
		t.Fatal(err)
	}
	var infos []tape.DriveInfo
	if err := json.Unmarshal([]byte(out), &infos); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(infos) != 2 {
		t.Fatalf("want 2 drives, got %d:\n%s", len(infos), out)
	}
	ibm, hp := infos[0], infos[1]
	if ibm.Drive.Name != "nst0" || ibm.Drive.Serial != "1013000123" || ibm.Drive.Path != filepath.Join(dev, "nst0") {
		t.Errorf("drive 0 = %+v", ibm.Drive)
	}
	if ibm.State != "error" || ibm.Status != nil || !strings.Contains(ibm.Error, "not a tape device") {
		t.Errorf("drive 0 (a plain file): state %q, status %v, error %q", ibm.State, ibm.Status, ibm.Error)
	}
	if hp.State != "empty" || hp.Status == nil || hp.Status.Loaded || hp.Error != "" || hp.Summary != "no tape" {
		t.Errorf("drive 1 (empty): %+v", hp)
	}
	for _, key := range []string{`"drive"`, `"serial"`, `"state"`, `"status"`, `"error"`} {
		if !strings.Contains(out, key) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

func TestDrivesNoneFound(t *testing.T) {
	dir := t.TempDir()
	out, err := runFerry(t, drivesArgs(filepath.Join(dir, "missing"), dir)...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "No tape drives found") || !strings.Contains(out, "st (SCSI tape) driver is not loaded") || !strings.Contains(out, "modprobe st") {
		t.Errorf("no sysfs class directory: %q", out)
	}

	out, err = runFerry(t, drivesArgs(dir, dir)...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "No tape drives found") || !strings.Contains(out, "lists no drives") {
		t.Errorf("empty sysfs class directory: %q", out)
	}

	out, err = runFerry(t, drivesArgs(dir, dir, "--json")...)
	if err != nil {
		t.Fatal(err)
	}
	if strings.TrimSpace(out) != "[]" {
		t.Errorf("--json with no drives = %q, want []", out)
	}
}

func TestDrivesFromEnvironment(t *testing.T) {
	sys, dev := fakeDrives(t)
	t.Setenv(tape.EnvSysfsRoot, sys)
	t.Setenv(tape.EnvDevDir, dev)
	out, err := runFerry(t, "drives")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, filepath.Join(dev, "nst1")) {
		t.Errorf("FERRY_SYSFS_ROOT and FERRY_DEV_DIR ignored:\n%s", out)
	}
}

func TestDrivesUnknownDevice(t *testing.T) {
	sys, dev := fakeDrives(t)
	for _, name := range []string{"nst9", filepath.Join(dev, "nst9")} {
		_, err := runFerry(t, drivesArgs(sys, dev, "status", name)...)
		if err == nil {
			t.Fatalf("status %s: no error", name)
		}
		for _, want := range []string{"nst9 does not exist", "drives found: " + filepath.Join(dev, "nst0") + ", " + filepath.Join(dev, "nst1")} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("status %s: error %q lacks %q", name, err, want)
			}
		}
	}
	if _, err := runFerry(t, drivesArgs(sys, dev, "rewind")...); err == nil {
		t.Error("rewind without DEV: no error")
	}
}

func TestDrivesRefuseRewindingNode(t *testing.T) {
	sys, dev := fakeDrives(t)
	for _, verb := range []string{"status", "rewind", "eject", "eod", "setblk"} {
		for _, node := range []string{"st0", filepath.Join(dev, "st0")} {
			args := []string{verb, node}
			if verb == "setblk" {
				args = append(args, "0")
			}
			_, err := runFerry(t, drivesArgs(sys, dev, args...)...)
			if err == nil {
				t.Fatalf("%v: no error", args)
			}
			for _, want := range []string{"rewinding", "closing it rewinds the tape", filepath.Join(dev, "nst0"), "--allow-rewinding"} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("%v: error %q lacks %q", args, err, want)
				}
			}
		}
	}
	// Allowed, the command reaches the node (here a plain file).
	_, err := runFerry(t, drivesArgs(sys, dev, "rewind", "--allow-rewinding", "st0")...)
	if err == nil || !strings.Contains(err.Error(), "not a tape device") {
		t.Errorf("rewind --allow-rewinding st0 = %v, want the node tried", err)
	}
}

func TestDrivesControlNotATapeDevice(t *testing.T) {
	sys, dev := fakeDrives(t)
	for _, args := range [][]string{{"status", "nst0"}, {"rewind", "nst0"}, {"eject", filepath.Join(dev, "nst0")}, {"eod", "nst1"}, {"setblk", "nst1", "0"}} {
		_, err := runFerry(t, drivesArgs(sys, dev, args...)...)
		if err == nil {
			t.Fatalf("%v on a plain file: no error", args)
		}
		if !strings.Contains(err.Error(), "is not a tape device") || !errors.Is(err, syscall.ENOTTY) {
			t.Errorf("%v on a plain file: %v", args, err)
		}
	}
}

func TestDrivesControlOnASimulatedDrive(t *testing.T) {
	sys, dev := fakeDrives(t)
	sim := tape.NewSimulator(&tape.Medium{Density: 0x60})
	path := filepath.Join(dev, "nst0")
	simulate(t, map[string]*tape.Simulator{path: sim})
	w, err := sim.Open(true)
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range []string{"one", "two"} {
		if _, err := w.Write([]byte(rec)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil { // ends file 0 with a filemark
		t.Fatal(err)
	}

	run := func(args ...string) string {
		t.Helper()
		out, err := runFerry(t, drivesArgs(sys, dev, args...)...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return out
	}
	if out := run("eod", "nst0"); !strings.Contains(out, "At end of data on "+path) || !strings.Contains(out, "at EOD") || !strings.Contains(out, "file 1 block 0") {
		t.Errorf("eod: %q", out)
	}
	if out := run("rewind", path); !strings.Contains(out, "Rewound "+path) {
		t.Errorf("rewind: %q", out)
	}
	out := run("status", "nst0")
	for _, want := range []string{"online, at BOT, file 0 block 0, variable blocks", "density:", "0x60", "write-protected:     no"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	if out := run("setblk", "nst0", "256Ki"); !strings.Contains(out, "262144-byte blocks") {
		t.Errorf("setblk 256Ki: %q", out)
	}
	var js struct {
		Path   string      `json:"path"`
		State  string      `json:"state"`
		Status tape.Status `json:"status"`
	}
	if err := json.Unmarshal([]byte(run("status", "--json", "nst0")), &js); err != nil {
		t.Fatal(err)
	}
	if js.Path != path || js.State != "ready" || js.Status.BlockSize != 262144 || !js.Status.AtBOT {
		t.Errorf("status --json = %+v", js)
	}
	if out := run("setblk", "nst0", "0"); !strings.Contains(out, "variable blocks") {
		t.Errorf("setblk 0: %q", out)
	}
	if out := run("eject", "nst0"); !strings.Contains(out, "Ejected") || sim.Medium() != nil {
		t.Errorf("eject: %q, medium still loaded: %v", out, sim.Medium() != nil)
	}
	_, err = runFerry(t, drivesArgs(sys, dev, "rewind", "nst0")...)
	if err == nil || !strings.Contains(err.Error(), "no tape loaded") {
		t.Errorf("rewind an empty drive = %v, want no tape loaded", err)
	}
	if out := run("status", "nst0"); !strings.Contains(out, "no tape") {
		t.Errorf("status of an empty drive: %q", out)
	}
}

func TestDrivesSetBlockBadSize(t *testing.T) {
	sys, dev := fakeDrives(t)
	for _, tc := range []struct{ size, want string }{
		{"abc", "not a size"},
		{"64XB", "unknown unit"},
		{"32Mi", "limit of 16777215 bytes"},
	} {
		_, err := runFerry(t, drivesArgs(sys, dev, "setblk", "nst0", tc.size)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("setblk nst0 %s = %v, want %q", tc.size, err, tc.want)
		}
	}
}

func TestDrivesFindBySysfs(t *testing.T) {
	sys, dev := fakeDrives(t)
	d := tape.Drives{SysfsRoot: sys, DevDir: dev}
	for _, name := range []string{"nst1", filepath.Join(dev, "nst1"), "st1"} {
		drv, err := d.Find(name)
		if err != nil {
			t.Fatalf("Find(%s): %v", name, err)
		}
		if drv.Vendor != "HP" {
			t.Errorf("Find(%s) = %+v", name, drv)
		}
	}
	if _, err := d.Find("nst7"); err == nil || !strings.Contains(err.Error(), "no tape drive") {
		t.Errorf("Find(nst7) = %v", err)
	}
}

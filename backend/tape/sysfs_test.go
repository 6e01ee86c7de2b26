package tape

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// fakeSysfs builds a tree shaped like Linux's: the class directory holds
// symlinks to node directories under the SCSI device, and each node's
// "device" link points back at the SCSI device with the INQUIRY attributes.
//
// Drive 2 (IBM LTO-9) has everything, four modes of which two are defined,
// and statistics. Drive 10 (HP LTO-6) has only what every kernel has: no
// serial page, firmware revision, options, compression default or stats.
// The numbers make name order (nst10 before nst2) differ from drive order.
func fakeSysfs(t *testing.T) (classDir string) {
	t.Helper()
	root := t.TempDir()
	classDir = filepath.Join(root, "class", "scsi_tape")
	mkdir(t, classDir)

	ibm := filepath.Join(root, "devices", "pci0000:00", "0000:00:1f.0", "host0", "target0:0:3", "0:0:3:0")
	writeFiles(t, ibm, map[string]string{
		"vendor":   "IBM     \n",
		"model":    "ULT3580-TD9     \n",
		"rev":      "Q3B0\n",
		"type":     "1\n",
		"vpd_pg80": "\x01\x80\x00\x0c" + "1013000123  ",
	})
	for _, mode := range []struct{ suffix, defined, blksize string }{
		{"", "1", "-1"}, {"l", "1", "262144"}, {"m", "0", "-1"}, {"a", "0", "-1"},
	} {
		for _, prefix := range []string{"st", "nst"} {
			name := prefix + "2" + mode.suffix
			node := filepath.Join(ibm, "scsi_tape", name)
			writeFiles(t, node, map[string]string{
				"dev":                 "9:130\n",
				"defined":             mode.defined + "\n",
				"default_blksize":     mode.blksize + "\n",
				"default_density":     "0x60\n",
				"default_compression": "1\n",
				"options":             "0x00000907\n",
				// The driver prints counters without a newline.
				"stats/read_byte_cnt":  "5000000",
				"stats/write_byte_cnt": "1000000000",
				"stats/read_cnt":       "5",
				"stats/write_cnt":      "954",
				"stats/other_cnt":      "12",
				"stats/read_ns":        "2000000",
				"stats/write_ns":       "3000000000",
				"stats/io_ns":          "3500000000",
				"stats/in_flight":      "1",
				"stats/resid_cnt":      "0",
			})
			symlink(t, "../../../0:0:3:0", filepath.Join(node, "device"))
			symlink(t, relTo(t, classDir, node), filepath.Join(classDir, name))
		}
	}

	hp := filepath.Join(root, "devices", "pci0000:00", "0000:00:1f.0", "host1", "target1:0:0", "1:0:0:0")
	writeFiles(t, hp, map[string]string{
		"vendor": "HP      \n",
		"model":  "Ultrium 6-SCSI  \n",
	})
	for _, name := range []string{"st10", "nst10"} {
		node := filepath.Join(hp, "scsi_tape", name)
		writeFiles(t, node, map[string]string{"dev": "9:138\n", "defined": "1\n", "default_blksize": "-1\n", "default_density": "-1\n"})
		symlink(t, "../../../1:0:0:0", filepath.Join(node, "device"))
		symlink(t, relTo(t, classDir, node), filepath.Join(classDir, name))
	}
	return classDir
}

func TestDiscoverListsEachDriveOnceByItsNonRewindingNode(t *testing.T) {
	drives, err := Discover(WithSysfsRoot(fakeSysfs(t)))
	if err != nil {
		t.Fatal(err)
	}
	if got := names(drives); !reflect.DeepEqual(got, []string{"nst2", "nst10"}) {
		t.Fatalf("drives = %v, want [nst2 nst10] in drive order", got)
	}
	ibm := drives[0]
	want := Drive{
		Name: "nst2", Path: "/dev/nst2", Number: 2, SCSIAddress: "0:0:3:0",
		Vendor: "IBM", Model: "ULT3580-TD9", Revision: "Q3B0", Serial: "1013000123",
		DefaultBlockSize: -1, DefaultDensity: 0x60, DefaultCompression: 1, Options: 0x907,
		SysfsDir: ibm.SysfsDir,
	}
	if ibm != want {
		t.Errorf("drive 2:\n got %+v\nwant %+v", ibm, want)
	}
}

func TestDiscoverDriveMissingOptionalFiles(t *testing.T) {
	drives, err := Discover(WithSysfsRoot(fakeSysfs(t)), WithDevDir("/devices"))
	if err != nil {
		t.Fatal(err)
	}
	hp := drives[1]
	want := Drive{
		Name: "nst10", Path: "/devices/nst10", Number: 10, SCSIAddress: "1:0:0:0",
		Vendor: "HP", Model: "Ultrium 6-SCSI",
		DefaultBlockSize: -1, DefaultDensity: -1, DefaultCompression: -1,
		SysfsDir: hp.SysfsDir,
	}
	if hp != want {
		t.Errorf("drive 10:\n got %+v\nwant %+v", hp, want)
	}
	if _, err := hp.Stats(); err == nil {
		t.Error("Stats on a drive without a stats directory: no error")
	}
}

func TestDiscoverOptionalNodes(t *testing.T) {
	class := fakeSysfs(t)
	tests := []struct {
		opts []DiscoverOption
		want []string
	}{
		{[]DiscoverOption{WithModes()}, []string{"nst2", "nst2l", "nst10"}},
		{[]DiscoverOption{WithRewinding()}, []string{"nst2", "st2", "nst10", "st10"}},
	}
	for _, tt := range tests {
		drives, err := Discover(append(tt.opts, WithSysfsRoot(class))...)
		if err != nil {
			t.Fatal(err)
		}
		if got := names(drives); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("drives = %v, want %v", got, tt.want)
		}
		for _, d := range drives {
			if d.Name == "nst2l" && (d.Mode != "l" || d.DefaultBlockSize != 262144) {
				t.Errorf("nst2l: mode %q, default block size %d", d.Mode, d.DefaultBlockSize)
			}
			if d.Name == "st2" && !d.Rewinding {
				t.Error("st2 not marked rewinding")
			}
		}
	}
}

func TestDiscoverWithoutDriver(t *testing.T) {
	drives, err := Discover(WithSysfsRoot(filepath.Join(t.TempDir(), "missing")))
	if err != nil || len(drives) != 0 {
		t.Errorf("Discover with no scsi_tape class = %v, %v; want no drives, no error", drives, err)
	}
}

func TestDiscoverReportsMalformedAttribute(t *testing.T) {
	class := fakeSysfs(t)
	bad := filepath.Join(class, "nst2", "default_blksize")
	if err := os.WriteFile(bad, []byte("lots\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Discover(WithSysfsRoot(class))
	if err == nil || !strings.Contains(err.Error(), "default_blksize") || !strings.Contains(err.Error(), `"lots"`) {
		t.Errorf("error = %v; want it to name the file and the bad value", err)
	}
}

func TestParseSerialPage(t *testing.T) {
	tests := []struct {
		name string
		page string
		want string
	}{
		{"padded", "\x01\x80\x00\x0a  ABC123  ", "ABC123"},
		{"length shorter than data", "\x01\x80\x00\x03XYZtrailing", "XYZ"},
		{"length longer than data", "\x01\x80\x00\x40XYZ", "XYZ"},
		{"NUL padded", "\x01\x80\x00\x06XYZ\x00\x00\x00", "XYZ"},
		{"other page", "\x01\x83\x00\x03XYZ", ""},
		{"truncated header", "\x01\x80", ""},
	}
	for _, tt := range tests {
		if got := parseSerialPage([]byte(tt.page)); got != tt.want {
			t.Errorf("%s: serial = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestStatsSampleAndThroughput(t *testing.T) {
	class := fakeSysfs(t)
	drives, err := Discover(WithSysfsRoot(class))
	if err != nil {
		t.Fatal(err)
	}
	d := drives[0]
	first, err := d.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if first.WriteBytes != 1e9 || first.Writes != 954 || first.WriteTime != 3*time.Second || first.InFlight != 1 || first.Others != 12 {
		t.Errorf("sample = %+v", first)
	}

	// 600 MB written and 1 s of drive time later, two seconds on.
	writeFiles(t, filepath.Join(class, "nst2", "stats"), map[string]string{
		"write_byte_cnt": "1600000000",
		"io_ns":          "4500000000",
	})
	second, err := d.Stats()
	if err != nil {
		t.Fatal(err)
	}
	first.Taken = time.Unix(100, 0)
	second.Taken = time.Unix(102, 0)
	rate, err := Throughput(first, second)
	if err != nil {
		t.Fatal(err)
	}
	if rate.WriteMBps != 300 || rate.ReadMBps != 0 || rate.Busy != 0.5 || rate.Interval != 2*time.Second {
		t.Errorf("rate = %+v, want 300 MB/s written, nothing read, busy half the time", rate)
	}

	if _, err := Throughput(second, first); err == nil {
		t.Error("Throughput with samples out of order: no error")
	}
	reset := second
	reset.Taken = time.Unix(104, 0)
	reset.WriteBytes = 10
	if _, err := Throughput(second, reset); err == nil {
		t.Error("Throughput across a counter reset: no error")
	}
}

func TestStatsFallBackToRewindingNode(t *testing.T) {
	class := fakeSysfs(t)
	drives, err := Discover(WithSysfsRoot(class))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(filepath.Join(class, "nst2", "stats")); err != nil {
		t.Fatal(err)
	}
	s, err := drives[0].Stats()
	if err != nil {
		t.Fatal(err)
	}
	if s.WriteBytes != 1e9 {
		t.Errorf("write bytes from st2/stats = %d, want 1000000000", s.WriteBytes)
	}
}

func names(drives []Drive) []string {
	var out []string
	for _, d := range drives {
		out = append(out, d.Name)
	}
	return out
}

func mkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		path := filepath.Join(dir, name)
		mkdir(t, filepath.Dir(path))
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func relTo(t *testing.T, fromDir, target string) string {
	t.Helper()
	rel, err := filepath.Rel(fromDir, target)
	if err != nil {
		t.Fatal(err)
	}
	return rel
}

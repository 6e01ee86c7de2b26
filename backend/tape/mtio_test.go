package tape

import (
	"testing"
	"unsafe"
)

// The expected numbers come from <linux/mtio.h> and the values strace shows
// for mt(1) on x86-64, not from this package's arithmetic.
func TestIoctlLayoutMatchesLinux(t *testing.T) {
	if unsafe.Sizeof(int(0)) != 8 {
		t.Skip("layout below is for 64-bit Linux (C long of 8 bytes)")
	}
	checks := []struct {
		name      string
		got, want uintptr
	}{
		{"sizeof(struct mtop)", unsafe.Sizeof(mtop{}), 8},
		{"offsetof(mtop.mt_count)", unsafe.Offsetof(mtop{}.count), 4},
		{"sizeof(struct mtget)", unsafe.Sizeof(mtget{}), 48},
		{"offsetof(mtget.mt_gstat)", unsafe.Offsetof(mtget{}.gstat), 24},
		{"offsetof(mtget.mt_fileno)", unsafe.Offsetof(mtget{}.fileno), 40},
		{"offsetof(mtget.mt_blkno)", unsafe.Offsetof(mtget{}.blkno), 44},
		{"sizeof(struct mtpos)", unsafe.Sizeof(mtpos{}), 8},
		{"MTIOCTOP", reqMTIOCTOP, 0x40086d01},
		{"MTIOCGET", reqMTIOCGET, 0x80306d02},
		{"MTIOCPOS", reqMTIOCPOS, 0x80086d03},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

func TestDecodeStatus(t *testing.T) {
	// gstat as a 32-bit kernel stores it: C long is 32 bits, so GMT_EOF is
	// the sign bit.
	var eofOnline uint32 = 0x80000000 | 0x01000000
	signExtended := int(int32(eofOnline))

	tests := []struct {
		name string
		raw  mtget
		want Status
	}{
		{
			name: "empty drive",
			raw:  mtget{typ: 0x72, gstat: 0x00040000, fileno: -1, blkno: -1},
			want: Status{Loaded: false, FileNumber: -1, BlockNumber: -1, DriveType: 0x72},
		},
		{
			name: "write-protected LTO-9 at BOT in variable mode",
			raw:  mtget{typ: 0x72, dsreg: 0x60000000, gstat: 0x40000000 | 0x04000000 | 0x01000000},
			want: Status{Online: true, Loaded: true, WriteProtected: true, AtBOT: true, Density: 0x60, DriveType: 0x72},
		},
		{
			name: "fixed 512-byte blocks just after the third filemark",
			raw:  mtget{dsreg: 0x58000200, gstat: signExtended, fileno: 3},
			want: Status{Online: true, Loaded: true, AtFilemark: true, BlockSize: 512, Density: 0x58, FileNumber: 3},
		},
		{
			name: "early warning, end of data, cleaning, recovered errors",
			raw:  mtget{dsreg: 0x00100000, gstat: 0x20000000 | 0x08000000 | 0x01000000 | 0x00008000, erreg: 0x12340005, fileno: 7, blkno: 42, resid: 1},
			want: Status{Online: true, Loaded: true, PastEarlyWarning: true, AtEOD: true, CleaningRequested: true, BlockSize: 1 << 20, SoftErrors: 5, FileNumber: 7, BlockNumber: 42, Partition: 1},
		},
		{
			name: "largest block size and density",
			raw:  mtget{dsreg: int(int32(-1)), gstat: 0x01000000}, // all 32 bits set
			want: Status{Online: true, Loaded: true, BlockSize: 0xffffff, Density: 0xff},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decodeStatus(tt.raw); got != tt.want {
				t.Errorf("decodeStatus:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

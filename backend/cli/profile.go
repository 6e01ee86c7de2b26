package cli

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
)

// cpuProfile writes a pprof CPU profile of the whole command to the file
// FERRY_CPUPROFILE names (`make bench` profiles each step so); without it
// it does nothing. It returns what stops the profile.
func cpuProfile(stderr io.Writer) (stop func()) {
	path := os.Getenv("FERRY_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		if err = pprof.StartCPUProfile(f); err != nil {
			f.Close()
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "FERRY_CPUPROFILE:", err)
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

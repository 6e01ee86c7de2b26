// Command benchrun measures one command of `make bench` and writes the
// report from the measurements.
//
//	benchrun run -record FILE -step STEP -tool TOOL -round N [-pids P,P] [-log FILE] [-retry-on TEXT] -- CMD ARGS...
//	benchrun report -record FILE [-bytes N] [-title TEXT] [-pprof DIR] > report.md
//
// run appends one tab-separated line to the record: wall seconds, the
// command's user and system CPU seconds and peak RSS (getrusage of it and
// everything it waited for), and the CPU seconds the processes -pids (the
// registries) spent meanwhile, read from /proc/PID/stat before and after.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = runCmd(os.Args[2:])
	case "report":
		err = reportCmd(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: benchrun run -record FILE -step STEP -tool TOOL -round N [-pids P,P] [-log FILE] [-retry-on TEXT] -- CMD ARGS...\n"+
		"       benchrun report -record FILE [-bytes N] [-title TEXT] [-pprof DIR]")
	os.Exit(2)
}

// Measurement is one timed command.
type Measurement struct {
	Step, Tool string
	Round      int
	Wall       float64 // seconds
	CPU        float64 // user+sys seconds of the command and its children
	RSS        int64   // peak resident set, KiB
	RegCPU     float64 // CPU seconds of the watched processes meanwhile
	Tries      int
}

func runCmd(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	record := fs.String("record", "", "file to append the measurement to")
	step := fs.String("step", "", "step name")
	tool := fs.String("tool", "", "tool name")
	round := fs.Int("round", 0, "round number")
	pids := fs.String("pids", "", "comma-separated PIDs whose CPU time is counted too (the registries)")
	logPath := fs.String("log", "", "file for the command's output")
	retryOn := fs.String("retry-on", "", "run again (up to three times in all) when it fails with output containing this text")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *record == "" || *step == "" || *tool == "" || fs.NArg() == 0 {
		usage()
	}
	watched, err := parsePIDs(*pids)
	if err != nil {
		return err
	}
	m := Measurement{Step: *step, Tool: *tool, Round: *round}
	for m.Tries = 1; ; m.Tries++ {
		out, err := measure(&m, watched, fs.Args())
		if *logPath != "" {
			if werr := os.WriteFile(*logPath, out, 0o644); werr != nil {
				return werr
			}
		}
		if err == nil {
			break
		}
		if *retryOn != "" && m.Tries < 3 && bytes.Contains(out, []byte(*retryOn)) {
			fmt.Fprintf(os.Stderr, "%s %s round %d failed with %q (a known defect of that tool): running it again\n", m.Step, m.Tool, m.Round, *retryOn)
			continue
		}
		return fmt.Errorf("%s %s round %d: %v\n%s", m.Step, m.Tool, m.Round, err, tail(out, 30))
	}
	f, err := os.OpenFile(*record, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(f, "%s\t%s\t%d\t%.3f\t%.3f\t%d\t%.3f\t%d\n", m.Step, m.Tool, m.Round, m.Wall, m.CPU, m.RSS, m.RegCPU, m.Tries)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	fmt.Fprintf(os.Stderr, "  %-15s %-11s %7.2f s  cpu %6.2f s  registries %6.2f s  rss %4d MiB\n", m.Step, m.Tool, m.Wall, m.CPU, m.RegCPU, m.RSS/1024)
	return err
}

// measure runs argv once and fills m's figures.
func measure(m *Measurement, watched []int, argv []string) ([]byte, error) {
	var out bytes.Buffer
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &out
	before, err := cpuOf(watched)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	runErr := cmd.Run()
	m.Wall = time.Since(start).Seconds()
	after, err := cpuOf(watched)
	if err != nil {
		return out.Bytes(), err
	}
	m.RegCPU = after - before
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.CPU = tv(ru.Utime) + tv(ru.Stime)
		m.RSS = ru.Maxrss
	}
	return out.Bytes(), runErr
}

func tv(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

func parsePIDs(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		p, err := strconv.Atoi(f)
		if err != nil {
			return nil, fmt.Errorf("-pids: %q is not a PID", f)
		}
		out = append(out, p)
	}
	return out, nil
}

// clockTicks is USER_HZ, the unit of /proc/PID/stat times: 100 on every
// Linux architecture's user-visible interface.
const clockTicks = 100

// cpuOf sums utime and stime of the processes, in seconds.
func cpuOf(pids []int) (float64, error) {
	var sum float64
	for _, p := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			return 0, fmt.Errorf("registry process %d: %w", p, err)
		}
		// The command name (field 2) may hold spaces: count from its ')'.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			return 0, fmt.Errorf("/proc/%d/stat: unexpected format", p)
		}
		f := strings.Fields(string(b[i+1:]))
		// After ')': state is field 3, utime field 14, stime field 15.
		if len(f) < 13 {
			return 0, fmt.Errorf("/proc/%d/stat: unexpected format", p)
		}
		u, err1 := strconv.ParseFloat(f[11], 64)
		s, err2 := strconv.ParseFloat(f[12], 64)
		if err := errors.Join(err1, err2); err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", p, err)
		}
		sum += (u + s) / clockTicks
	}
	return sum, nil
}

func tail(b []byte, lines int) string {
	ls := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}

// readRecord parses the lines run appended.
func readRecord(path string) ([]Measurement, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Measurement
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		c := strings.Split(sc.Text(), "\t")
		if len(c) != 8 {
			return nil, fmt.Errorf("%s:%d: %d fields, want 8", path, n, len(c))
		}
		m := Measurement{Step: c[0], Tool: c[1]}
		var errs []error
		num := func(s string) float64 { v, err := strconv.ParseFloat(s, 64); errs = append(errs, err); return v }
		m.Round = int(num(c[2]))
		m.Wall, m.CPU = num(c[3]), num(c[4])
		m.RSS = int64(num(c[5]))
		m.RegCPU = num(c[6])
		m.Tries = int(num(c[7]))
		if err := errors.Join(errs...); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, n, err)
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

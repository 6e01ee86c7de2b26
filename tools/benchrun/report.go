package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// step is one row of the report: the tools that ran it and the physical
// baselines ("limits") measured next to it.
type step struct {
	name, what string
	limits     []string
	// target is the acceptance bar for Ferry, as ratio to a column.
	target struct {
		column string
		ratio  float64
	}
	// bufferMiB is the memory the step is configured to hold in flight by
	// default (serialize's write buffer, deserialize's staging budget): the
	// peak RSS bar is 100 MiB above it.
	bufferMiB float64
}

var steps = []step{
	{name: "gather", what: "registry to one repository", limits: []string{"cp"}},
	{name: "serialize-file", what: "to a tar file", limits: []string{"curl-null", "curl-file"}},
	{name: "serialize-null", what: "to /dev/null", limits: []string{"curl-null", "cat"}},
	{name: "deserialize", what: "tar to an empty registry", limits: []string{"tar-x", "curl-upload"}},
	{name: "scatter", what: "staging to one repository per image, another registry", limits: []string{"cp"}},
}

func init() {
	set := func(name, col string, r float64) {
		for i := range steps {
			if steps[i].name == name {
				steps[i].target.column, steps[i].target.ratio = col, r
			}
		}
	}
	set("gather", "ace-dt", 0.9)
	set("serialize-file", "curl-null", 1.5)
	set("serialize-null", "curl-null", 1.0)
	set("deserialize", "crane", 1.0)
	set("scatter", "ace-dt", 0.8)
	for i := range steps {
		if steps[i].name != "gather" && steps[i].name != "scatter" {
			steps[i].bufferMiB = 64
		}
	}
}

// tools in column order; others recorded follow in name order.
var toolOrder = []string{"ferry", "ferry-main", "ace-dt", "crane", "regctl"}

var limitWhat = map[string]string{
	"cp":          "cp of the blob files",
	"cat":         "cat of the blob files to /dev/null",
	"curl-null":   "one sequential curl GET of every blob, to /dev/null",
	"curl-file":   "the same download into one file",
	"tar-x":       "tar -x of Ferry's tar",
	"curl-upload": "every blob uploaded once with curl (POST + PUT)",
}

func reportCmd(args []string) error {
	fs := flag.NewFlagSet("report", flag.ExitOnError)
	record := fs.String("record", "", "measurements written by run")
	bytes := fs.Int64("bytes", 0, "unique blob bytes of the data set (for MB/s and CPU-s per GB)")
	title := fs.String("title", "Ferry end-to-end benchmark", "first line")
	pprofDir := fs.String("pprof", "", "directory with STEP.top files (go tool pprof -top) to include")
	notes := fs.String("notes", "", "file whose text goes under the title")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ms, err := readRecord(*record)
	if err != nil {
		return err
	}
	var note string
	if *notes != "" {
		b, err := os.ReadFile(*notes)
		if err != nil {
			return err
		}
		note = string(b)
	}
	return writeReport(os.Stdout, ms, *bytes, *title, note, *pprofDir)
}

// series holds the measurements of one (step, tool).
type series []Measurement

func (s series) median(f func(Measurement) float64) float64 {
	v := make([]float64, len(s))
	for i, m := range s {
		v[i] = f(m)
	}
	sort.Float64s(v)
	n := len(v)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

func wall(m Measurement) float64   { return m.Wall }
func cpu(m Measurement) float64    { return m.CPU }
func regCPU(m Measurement) float64 { return m.RegCPU }
func rss(m Measurement) float64    { return float64(m.RSS) / 1024 }

func writeReport(w io.Writer, ms []Measurement, bytes int64, title, note, pprofDir string) error {
	by := map[string]map[string]series{}
	seen := map[string]bool{}
	rounds := 0
	for _, m := range ms {
		if by[m.Step] == nil {
			by[m.Step] = map[string]series{}
		}
		by[m.Step][m.Tool] = append(by[m.Step][m.Tool], m)
		seen[m.Tool] = true
		rounds = max(rounds, m.Round)
	}
	isLimit := func(t string) bool { _, ok := limitWhat[t]; return ok }
	var tools []string
	for _, t := range toolOrder {
		if seen[t] {
			tools = append(tools, t)
		}
	}
	var extra []string
	for t := range seen {
		if !isLimit(t) && !slices.Contains(toolOrder, t) {
			extra = append(extra, t)
		}
	}
	sort.Strings(extra)
	tools = append(tools, extra...)

	p := func(format string, a ...any) { fmt.Fprintf(w, format, a...) }
	p("# %s\n\n", title)
	if note != "" {
		p("%s\n", strings.TrimRight(note, "\n")+"\n")
	}
	if bytes > 0 {
		p("Data: %d unique blob bytes (%.0f MB). ", bytes, float64(bytes)/1e6)
	}
	p("Every figure is the median of %d interleaved rounds (the tools of a step run one after another in a rotating order, each round on fresh repositories). "+
		"Wall seconds; CPU is user+sys of the tool and what it ran; registries is the CPU the registry processes spent meanwhile; RSS is the tool's peak.\n\n", rounds)

	cell := func(stepName, tool string, f func(Measurement) float64, unit string) string {
		s := by[stepName][tool]
		if len(s) == 0 {
			return "-"
		}
		return fmt.Sprintf("%.2f%s", s.median(f), unit)
	}
	header := func(first string, cols []string) {
		p("| %s | %s |\n|%s\n", first, strings.Join(cols, " | "), strings.Repeat("---|", len(cols)+1))
	}

	p("## Wall time\n\n")
	header("step", append(append([]string{}, tools...), "limits on this machine"))
	for _, st := range steps {
		if by[st.name] == nil {
			continue
		}
		row := []string{st.name + " (" + st.what + ")"}
		for _, t := range tools {
			row = append(row, cell(st.name, t, wall, " s"))
		}
		var lim []string
		for _, l := range st.limits {
			if s := by[st.name][l]; len(s) > 0 {
				lim = append(lim, fmt.Sprintf("%s %.2f s", limitWhat[l], s.median(wall)))
			}
		}
		row = append(row, strings.Join(lim, "; "))
		p("| %s |\n", strings.Join(row, " | "))
	}

	p("\n## Ferry's time as a ratio to each (below 1: Ferry is faster)\n\n")
	var others []string
	for _, t := range tools {
		if t != "ferry" {
			others = append(others, t)
		}
	}
	cols := append(append([]string{}, others...), "limits", "target", "met")
	header("step", cols)
	for _, st := range steps {
		f := by[st.name]["ferry"]
		if len(f) == 0 {
			continue
		}
		fw := f.median(wall)
		ratio := func(col string) (float64, bool) {
			s := by[st.name][col]
			if len(s) == 0 || s.median(wall) == 0 {
				return 0, false
			}
			return fw / s.median(wall), true
		}
		row := []string{st.name}
		for _, t := range others {
			if r, ok := ratio(t); ok {
				row = append(row, fmt.Sprintf("%.2f", r))
			} else {
				row = append(row, "-")
			}
		}
		var lim []string
		for _, l := range st.limits {
			if r, ok := ratio(l); ok {
				lim = append(lim, fmt.Sprintf("%.2f x %s", r, l))
			}
		}
		row = append(row, strings.Join(lim, ", "))
		target, met := "-", "-"
		if st.target.column != "" {
			target = fmt.Sprintf("<= %.1f x %s", st.target.ratio, st.target.column)
			if r, ok := ratio(st.target.column); ok {
				met = map[bool]string{true: "yes", false: "no"}[r <= st.target.ratio]
			}
		}
		row = append(row, target, met)
		p("| %s |\n", strings.Join(row, " | "))
	}

	table := func(title string, f func(Measurement) float64, unit string) {
		p("\n## %s\n\n", title)
		header("step", tools)
		for _, st := range steps {
			if by[st.name] == nil {
				continue
			}
			row := []string{st.name}
			for _, t := range tools {
				row = append(row, cell(st.name, t, f, unit))
			}
			p("| %s |\n", strings.Join(row, " | "))
		}
	}
	table("CPU seconds of the tool (user+sys)", cpu, "")
	if bytes > 0 {
		perGB := func(m Measurement) float64 { return m.CPU / (float64(bytes) / 1e9) }
		table("CPU seconds of the tool per GB moved", perGB, "")
	}
	table("CPU seconds of the registries during the step", regCPU, "")
	table("Peak RSS of the tool (MiB)", rss, "")
	if bytes > 0 {
		acceptCPUAndRSS(p, by, bytes)
	}

	p("\n## Every round (wall seconds, in round order; tries above 1 are reruns after a tool's known defect)\n\n")
	header("step", []string{"tool", "rounds"})
	for _, st := range steps {
		names := append(append([]string{}, tools...), st.limits...)
		for _, t := range names {
			s := by[st.name][t]
			if len(s) == 0 {
				continue
			}
			sort.Slice(s, func(i, j int) bool { return s[i].Round < s[j].Round })
			var v []string
			for _, m := range s {
				x := fmt.Sprintf("%.2f", m.Wall)
				if m.Tries > 1 {
					x += fmt.Sprintf(" (%d tries)", m.Tries)
				}
				v = append(v, x)
			}
			p("| %s | %s | %s |\n", st.name, t, strings.Join(v, ", "))
		}
	}

	if pprofDir != "" {
		p("\n## Where Ferry's time went (pprof CPU profile of one run of each step: flat, then cumulative)\n\n")
		for _, st := range steps {
			for _, v := range []struct{ file, what string }{{".top", "flat"}, {".cum.top", "cumulative"}} {
				b, err := os.ReadFile(filepath.Join(pprofDir, st.name+v.file))
				if err != nil {
					continue
				}
				p("### %s, %s\n\n```\n%s\n```\n\n", st.name, v.what, strings.TrimRight(headLines(string(b), 30), "\n"))
			}
		}
	}
	return nil
}

func headLines(s string, n int) string {
	ls := strings.SplitAfter(s, "\n")
	if len(ls) > n {
		ls = ls[:n]
	}
	return strings.Join(ls, "")
}

// acceptCPUAndRSS checks the bars that are not ratios of wall time: Ferry's
// CPU seconds per GB at or below the reference's, and its peak RSS under
// 100 MiB plus the step's configured buffer.
func acceptCPUAndRSS(p func(string, ...any), by map[string]map[string]series, bytes int64) {
	yes := map[bool]string{true: "yes", false: "no"}
	gb := float64(bytes) / 1e9
	p("\n## CPU per GB and peak RSS against their bars\n\n")
	p("| step | ferry CPU-s/GB | ace-dt CPU-s/GB | met | ferry peak RSS | bar | met |\n|---|---|---|---|---|---|---|\n")
	for _, st := range steps {
		f := by[st.name]["ferry"]
		if len(f) == 0 {
			continue
		}
		fc := f.median(cpu) / gb
		ref, cpuMet := "-", "-"
		if a := by[st.name]["ace-dt"]; len(a) > 0 {
			ac := a.median(cpu) / gb
			ref, cpuMet = fmt.Sprintf("%.2f", ac), yes[fc <= ac]
		}
		bar := 100 + st.bufferMiB
		peak := 0.0
		for _, m := range f {
			peak = max(peak, rss(m))
		}
		p("| %s | %.2f | %s | %s | %.0f MiB (highest of %d) | < %.0f MiB | %s |\n", st.name, fc, ref, cpuMet, peak, len(f), bar, yes[peak < bar])
	}
}

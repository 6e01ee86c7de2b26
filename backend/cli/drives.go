package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"ferry/backend/config"
	"ferry/backend/tape"
)

func init() { register(newDrivesCmd) }

// openStatus opens a drive for status and control; tests replace it with a
// simulator.
var openStatus = tape.OpenStatus

// drivesFlags are the flags every `ferry drives` command shares.
type drivesFlags struct {
	sysfsRoot, devDir string
	asJSON            bool
	allowRewinding    bool
}

func (f *drivesFlags) drives() tape.Drives {
	env := tape.DrivesFromEnv()
	return tape.Drives{SysfsRoot: firstNonEmpty(f.sysfsRoot, env.SysfsRoot), DevDir: firstNonEmpty(f.devDir, env.DevDir),
		OpenStatus: func(path string) (tape.Device, error) { return openStatus(path) }}
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
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
	pf.StringVar(&f.sysfsRoot, "sysfs-root", "", "read drives from this directory instead of "+tape.DefaultSysfsRoot+" (or "+tape.EnvSysfsRoot+")")
	pf.StringVar(&f.devDir, "dev-dir", "", "directory of the device nodes instead of /dev (or "+tape.EnvDevDir+")")
	_ = pf.MarkHidden("sysfs-root")
	_ = pf.MarkHidden("dev-dir")
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print the list as JSON")

	cmd.AddCommand(
		newDriveStatusCmd(f),
		newDriveControlCmd(f, "rewind", "Rewind the tape to the beginning",
			"  ferry drives rewind nst0", tape.Drives.Rewind,
			func(path string, _ tape.Status) string { return "Rewound " + path }),
		newDriveControlCmd(f, "eject", "Rewind and unload the tape",
			"  ferry drives eject /dev/nst0", tape.Drives.Eject,
			func(path string, _ tape.Status) string { return "Ejected the tape from " + path }),
		newDriveControlCmd(f, "eod", "Move the tape to the end of recorded data, ready to append",
			"  ferry drives eod nst0", tape.Drives.SpaceToEOD,
			func(path string, st tape.Status) string {
				return fmt.Sprintf("At end of data on %s: %s", path, tape.StatusSummary(st))
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
			st, err := f.drives().Status(path)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if f.asJSON {
				return writeJSON(out, struct {
					Path   string      `json:"path"`
					State  string      `json:"state"`
					Status tape.Status `json:"status"`
				}{path, tape.StatusState(st), st})
			}
			return writeStatus(out, path, st)
		},
	}
	cmd.Flags().BoolVar(&f.asJSON, "json", false, "print the status as JSON")
	addAllowRewinding(cmd, f)
	return cmd
}

func newDriveControlCmd(f *drivesFlags, verb, short, example string, op func(tape.Drives, string) (tape.Status, error), done func(string, tape.Status) string) *cobra.Command {
	cmd := &cobra.Command{
		Use:     verb + " DEV",
		Short:   short,
		Example: example,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			d := f.drives()
			path, err := d.Resolve(args[0], f.allowRewinding)
			if err != nil {
				return err
			}
			st, err := op(d, path)
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
			if size > tape.MaxBlockSize {
				return fmt.Errorf("block size %s is larger than the st driver's limit of %d bytes (0 selects variable blocks)", args[1], tape.MaxBlockSize)
			}
			d := f.drives()
			path, err := d.Resolve(args[0], f.allowRewinding)
			if err != nil {
				return err
			}
			st, err := d.SetBlockSize(path, int(size))
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

func writeDriveTable(w io.Writer, infos []tape.DriveInfo) error {
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
	fmt.Fprintf(tw, "state:\t%s\n", tape.StatusSummary(st))
	fmt.Fprintf(tw, "tape loaded:\t%s\n", yes(st.Loaded))
	fmt.Fprintf(tw, "online:\t%s\n", yes(st.Online))
	fmt.Fprintf(tw, "write-protected:\t%s\n", yes(st.WriteProtected))
	fmt.Fprintf(tw, "position:\t%s\n", pos)
	fmt.Fprintf(tw, "block size:\t%s\n", tape.BlockSizeText(st.BlockSize))
	fmt.Fprintf(tw, "density:\t0x%02x\n", st.Density)
	fmt.Fprintf(tw, "cleaning requested:\t%s\n", yes(st.CleaningRequested))
	return tw.Flush()
}

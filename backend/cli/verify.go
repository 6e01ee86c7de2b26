package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"ferry/backend/mirror"
	"ferry/backend/ops"
)

func init() { mirrorVerbs = append(mirrorVerbs, newVerifyCmd) }

func newVerifyCmd(g *globals) *cobra.Command {
	req := ops.Request{Kind: ops.Verify}
	cmd := &cobra.Command{
		Use:   "verify SOURCE [MORE-VOLUMES...]",
		Short: "Check a tar file or tape without any registry",
		Long: `Verify reads SOURCE once, with no registry at all, and checks that every blob
matches its digest, that every manifest's children (subject and index-fallback extra
manifests included) are on the medium, that the final index.json is there and, for
media Ferry wrote, that the stream is byte for byte what was written. Given the
volumes of a multi-volume transfer in order, it checks them as one set (same sync,
every volume present, the last one marked last). It prints a report and exits
non-zero on any problem.`,
		Example: `  ferry mirror verify sync-45.tar
  ferry mirror verify /dev/nst0
  ferry mirror verify sync-45.001.tar sync-45.002.tar sync-45.003.tar
  ferry mirror verify sync-45.part2.tar --allow-missing   # blobs left out on purpose`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Path, req.Volumes = args[0], rest(args, 1)
			return g.runOp(cmd, req, func(w io.Writer, o ops.Outcome, _ string) error {
				printVerify(w, o.Result.(mirror.VerifyReport))
				return o.Err
			})
		},
	}
	f := cmd.Flags()
	f.BoolVar(&req.Strict, "strict", false, "require the reference's entry order")
	sizeVarP(f, &req.BlockSize, "block-size", "", readBlockHelp)
	g.addOutputFlags(f)
	f.BoolVar(&req.AllowMissing, "allow-missing", false, "list, but accept, blobs left out because the far side has them (EXISTING-IMAGE, resumed runs)")
	return cmd
}

func printVerify(w io.Writer, r mirror.VerifyReport) {
	fmt.Fprintf(w, "Medium:       %s (compression %s)\n", r.Source, r.Compression)
	if r.Root.Digest.Hex != "" {
		fmt.Fprintf(w, "Root:         %s tagged %q\n", r.Root.Digest, r.Tag)
	}
	if r.SyncID != "" {
		last := r.LastVolume
		if last == "" {
			last = "unknown, no final index.json"
		}
		fmt.Fprintf(w, "Transfer:     %s, volume %s (last: %s)\n", r.SyncID, r.Volume, last)
	}
	fmt.Fprintf(w, "Entries:      %d; %d blobs (%s) verified; %d manifests\n", r.Entries, r.Blobs, HumanBytes(r.Bytes), len(r.Manifests))
	fmt.Fprintf(w, "Final index:  %v; end marker: %v; stream digest: %s\n", r.FinalIndex, r.EndMarker, r.StreamDigest)
	for _, ref := range r.Referrers {
		fmt.Fprintf(w, "Referrer:     %s (%s) -> %s\n", ref.Digest, ref.ArtifactType, ref.Subject)
	}
	for _, m := range r.Missing {
		fmt.Fprintf(w, "Not on medium: %s (%s, %s)\n", m.Digest, m.MediaType, HumanBytes(m.Size))
	}
	for _, warn := range r.Warnings {
		fmt.Fprintf(w, "WARNING:      %s\n", warn)
	}
	switch {
	case len(r.Problems) > 0:
	case r.StreamDigest != "verified":
		fmt.Fprintln(w, "OK, without a stream digest (see the warning)")
	default:
		fmt.Fprintln(w, "OK")
	}
}

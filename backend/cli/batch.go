package cli

import (
	"fmt"
	"io"
	"path/filepath"

	"github.com/spf13/cobra"

	"ferry/backend/config"
	"ferry/backend/mirror"
	"ferry/backend/ops"
)

func init() { mirrorVerbs = append(mirrorVerbs, newBatchSerializeCmd, newBatchDeserializeCmd) }

func newBatchSerializeCmd(g *globals) *cobra.Command {
	req := ops.Request{Kind: ops.BatchSerialize}
	cmd := &cobra.Command{
		Use:   "batch-serialize BATCH-LIST SYNC-DIRECTORY",
		Short: "Serialize several gather artifacts to numbered archives of one folder, each blob sent once",
		Long: `Batch-serialize reads BATCH-LIST, a CSV file of gather artifacts with two columns,
the name and the artifact (a header "name, artifact" is optional):

  name, artifact
  tools, reg.example.com/dev-tools:v3.3.1
  ops, reg.example.com/ops/devops:v0.5.7

and serializes each one to the next numbered archive of SYNC-DIRECTORY,
NNNNNN-NAME.tar (000001-tools.tar, 000002-ops.tar, ...), as ace-dt mirror
batch-serialize does. The tracker SYNC-DIRECTORY/record-keeping.csv (sync_name,
artifact, digest) records every archive written; an artifact it lists with the same
digest is not sent again, and the archives it lists under the same name are the
EXISTING-IMAGEs of the next one: only what changed since is written. Keep names
stable for each artifact. A name listed twice is sent as its last row.

The whole batch is one run in history; each archive is a volume of it. A batch that
fails is continued by running it again: the tracker keeps the archives it finished,
and the one that failed is removed.`,
		Example: `  ferry mirror batch-serialize gather.csv sync/data
  ferry mirror batch-serialize batch.csv sync/data --compression zstd`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			g.referrers(&req)
			req.BatchList, req.Path = args[0], args[1]
			return g.runOp(cmd, req, func(w io.Writer, o ops.Outcome, runID string) error {
				reportBatchSerialize(w, o.Result.(mirror.BatchSerializeResult))
				return o.Err
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.Compression, "compression", "", "compress every archive: gzip or zstd (default none)")
	f.BoolVar(&req.ManifestJSON, "manifest-json", false, "also write manifest.json inside each archive, in the format docker load reads")
	f.StringVar(&req.TrackerFile, "tracker-filename", "", "the tracker's file name inside SYNC-DIRECTORY (default "+mirror.DefaultTrackerFile+")")
	sizeVarP(f, &req.BufferSize, "buffer-size", "m", "memory between the registry and the medium; 0: the least, one block (default "+config.Size(mirror.DefaultBufferSize).String()+")")
	sizeVarP(f, &req.BlockSize, "block-size", "b", "size of every write to the medium (default "+config.Size(mirror.DefaultBlockSize).String()+")")
	g.addOutputFlags(f)
	return cmd
}

func reportBatchSerialize(w io.Writer, res mirror.BatchSerializeResult) {
	for _, a := range res.Archives {
		if a.Skipped {
			fmt.Fprintf(w, "%s: %s (%s) is in %s already; not sent again\n", a.Name, a.Artifact, short(a.Digest), filepath.Base(a.File))
			continue
		}
		if a.Result.Root.Digest.Hex == "" {
			continue // the error says why
		}
		fmt.Fprintf(w, "%s: %s (%s) to %s: %d blobs, %s; left out %d blobs (%s) of %d earlier archives\n", a.Name, a.Artifact, short(a.Digest),
			filepath.Base(a.File), a.Result.Blobs, HumanBytes(a.Result.MediumBytes), a.Result.Skipped, HumanBytes(a.Result.SkippedBytes), len(a.Existing))
	}
}

func newBatchDeserializeCmd(g *globals) *cobra.Command {
	req := ops.Request{Kind: ops.BatchDeserialize}
	cmd := &cobra.Command{
		Use:   "batch-deserialize SYNC-DIRECTORY DESTINATION",
		Short: "Deserialize every new numbered archive of a folder into one repository, tagged by name",
		Long: `Batch-deserialize reads the numbered archives of SYNC-DIRECTORY (NNNNNN-NAME.tar, as
batch-serialize writes them) in order into DESTINATION, a repository without a tag,
tagging each with its name: 000001-tools.tar lands as DESTINATION:tools. The sync file
SYNC-DIRECTORY/successful-syncs.csv (filename, artifact, timestamp) lists the archives
read; they are not read again. The first archive that fails ends the batch, since a
later one may need its blobs. The whole batch is one run in history.`,
		Example: `  ferry mirror batch-deserialize sync/data/ registry.example.com/image`,
		Args:    cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			req.Path, req.Image = args[0], args[1]
			return g.runOp(cmd, req, func(w io.Writer, o ops.Outcome, runID string) error {
				for _, a := range o.Result.(mirror.BatchDeserializeResult).Archives {
					if a.Skipped {
						fmt.Fprintf(w, "%s: read before; skipped\n", filepath.Base(a.File))
					} else if a.Result.Complete {
						fmt.Fprintf(w, "%s to %s (%s): %d blobs received (%s), %d already present\n", filepath.Base(a.File), a.Dest,
							short(a.Result.Root.Digest.String()), a.Result.Blobs, HumanBytes(a.Result.Bytes), a.Result.Present)
					}
				}
				return o.Err
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&req.SyncFile, "sync-filename", "", "the sync file's name inside SYNC-DIRECTORY (default "+mirror.DefaultSyncFile+")")
	f.BoolVar(&req.Strict, "strict", false, "require the reference's entry order in every archive")
	sizeVarP(f, &req.BlockSize, "block-size", "", readBlockHelp)
	g.addOutputFlags(f)
	return cmd
}

// short is a digest cut for a line of output.
func short(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

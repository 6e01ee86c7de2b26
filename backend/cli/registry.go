package cli

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"

	"ferry/backend/builtin"
	"ferry/backend/config"
	"ferry/backend/progress"
)

func init() { register(newRegistryCmd) }

func newRegistryCmd(g *globals) *cobra.Command {
	cmd := groupCommand(&cobra.Command{
		Use:   "registry",
		Short: "Ferry's built-in registry (CNCF Distribution): serve, ls, rm, gc",
		Long: `Ferry's built-in registry is the CNCF Distribution registry, embedded, with its
storage under the data directory ($XDG_DATA_HOME/ferry/registry). It serves plain
HTTP on loopback (127.0.0.1:5000, which Ferry's configuration knows without any
entry); other machines reach it only with --allow-remote, TLS and htpasswd.`,
	})
	cmd.AddCommand(newRegistryServeCmd(g), newRegistryLsCmd(), newRegistryRmCmd(), newRegistryGCCmd(g))
	return cmd
}

// rootFlag adds --root, the storage directory.
func rootFlag(cmd *cobra.Command, root *string) {
	cmd.Flags().StringVar(root, "root", "", "storage directory (default $XDG_DATA_HOME/ferry/registry)")
}

func storageRoot(root string) string {
	if root == "" {
		return builtin.DefaultRoot()
	}
	return root
}

func newRegistryServeCmd(g *globals) *cobra.Command {
	var o builtin.Options
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the built-in registry in the foreground until Ctrl-C",
		Example: `  ferry registry serve
  ferry registry serve --listen 127.0.0.1:5001 --root /media/usb/registry
  ferry registry serve --listen 0.0.0.0:5000 --allow-remote --tls-cert cert.pem --tls-key key.pem --htpasswd htpasswd`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := startBuiltin(cmd.Context(), g, o)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Built-in registry serving at %s (storage %s); Ctrl-C stops it\n", r.URL(), r.Root())
			return serveUntilDone(cmd.Context(), r)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Listen, "listen", config.BuiltinRegistryAddress(), "address to listen on, host:port")
	rootFlag(cmd, &o.Root)
	f.BoolVar(&o.AllowRemote, "allow-remote", false, "allow a non-loopback address (needs --tls-cert, --tls-key and --htpasswd)")
	f.StringVar(&o.TLSCert, "tls-cert", "", "TLS certificate file (PEM), with --allow-remote")
	f.StringVar(&o.TLSKey, "tls-key", "", "TLS private key file (PEM), with --allow-remote")
	f.StringVar(&o.Htpasswd, "htpasswd", "", "htpasswd file of bcrypt passwords (htpasswd -Bc FILE USER), with --allow-remote")
	return cmd
}

// startBuiltin starts the registry with Distribution's log lines on the
// console only at the verbosity asked for (its per-request lines at debug).
func startBuiltin(ctx context.Context, g *globals, o builtin.Options) (*builtin.Registry, error) {
	o.Log = g.registryLog()
	return builtin.Start(ctx, o)
}

// registryLog is the console logger for Distribution's lines, at the
// verbosity asked for.
func (g *globals) registryLog() *logrus.Logger {
	log := logrus.New()
	log.SetOutput(g.opts.Stderr)
	log.SetLevel(g.verbosity.logLevel())
	log.SetFormatter(&logrus.TextFormatter{DisableTimestamp: true})
	return log
}

// serveUntilDone waits for Ctrl-C (the command's context) or for the
// registry to fail, then stops it.
func serveUntilDone(ctx context.Context, r *builtin.Registry) error {
	select {
	case <-ctx.Done():
	case <-r.Done():
	}
	if err := r.Close(); err != nil {
		return err
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("built-in registry: %w", err)
	}
	return nil
}

func newRegistryLsCmd() *cobra.Command {
	var root string
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the built-in registry's repositories and its size on disk",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			root := storageRoot(root)
			repos, err := builtin.Repositories(cmd.Context(), root)
			if err != nil {
				return err
			}
			size, err := builtin.Size(root)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, r := range repos {
				fmt.Fprintln(out, r)
			}
			fmt.Fprintf(out, "%d repositories, %s on disk in %s\n", len(repos), progress.HumanBytes(size), root)
			return nil
		},
	}
	rootFlag(cmd, &root)
	return cmd
}

func newRegistryRmCmd() *cobra.Command {
	var root string
	cmd := &cobra.Command{
		Use:     "rm IMAGE...",
		Aliases: []string{"delete"},
		Short:   "Delete images (manifest and tags) from the built-in registry; gc then frees their space",
		Example: `  ferry registry rm low/apps/docker:1.0
  ferry registry rm 127.0.0.1:5000/low/apps/multi@sha256:...`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, image := range args {
				d, err := builtin.Delete(cmd.Context(), storageRoot(root), image)
				if err != nil {
					return err
				}
				printDeleted(cmd.OutOrStdout(), d)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "Run `ferry registry gc` (with the registry stopped) to free their space.")
			return nil
		},
	}
	rootFlag(cmd, &root)
	return cmd
}

func printDeleted(w io.Writer, d builtin.Deleted) {
	tags := "no tags"
	if len(d.Tags) > 0 {
		tags = "tags " + strings.Join(d.Tags, ", ")
	}
	fmt.Fprintf(w, "Deleted %s@%s (%s)\n", d.Repository, d.Digest, tags)
}

func newRegistryGCCmd(g *globals) *cobra.Command {
	var root string
	var untagged bool
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Garbage-collect the built-in registry's storage (Distribution's mark and sweep)",
		Long: `Removes the blobs that no manifest refers to any more, such as the layers of
deleted images, and prints the size on disk before and after. The registry must be
stopped meanwhile.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			res, err := builtin.GC(cmd.Context(), storageRoot(root), untagged, g.registryLog())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Size on disk before: %s, after: %s (freed %s)\n",
				progress.HumanBytes(res.Before), progress.HumanBytes(res.After), progress.HumanBytes(res.Freed()))
			return nil
		},
	}
	rootFlag(cmd, &root)
	cmd.Flags().BoolVar(&untagged, "delete-untagged", false, "also delete manifests without a tag, and with them referrers such as signatures")
	return cmd
}

package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"ferry/backend/receipt"
	"ferry/backend/report"
)

func init() { register(newReportCmd) }

func newReportCmd(g *globals) *cobra.Command {
	cmd := groupCommand(&cobra.Command{
		Use:   "report",
		Short: "Check signed transfer reports",
		Long: `Reports are written by 'ferry history export RUN --sign': the report file and its
minisign signature beside it (FILE.minisig), made with the site's key.`,
	})
	cmd.AddCommand(newReportVerifyCmd())
	return cmd
}

func newReportVerifyCmd() *cobra.Command {
	var keyFiles []string
	cmd := &cobra.Command{
		Use:   "verify FILE",
		Short: "Check a signed report against its signature (FILE.minisig)",
		Long: `Verify checks that FILE is exactly what its signature FILE.minisig signed, and by
whom: this machine's site key, the key of a site this machine trusts (pinned by
'ferry receipt trust' or its first receipt), or a public key given with --key. A file
changed after it was signed, or signed by a key none of these is, is refused.`,
		Example: `  ferry report verify sync-45.html
  ferry report verify sync-45.json --key high-a.pub`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			keys, err := reportKeys(keyFiles)
			if err != nil {
				return err
			}
			k, err := report.Verify(args[0], keys)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: good signature by %s (key %s)\n", args[0], k.Name, receipt.KeyID(k.Public))
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&keyFiles, "key", nil, "a minisign public key file the report may be signed by (repeatable)")
	return cmd
}

// reportKeys are the keys a report may be signed by: those given, this
// site's, and every pinned site's.
func reportKeys(files []string) ([]report.Key, error) {
	var keys []report.Key
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("--key: %w", err)
		}
		pub, site, err := receipt.ParsePublicKeyFile(text)
		if err != nil {
			return nil, fmt.Errorf("--key %s: %w", f, err)
		}
		name := "the key in " + f
		if site != "" {
			name = "site " + site + " (" + f + ")"
		}
		keys = append(keys, report.Key{Name: name, Public: pub})
	}
	if s, err := receipt.OpenSite(siteDir(), ""); err == nil {
		keys = append(keys, report.Key{Name: "this site (" + s.Name + ")", Public: s.Public})
	}
	book := receipt.OpenBook(bookDir())
	sites, err := book.Sites()
	if err != nil {
		return nil, err
	}
	for _, s := range sites {
		if pub, ok, err := book.Key(s.Site); err == nil && ok {
			keys = append(keys, report.Key{Name: "site " + s.Site, Public: pub})
		}
	}
	return keys, nil
}

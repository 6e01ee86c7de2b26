package cli

import (
	"errors"
	"fmt"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"ferry/backend/jobs"
	"ferry/backend/ops"
	"ferry/backend/receipt"
	"ferry/backend/session"
)

func init() { register(newReceiptCmd) }

// The site's key and the book of receipts live in the data directory.
func siteDir() string { return receipt.SiteDir(session.DefaultPaths().DataDir) }
func bookDir() string { return receipt.BookDir(session.DefaultPaths().DataDir) }

func newReceiptCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "receipt",
		Short: "Signed receipts of what landed at a site, kept per site on the sending side",
		Long: `A receipt lists every digest that landed at a site, signed with the site's
minisign key (made on first use and kept in the data directory). The sending side
imports receipts and keeps them per site; the first receipt of a site, or
'ferry receipt trust', pins that site's key, and a receipt signed by any other key
is refused. After every complete deserialize the receiving side writes a receipt
by itself (in the data directory; the command says where). A security officer can
check a receipt with the minisign command:

  minisign -V -p site.pub -m receipt.json`,
	}
	cmd.AddCommand(newReceiptSiteCmd(), newReceiptCreateCmd(g), newReceiptTrustCmd(), newReceiptImportCmd(), newReceiptListCmd())
	return cmd
}

func newReceiptSiteCmd() *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "site",
		Short: "Show this machine's site name and key (made on first use with --site)",
		Example: `  ferry receipt site --site high-a
  ferry receipt site`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := receipt.OpenSite(siteDir(), name)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "site %s, key %s\npublic key: %s\n", s.Name, receipt.KeyID(s.Public), s.PublicKeyPath())
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "site", "", "the site's name (needed the first time only; kept after)")
	return cmd
}

func newReceiptCreateCmd(g *globals) *cobra.Command {
	var name, out string
	cmd := &cobra.Command{
		Use:   "create IMAGE -o FILE",
		Short: "Sign a receipt of everything present at IMAGE (on the receiving side)",
		Long: `Create walks IMAGE where it is (its manifests, an index's children to the last
layer, and the referrers of each) and writes a receipt listing every digest, signed
with this machine's site key, to FILE and its signature to FILE.minisig. The site
key is made on first use; give the site's name then with --site (it is kept).`,
		Example: `  ferry receipt create reg.high.example/transfer:sync-45 --site high-a -o receipt-sync-45.json`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return errors.New("give the receipt's file with -o FILE")
			}
			cfg, err := g.config()
			if err != nil {
				return err
			}
			s, err := receipt.OpenSite(siteDir(), name)
			if err != nil {
				return err
			}
			r, err := ops.IssueReceipt(cmd.Context(), jobs.MirrorEnv(cfg, nil), s, args[0], receipt.Receipt{}, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Receipt of %s written to %s (signature %s%s)\n", r.Describe(), out, out, receipt.SignatureSuffix)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "site", "", "this site's name (needed the first time only; kept after)")
	cmd.Flags().StringVarP(&out, "output", "o", "", "the receipt's file")
	return cmd
}

func newReceiptTrustCmd() *cobra.Command {
	var site string
	cmd := &cobra.Command{
		Use:     "trust KEYFILE",
		Short:   "Pin a site's public key before its first receipt arrives",
		Example: `  ferry receipt trust high-a.pub`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			text, err := os.ReadFile(args[0])
			if err != nil {
				return err
			}
			name, pub, err := receipt.OpenBook(bookDir()).Trust(text, site)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "site %s is pinned to key %s\n", name, receipt.KeyID(pub))
			return nil
		},
	}
	cmd.Flags().StringVar(&site, "site", "", "the site the key belongs to (when the key file does not say)")
	return cmd
}

func newReceiptImportCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "import FILE...",
		Short:   "Check receipts and their signatures (FILE.minisig) and keep them",
		Example: `  ferry receipt import /media/usb/receipt-sync-45.json`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			book := receipt.OpenBook(bookDir())
			for _, path := range args {
				data, sig, err := receipt.ReadSigned(path)
				if err != nil {
					return err
				}
				r, err := book.Import(data, sig)
				if err != nil {
					return fmt.Errorf("%s: %w", path, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "imported: %s\n", r.Describe())
			}
			return nil
		},
	}
}

func newReceiptListCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "list [SITE]",
		Short: "List the sites with their pinned keys, or the receipts of one site",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			book := receipt.OpenBook(bookDir())
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			defer tw.Flush()
			if len(args) == 1 {
				rs, err := book.Receipts(args[0])
				if err != nil {
					return err
				}
				fmt.Fprintln(tw, "CREATED\tSYNC ID\tDIGESTS\tWHERE")
				for _, r := range rs {
					fmt.Fprintf(tw, "%s\t%s\t%d\t%s/%s\n", r.Created.Format(time.RFC3339), or(r.SyncID, "-"), len(r.Digests), r.Registry, r.Repository)
				}
				return nil
			}
			sites, err := book.Sites()
			if err != nil {
				return err
			}
			fmt.Fprintln(tw, "SITE\tKEY\tRECEIPTS\tLATEST")
			for _, s := range sites {
				latest := "-"
				if !s.Latest.IsZero() {
					latest = s.Latest.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", s.Site, s.KeyID, s.Receipts, latest)
			}
			return nil
		},
	}
}

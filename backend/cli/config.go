package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"ferry/backend/config"
	"ferry/backend/registry"
)

func init() { register(newConfigCmd) }

func newConfigCmd(g *globals) *cobra.Command {
	var sample bool
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration, or a commented sample",
		Example: `  ferry config                 # the configuration in effect, defaults filled in
  ferry config --sample > ~/.config/ferry/config.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if sample {
				fmt.Fprint(cmd.OutOrStdout(), config.Sample())
				return nil
			}
			cfg, err := g.config()
			if err != nil {
				return err
			}
			b, err := config.Marshal(cfg)
			if err != nil {
				return err
			}
			if path, _ := config.Resolve(g.configFiles); path != "" {
				fmt.Fprintf(cmd.OutOrStdout(), "# from %s\n", path)
			} else {
				fmt.Fprintln(cmd.OutOrStdout(), "# no configuration file found: defaults")
			}
			_, err = cmd.OutOrStdout().Write(b)
			return err
		},
	}
	cmd.Flags().BoolVarP(&sample, "sample", "s", false, "print a valid, commented sample configuration")
	cmd.AddCommand(newConfigRegistryCmd(g))
	return cmd
}

// config loads the configuration the global flags and environment name.
// Unknown keys and bad values stop the verb with their file and line.
func (g *globals) config() (*config.Config, error) {
	return config.Load(g.configFiles)
}

// newConfigRegistryCmd edits registries in the configuration file as the
// Settings page does (config.SaveRegistry), and tests and signs in to them.
func newConfigRegistryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "List, set, test and sign in to registries (the configuration's registry settings)",
		Example: `  ferry config registry ls
  ferry config registry set reg.high.example:5000 --plain-http
  ferry config registry set reg.high.example --ca-file /etc/ssl/lab-ca.pem
  ferry config registry test reg.high.example:5000
  echo "$TOKEN" | ferry config registry login reg.high.example -u operator --password-stdin`,
	}
	cmd.AddCommand(newConfigRegistryLsCmd(g), newConfigRegistrySetCmd(g), newConfigRegistryRmCmd(g),
		newConfigRegistryTestCmd(g), newConfigRegistryLoginCmd(g), newConfigRegistryLogoutCmd())
	return cmd
}

// configPath is the file registry edits go to: the one in effect, else the
// default path (created from the sample).
func (g *globals) configPath() (string, error) {
	path, err := config.Resolve(g.configFiles)
	if err != nil || path != "" {
		return path, err
	}
	return config.DefaultPath(), nil
}

func newConfigRegistryLsCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "ls",
		Short: "List the configured registries and their settings",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.config()
			if err != nil {
				return err
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(w, "REGISTRY\tPLAIN HTTP\tTLS VERIFY\tCA FILE\tMIRRORS")
			for _, r := range cfg.Registries() {
				host := r.Host
				if r.Builtin {
					host += " (built-in)"
				}
				fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", host, yesNo(r.PlainHTTP), yesNo(!r.SkipVerify), or(r.CAFile, "-"), or(strings.Join(r.Endpoints, ","), "-"))
			}
			return w.Flush()
		},
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func newConfigRegistrySetCmd(g *globals) *cobra.Command {
	var r config.RegistrySettings
	cmd := &cobra.Command{
		Use:     "set HOST[:PORT]",
		Aliases: []string{"add"},
		Short:   "Add a registry or change its settings; flags not given keep their value",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := g.configPath()
			if err != nil {
				return err
			}
			cfg, err := g.config()
			if err != nil {
				return err
			}
			cur := cfg.RegistrySettings(args[0])
			f := cmd.Flags()
			if f.Changed("plain-http") {
				cur.PlainHTTP = r.PlainHTTP
			}
			if f.Changed("endpoint") {
				cur.Endpoints = r.Endpoints
			}
			if f.Changed("skip-verify") {
				cur.SkipVerify = r.SkipVerify
			}
			if f.Changed("ca-file") {
				cur.CAFile = r.CAFile
			}
			if err := config.SaveRegistry(path, cur); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s saved in %s\n", cur.Host, path)
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&r.PlainHTTP, "plain-http", false, "reach the registry over plain HTTP (lists http://HOST first among its endpoints)")
	f.StringSliceVar(&r.Endpoints, "endpoint", nil, "mirror endpoint URL tried in order when pulling (repeatable; an empty value clears them)")
	f.BoolVar(&r.SkipVerify, "skip-verify", false, "accept any TLS certificate from https://HOST (trusted networks only)")
	f.StringVar(&r.CAFile, "ca-file", "", "PEM file of CA certificates trusted for HOST besides the system's (empty: none)")
	return cmd
}

func newConfigRegistryRmCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "rm HOST[:PORT]",
		Short: "Remove a registry's settings from the configuration file",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := g.configPath()
			if err != nil {
				return err
			}
			return config.RemoveRegistry(path, args[0])
		},
	}
}

func newConfigRegistryTestCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "test HOST[:PORT]",
		Short: "Reach /v2/ at each endpoint: does it answer, does TLS verify, do the credentials work",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.config()
			if err != nil {
				return err
			}
			chk, err := registry.New(cfg).Check(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printCheck(cmd.OutOrStdout(), chk)
		},
	}
}

// printCheck writes one line per endpoint and fails unless all are fine.
func printCheck(w io.Writer, chk registry.Check) error {
	for _, ec := range chk.Endpoints {
		mark := "ok  "
		if !ec.OK {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "%s %s: %s\n", mark, ec.Endpoint, ec.Message)
	}
	if !chk.OK {
		return exitError{code: 1, err: fmt.Errorf("%s: the connection test failed", chk.Registry)}
	}
	return nil
}

func newConfigRegistryLoginCmd(g *globals) *cobra.Command {
	var user string
	var stdin bool
	cmd := &cobra.Command{
		Use:   "login HOST[:PORT] -u USER --password-stdin",
		Short: "Check credentials, then store them through the docker configuration (as docker login does)",
		Long: `Login reads the password (or token) from standard input, checks it against every
endpoint of the registry, and stores it only when it is accepted: through the docker
configuration's credential helper for the registry, or its credsStore, else in
$DOCKER_CONFIG/config.json (default ~/.docker/config.json). Ferry's own files never
hold credentials.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !stdin {
				return errors.New("give the password on standard input with --password-stdin (never on the command line)")
			}
			b, err := io.ReadAll(io.LimitReader(cmd.InOrStdin(), 64<<10))
			if err != nil {
				return err
			}
			cfg, err := g.config()
			if err != nil {
				return err
			}
			chk, err := registry.New(cfg).Login(cmd.Context(), args[0], user, strings.TrimRight(string(b), "\r\n"))
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Signed in to %s as %s\n", chk.Registry, user)
			return nil
		},
	}
	cmd.Flags().StringVarP(&user, "username", "u", "", "user name")
	cmd.Flags().BoolVar(&stdin, "password-stdin", false, "read the password or token from standard input")
	return cmd
}

func newConfigRegistryLogoutCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "logout HOST[:PORT]",
		Short: "Remove a registry's credentials from the docker configuration",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return registry.Logout(args[0])
		},
	}
}

package registry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	dockerconfig "github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/credentials"
	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// Login checks user and password against every endpoint of host and, when
// they are accepted, stores them as `docker login` does: through the
// docker configuration's credential helper for host, or its credsStore,
// else in its config.json ($DOCKER_CONFIG, default ~/.docker). Ferry's own
// files never hold them.
func (c *Client) Login(ctx context.Context, host, user, password string) (Check, error) {
	user = strings.TrimSpace(user)
	if user == "" || password == "" {
		return Check{Registry: host}, errors.New("give both a user name and a password (or token)")
	}
	given := authn.FromConfig(authn.AuthConfig{Username: user, Password: password})
	chk, err := c.check(ctx, host, staticKeychain{given})
	if err != nil {
		return chk, err
	}
	for _, ec := range chk.Endpoints {
		if !ec.Answers {
			return chk, fmt.Errorf("not signed in: %s", ec.Message)
		}
		if ec.Credentials == CredsRefused {
			return chk, fmt.Errorf("not signed in: %s refuses user %s with this password", host, user)
		}
	}
	cf, err := dockerConfig()
	if err != nil {
		return chk, err
	}
	key := dockerKey(host)
	if err := cf.GetCredentialsStore(key).Store(types.AuthConfig{Username: user, Password: password, ServerAddress: key}); err != nil {
		return chk, fmt.Errorf("storing the credentials for %s through the docker configuration (%s): %w", host, cf.Filename, err)
	}
	return chk, nil
}

// Logout removes host's credentials from the docker configuration (its
// credential helper or config.json), as `docker logout` does.
func Logout(host string) error {
	cf, err := dockerConfig()
	if err != nil {
		return err
	}
	key := dockerKey(host)
	if err := cf.GetCredentialsStore(key).Erase(key); err != nil {
		return fmt.Errorf("removing the credentials for %s from the docker configuration (%s): %w", host, cf.Filename, err)
	}
	return nil
}

// dockerConfig loads the docker configuration the keychain reads
// ($DOCKER_CONFIG, else docker's default directory). A damaged file is an
// error: writing it back would lose what it holds.
func dockerConfig() (*configfile.ConfigFile, error) {
	dir := os.Getenv("DOCKER_CONFIG")
	if dir == "" {
		dir = dockerconfig.Dir()
	}
	cf, err := dockerconfig.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("docker configuration: %w", err)
	}
	if !cf.ContainsAuth() {
		cf.CredentialsStore = credentials.DetectDefaultStore(cf.CredentialsStore)
	}
	return cf, nil
}

// dockerKey is where docker keeps host's credentials: Docker Hub's
// under its v1 URL, the others under host[:port].
func dockerKey(host string) string {
	if host == name.DefaultRegistry || host == "docker.io" {
		return authn.DefaultAuthKey
	}
	return host
}

// staticKeychain answers every lookup with one authenticator.
type staticKeychain struct{ auth authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.auth, nil }

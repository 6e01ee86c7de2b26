package registry

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/types"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
)

// authFileKeychain reads credentials from the configuration's
// registryAuthFile, a file in the docker config.json format, with its
// credential helpers. It is read at each lookup, so a login made while Ferry
// runs is seen. A missing file holds no credentials; a damaged one is an
// error that names it, rather than a silent anonymous pull.
type authFileKeychain struct{ path string }

func (k authFileKeychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	f, err := os.Open(k.path)
	if errors.Is(err, fs.ErrNotExist) {
		return authn.Anonymous, nil
	}
	if err != nil {
		return nil, fmt.Errorf("registry credentials file %s: %w", k.path, err)
	}
	defer f.Close()
	cf, err := config.LoadFromReader(f)
	if err != nil {
		return nil, fmt.Errorf("registry credentials file %s: %w", k.path, err)
	}
	// Credentials are stored under the repository or the registry; Docker
	// Hub's under its legacy v1 URL.
	for _, key := range []string{target.String(), target.RegistryStr()} {
		if key == name.DefaultRegistry {
			key = authn.DefaultAuthKey
		}
		ac, err := cf.GetAuthConfig(key)
		if err != nil {
			return nil, fmt.Errorf("registry credentials file %s, %s: %w", k.path, key, err)
		}
		if a := authenticator(ac); a != nil {
			return a, nil
		}
	}
	// podman and skopeo keep Docker Hub's under docker.io, which docker's
	// lookup maps back to the v1 URL: read those entries as written.
	if target.RegistryStr() == name.DefaultRegistry {
		repo := strings.TrimPrefix(target.String(), name.DefaultRegistry)
		for _, key := range []string{"docker.io" + repo, "docker.io"} {
			if a := authenticator(cf.AuthConfigs[key]); a != nil {
				return a, nil
			}
		}
	}
	return authn.Anonymous, nil
}

// authenticator turns stored credentials into an Authenticator; nil when
// there are none.
func authenticator(ac types.AuthConfig) authn.Authenticator {
	ac.ServerAddress = "" // set by lookups; not a credential
	if ac == (types.AuthConfig{}) {
		return nil
	}
	return authn.FromConfig(authn.AuthConfig{
		Username:      ac.Username,
		Password:      ac.Password,
		Auth:          ac.Auth,
		IdentityToken: ac.IdentityToken,
		RegistryToken: ac.RegistryToken,
	})
}

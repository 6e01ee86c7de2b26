package registry

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

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
		ac.ServerAddress = "" // set by GetAuthConfig; not a credential
		if ac != (types.AuthConfig{}) {
			return authn.FromConfig(authn.AuthConfig{
				Username:      ac.Username,
				Password:      ac.Password,
				Auth:          ac.Auth,
				IdentityToken: ac.IdentityToken,
				RegistryToken: ac.RegistryToken,
			}), nil
		}
	}
	return authn.Anonymous, nil
}

package registry

import (
	"fmt"
	"net/http"

	"ferry/backend/config"
)

// trustCAFile makes base trust the CA certificates of file for host, besides
// the system's. A file that cannot be read fails every request with that
// reason, rather than falling back to the system's roots unannounced.
func trustCAFile(base *http.Transport, host, file string) http.RoundTripper {
	pool, err := config.ReadCAFile(file)
	if err != nil {
		return failing{fmt.Errorf("registry %s: %w (ferry.registries[%s].caFile)", host, err, host)}
	}
	base.TLSClientConfig.RootCAs = pool
	return base
}

// failing answers every request with its error.
type failing struct{ err error }

func (f failing) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		r.Body.Close()
	}
	return nil, f.err
}

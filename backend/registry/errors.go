package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Kinds of registry failure; test with errors.Is.
var (
	ErrUnreachable = errors.New("registry unreachable")
	ErrTLS         = errors.New("TLS failure")
	ErrDenied      = errors.New("access denied")
	ErrNotFound    = errors.New("not found")
	ErrRateLimited = errors.New("rate limited")
	ErrServer      = errors.New("registry server error")
)

// Error is a registry failure explained for the operator: which reference,
// which registry, what went wrong and what to do about it.
type Error struct {
	Ref      string // the reference as the caller named it
	Registry string // the host that failed (a mirror's when pulling through one)
	Endpoint string // the endpoint URL, when known
	Kind     error  // one of the Err* kinds, nil when none fits
	Msg      string // the explanation, without the reference
	Err      error  // the underlying error
}

// Error returns "REF: explanation".
func (e *Error) Error() string { return e.Ref + ": " + e.Msg }

// Unwrap exposes both the kind and the underlying error to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Kind == nil {
		return []error{e.Err}
	}
	return []error{e.Kind, e.Err}
}

// FallbackError reports a pull that failed on every endpoint, one line each.
type FallbackError struct {
	Ref      string
	Attempts []*Error // in the order tried
}

// Error names the reference, then each endpoint and why it failed.
func (e *FallbackError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: no endpoint could serve it:", e.Ref)
	for _, a := range e.Attempts {
		fmt.Fprintf(&b, "\n  %s: %s", a.Endpoint, a.Msg)
	}
	return b.String()
}

// Is reports a kind only when every endpoint failed that way, so that
// errors.Is(err, ErrNotFound) means "found nowhere".
func (e *FallbackError) Is(target error) bool {
	for _, a := range e.Attempts {
		if !errors.Is(a, target) {
			return false
		}
	}
	return len(e.Attempts) > 0
}

// Explain turns an error from go-containerregistry about ref into an *Error
// naming the reference and the registry, with the likely cause and remedy.
// nil, context cancellation and errors already explained come back unchanged.
func Explain(err error, ref string) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var done *Error
	var all *FallbackError
	if errors.As(err, &done) || errors.As(err, &all) {
		return err
	}
	host := ""
	if r, perr := name.ParseReference(ref); perr == nil {
		host = r.Context().RegistryStr()
	} else if rr, rerr := name.NewRepository(ref); rerr == nil {
		host = rr.RegistryStr()
	} else {
		var terr *transport.Error
		if errors.As(err, &terr) && terr.Request != nil {
			host = terr.Request.URL.Host
		}
	}
	return explain(err, ref, host, "")
}

// explainAt explains err for the caller's ref when it happened on target t.
func explainAt(err error, ref fmt.Stringer, t Target) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	e := explain(err, ref.String(), t.Ref.Context().RegistryStr(), t.Endpoint)
	if t.Ref.String() != ref.String() && e.Kind == ErrNotFound {
		e.Msg += " (as " + t.Ref.String() + ")"
	}
	return e
}

func explain(err error, ref, host, endpoint string) *Error {
	e := &Error{Ref: ref, Registry: host, Endpoint: endpoint, Err: err}
	if e.Endpoint == "" {
		e.Endpoint = "https://" + host
	}

	var certErr *tls.CertificateVerificationError
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var terr *transport.Error
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var netErr net.Error

	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownAuthority), errors.As(err, &hostname), errors.As(err, &invalid):
		e.Kind = ErrTLS
		e.Msg = fmt.Sprintf("TLS failure with %s: %s; add the registry's CA certificate to the system trust store, or set tls.insecureSkipVerify: true for endpoint https://%s under registryConfig.endpointConfig (trusted networks only)",
			host, tlsDetail(err), host)
	case !errors.Is(err, errPlainHTTP) && answersPlainHTTP(err):
		e.Kind = ErrTLS
		e.Msg = fmt.Sprintf("%s answers plain HTTP, not HTTPS; to allow that, list http://%s under endpoints of registryConfig.registries[%s]", host, host, host)
	case errors.As(err, &terr):
		e.Msg = explainStatus(e, terr, host)
	case errors.Is(err, errPlainHTTP):
		e.Kind = ErrTLS
		e.Msg = fmt.Sprintf("%s does not answer HTTPS and plain HTTP is not allowed for it; list http://%s under endpoints of registryConfig.registries[%s] to allow it", host, host, host)
	case errors.As(err, &dnsErr):
		e.Kind = ErrUnreachable
		e.Msg = fmt.Sprintf("cannot reach %s: cannot resolve %s (%s)", host, dnsErr.Name, dnsErr.Err)
	case errors.As(err, &opErr):
		e.Kind = ErrUnreachable
		e.Msg = fmt.Sprintf("cannot reach %s: %s", host, opErr.Err)
	case errors.As(err, &netErr) && netErr.Timeout():
		e.Kind = ErrUnreachable
		e.Msg = fmt.Sprintf("cannot reach %s: timed out", host)
	default:
		e.Msg = fmt.Sprintf("%s: %v", host, err)
	}
	return e
}

func explainStatus(e *Error, terr *transport.Error, host string) string {
	status := fmt.Sprintf("%d %s", terr.StatusCode, http.StatusText(terr.StatusCode))
	switch code := terr.StatusCode; {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		e.Kind = ErrDenied
		return fmt.Sprintf("access denied by %s (%s): log in with `docker login %s` (credentials are read from the configuration's registryAuthFile if set, then $DOCKER_CONFIG/config.json, default ~/.docker/config.json) and check that the account may use this repository; some registries also answer this way for a repository that does not exist",
			host, status, host)
	case code == http.StatusNotFound:
		e.Kind = ErrNotFound
		return "not found on " + host
	case code == http.StatusTooManyRequests:
		e.Kind = ErrRateLimited
		return fmt.Sprintf("%s is rate limiting requests (%s) and retries did not get through; try again later or pull through a mirror", host, status)
	case code >= 500:
		e.Kind = ErrServer
		return fmt.Sprintf("%s failed (%s) and retries did not help: %s", host, status, diagnostics(terr))
	}
	return fmt.Sprintf("%s refused the request (%s): %s", host, status, diagnostics(terr))
}

// diagnostics is the registry's own explanation without the request line,
// which the message already names.
func diagnostics(terr *transport.Error) string {
	if len(terr.Errors) == 0 {
		return http.StatusText(terr.StatusCode)
	}
	parts := make([]string, len(terr.Errors))
	for i, d := range terr.Errors {
		parts[i] = d.String()
	}
	return strings.Join(parts, "; ")
}

func tlsDetail(err error) string {
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) && certErr.Err != nil {
		return certErr.Err.Error()
	}
	var unknownAuthority x509.UnknownAuthorityError
	if errors.As(err, &unknownAuthority) {
		return unknownAuthority.Error()
	}
	var hostname x509.HostnameError
	if errors.As(err, &hostname) {
		return hostname.Error()
	}
	return err.Error()
}

// IsDigestInvalid reports whether the registry refused content because it
// does not match the digest it was sent under (DIGEST_INVALID at the
// closing PUT of an upload): the content was wrong, not the registry.
func IsDigestInvalid(err error) bool {
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return false
	}
	for _, d := range terr.Errors {
		if d.Code == transport.DigestInvalidErrorCode {
			return true
		}
	}
	return false
}

package registry

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// TLS states of an endpoint check.
const (
	TLSVerified    = "verified"     // HTTPS with a certificate that verifies
	TLSNotVerified = "not verified" // HTTPS with verification turned off
	TLSPlainHTTP   = "plain HTTP"   // no TLS at all
	TLSFailed      = "failed"       // the handshake or the certificate failed
)

// Credential states of an endpoint check.
const (
	CredsAccepted = "accepted" // the stored (or given) credentials work
	CredsRefused  = "refused"  // credentials were sent and refused
	CredsNeeded   = "needed"   // none stored, and the registry wants some
	CredsNone     = "none needed"
	CredsUnknown  = "not checked" // the registry did not answer
)

// Check is what "Test connection" found out about one registry.
type Check struct {
	Registry  string          `json:"registry"`
	Endpoints []EndpointCheck `json:"endpoints"`
	// OK is set when every endpoint answers /v2/ with the credentials in effect.
	OK bool `json:"ok"`
}

// EndpointCheck is the outcome at one endpoint, in the order pulls try them.
type EndpointCheck struct {
	Endpoint    string `json:"endpoint"`
	Answers     bool   `json:"answers"` // it answered /v2/ as a registry
	TLS         string `json:"tls"`     // one of the TLS* states; "" when not reached
	Credentials string `json:"credentials"`
	User        string `json:"user"` // the user signed in as, "" for anonymous
	OK          bool   `json:"ok"`
	// Message says what was found in a sentence and, when something is
	// wrong, which setting to change.
	Message string `json:"message"`
}

// checkTimeout bounds one endpoint's check, so an address that drops
// packets answers in seconds rather than at the TCP timeout.
const checkTimeout = 15 * time.Second

// Check reaches /v2/ at every endpoint of host, through the transport and
// credentials operations use, and reports whether it answers, whether TLS
// verifies and whether the credentials work.
func (c *Client) Check(ctx context.Context, host string) (Check, error) {
	return c.check(ctx, host, c.keychain)
}

func (c *Client) check(ctx context.Context, host string, keychain authn.Keychain) (Check, error) {
	out := Check{Registry: host}
	ref, err := name.ParseReference(host+"/ferry-connection-test:latest", name.StrictValidation)
	if err != nil {
		return out, fmt.Errorf("%q is not a registry host[:port]", host)
	}
	targets, err := c.PullTargets(ref)
	if err != nil {
		return out, err
	}
	out.OK = true
	for _, t := range targets {
		ec := c.checkEndpoint(ctx, t, keychain)
		out.OK = out.OK && ec.OK
		out.Endpoints = append(out.Endpoints, ec)
	}
	return out, nil
}

func (c *Client) checkEndpoint(ctx context.Context, t Target, keychain authn.Keychain) EndpointCheck {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	reg := t.Ref.Context().Registry
	host := reg.RegistryStr()
	ec := EndpointCheck{Endpoint: t.Endpoint, Credentials: CredsUnknown}
	tr := transport.NewUserAgent(t.transport, c.userAgent)

	ping, err := transport.Ping(ctx, reg, tr)
	if err != nil {
		e := explain(err, host, host, t.Endpoint)
		ec.Message = e.Msg
		switch {
		case answersPlainHTTP(err):
			ec.TLS = TLSFailed
			ec.Message = fmt.Sprintf("%s answers plain HTTP, not HTTPS: if it is on a trusted network, turn on Plain HTTP for it (registryConfig.registries[%s])", host, host)
		case errors.Is(e, ErrTLS):
			ec.TLS = TLSFailed
			ec.Message = fmt.Sprintf("the certificate of %s does not verify (%s): give the CA file that signed it, or turn off TLS verification on a trusted network (registryConfig.registries[%s])", host, tlsDetail(err), host)
		}
		return ec
	}
	ec.Answers = true
	switch {
	case ping.Insecure:
		ec.TLS = TLSPlainHTTP
	case t.skipVerify:
		ec.TLS = TLSNotVerified
	default:
		ec.TLS = TLSVerified
	}

	auth, err := keychain.Resolve(t.Ref.Context())
	if err != nil {
		ec.Message = fmt.Sprintf("%s answers, but its credentials cannot be read: %v", host, err)
		return ec
	}
	if cfg, err := auth.Authorization(); err == nil && cfg.Username != "" {
		ec.User = cfg.Username
	} else if err == nil && *cfg == (authn.AuthConfig{}) {
		auth = authn.Anonymous
	}
	status, err := getV2(ctx, reg, auth, tr, ping.Insecure)
	switch {
	case err == nil && status == http.StatusOK:
		ec.OK = true
		ec.Credentials = CredsNone
		if auth != authn.Anonymous {
			ec.Credentials = CredsAccepted
		}
	case status == http.StatusUnauthorized || status == http.StatusForbidden || isDenied(err):
		if auth == authn.Anonymous {
			ec.Credentials = CredsNeeded
		} else {
			ec.Credentials = CredsRefused
		}
	case err != nil:
		ec.Message = explain(err, host, host, t.Endpoint).Msg
	default:
		ec.Message = fmt.Sprintf("%s answers /v2/ with %d %s, not as a registry", host, status, http.StatusText(status))
	}
	if ec.Message == "" {
		ec.Message = describe(ec, host)
	}
	return ec
}

// getV2 asks /v2/ with auth through tr, as every operation starts, and
// returns the status.
func getV2(ctx context.Context, reg name.Registry, auth authn.Authenticator, tr http.RoundTripper, plain bool) (int, error) {
	rt, err := transport.NewWithContext(ctx, reg, auth, tr, nil)
	if err != nil {
		return 0, err
	}
	scheme := "https"
	if plain {
		scheme = "http"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+reg.RegistryStr()+"/v2/", nil)
	if err != nil {
		return 0, err
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func isDenied(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden)
}

// describe is the sentence for an endpoint that answered.
func describe(ec EndpointCheck, host string) string {
	var how string
	switch ec.TLS {
	case TLSPlainHTTP:
		how = "over plain HTTP"
	case TLSNotVerified:
		how = "over HTTPS without checking its certificate (TLS verification is off)"
	default:
		how = "over HTTPS with a certificate that verifies"
	}
	switch ec.Credentials {
	case CredsAccepted:
		return fmt.Sprintf("%s answers %s and accepts the credentials of %s", host, how, ec.User)
	case CredsNone:
		return fmt.Sprintf("%s answers %s and needs no sign-in", host, how)
	case CredsNeeded:
		return fmt.Sprintf("%s answers %s but wants credentials: sign in", host, how)
	case CredsRefused:
		who := "the stored credentials"
		if ec.User != "" {
			who = "the credentials of " + ec.User
		}
		return fmt.Sprintf("%s answers %s but refuses %s: sign in again", host, how, who)
	}
	return strings.TrimSpace(host + " answers " + how)
}

// answersPlainHTTP tells a registry that speaks only plain HTTP from other
// TLS failures: its answer to a TLS hello, or Ferry's refusal to fall back.
func answersPlainHTTP(err error) bool {
	var recordHeader tls.RecordHeaderError
	return errors.As(err, &recordHeader) || errors.Is(err, errPlainHTTP) ||
		strings.Contains(err.Error(), "server gave HTTP response to HTTPS client")
}

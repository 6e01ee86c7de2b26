package registry

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"ferry/backend/registrytest"
)

// captured is everything logged through the entry captureLog returns,
// one "level: message" line per entry.
type captured struct{ hook *test.Hook }

func (c captured) String() string {
	var b strings.Builder
	for _, e := range c.hook.AllEntries() {
		b.WriteString(e.Level.String() + ": " + e.Message + "\n")
	}
	return b.String()
}

func captureLog(level logrus.Level) (*logrus.Entry, captured) {
	l, hook := test.NewNullLogger()
	l.SetLevel(level)
	return logrus.NewEntry(l), captured{hook}
}

const (
	logUser   = "log-user-7f3a"
	logSecret = "log-secret-Qx81"
	signature = "sig-value-z9q8"
)

// signedRegistry serves the in-process registry to logUser:logSecret only,
// answers the first manifest GET with 503, and redirects blob downloads
// to a pre-signed URL whose query carries a signature, as object stores do.
func signedRegistry(t *testing.T) string {
	inner := registrytest.Handler()
	var failed atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rest, ok := strings.CutPrefix(r.URL.Path, "/signed"); ok {
			if r.URL.Query().Get("X-Amz-Signature") != signature {
				http.Error(w, "bad signature", http.StatusForbidden)
				return
			}
			r.URL.Path, r.URL.RawQuery = rest, ""
			inner.ServeHTTP(w, r)
			return
		}
		if u, p, ok := r.BasicAuth(); !ok || u != logUser || p != logSecret {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/manifests/") && failed.CompareAndSwap(false, true) {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:") {
			http.Redirect(w, r, "/signed"+r.URL.Path+"?X-Amz-Credential=cred&X-Amz-Signature="+signature, http.StatusTemporaryRedirect)
			return
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestLogShowsRequestsNeverCredentials: at trace level every request is
// logged with its status, a retry at debug level, and neither the
// password, the Authorization header nor a signed URL's query appears.
func TestLogShowsRequestsNeverCredentials(t *testing.T) {
	host := signedRegistry(t)
	log, buf := captureLog(logrus.TraceLevel)
	c := newClient(t, "", WithLog(log))
	writeDockerConfig(t, host, logUser, logSecret)
	r := ref(t, host+"/private/app:1")
	img := registrytest.Image(t, v1.Platform{OS: "linux", Architecture: "amd64"}, registrytest.Layer(t, 1, 10))
	if err := c.Push(context.Background(), r, img); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	ld, err := layers[0].Digest()
	if err != nil {
		t.Fatal(err)
	}
	blob, err := c.Blob(context.Background(), r.Context().Digest(ld.String()))
	if err != nil {
		t.Fatal(err)
	}
	blob.Close()

	out := buf.String()
	for _, want := range []string{
		"GET http://" + host + "/v2/: 401 Unauthorized",
		"?digest=sha256:",
		"GET http://" + host + "/v2/private/app/manifests/1: 200 OK",
		"503 Service Unavailable",
		"trying again unless out of tries",
		"PUT http://" + host + "/v2/private/app/manifests/1: 201 Created",
		"/signed/v2/private/app/blobs/" + ld.String() + "?X-Amz-Credential=REDACTED&X-Amz-Signature=REDACTED: 200 OK",
		"trace: ", "debug: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	basic := base64.StdEncoding.EncodeToString([]byte(logUser + ":" + logSecret))
	for _, secret := range []string{logSecret, basic, signature, "Authorization", "authorization", "Basic "} {
		if strings.Contains(out, secret) {
			t.Errorf("log shows %q:\n%s", secret, out)
		}
	}

	// At debug level the requests themselves are not logged.
	log, buf = captureLog(logrus.DebugLevel)
	c = newClient(t, "", WithLog(log))
	writeDockerConfig(t, host, logUser, logSecret)
	if _, err := c.Get(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	if out := buf.String(); strings.Contains(out, "GET ") {
		t.Errorf("debug level logs requests:\n%s", out)
	}
}

// TestLogSaysWhichEndpointIsGivenUp: a mirror that lacks the image is
// named at debug level before the next endpoint is tried.
func TestLogSaysWhichEndpointIsGivenUp(t *testing.T) {
	origin, mirror := registrytest.InProcess(t), registrytest.InProcess(t)
	registrytest.PushImage(t, origin+"/a:1")
	log, buf := captureLog(logrus.DebugLevel)
	c := newClient(t, "registryConfig:\n  registries:\n    "+origin+":\n      endpoints: [http://"+mirror+"]\n", WithLog(log))
	if _, err := c.Get(context.Background(), ref(t, origin+"/a:1")); err != nil {
		t.Fatal(err)
	}
	want := origin + "/a:1: endpoint http://" + mirror + " failed"
	if out := buf.String(); !strings.Contains(out, want) || !strings.Contains(out, "trying http://"+origin) {
		t.Errorf("log lacks %q then the origin:\n%s", want, out)
	}
}

package registry

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/sirupsen/logrus"

	"ferry/backend/progress"
)

// WithLog sends what the client does to log: every HTTP request at trace
// level (method, URL, status, size, duration), and at debug level each
// failure that is retried and each endpoint given up for the next. Headers
// and bodies are never logged, and URLs lose their user information and
// query values: they carry credentials, tokens and signed URLs.
func WithLog(log *logrus.Entry) Option {
	return func(c *Client) { c.log = log }
}

func (c *Client) debugf(format string, args ...any) {
	if c.log != nil {
		c.log.Debugf(format, args...)
	}
}

// logTransport writes one trace line per request that reached it. It sits
// below go-containerregistry's retry and auth layers, so each attempt and
// each token request shows.
type logTransport struct {
	log  *logrus.Entry
	next http.RoundTripper
}

func (t *logTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !t.log.Logger.IsLevelEnabled(logrus.TraceLevel) {
		return t.next.RoundTrip(req)
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	took := time.Since(start).Round(time.Microsecond)
	if err != nil {
		t.log.Tracef("%s %s: %v (%s)", req.Method, safeURL(req.URL), err, took)
		return resp, err
	}
	size := "size unknown"
	if resp.ContentLength >= 0 {
		size = progress.HumanBytes(resp.ContentLength)
	}
	t.log.Tracef("%s %s: %s (%s, %s)", req.Method, safeURL(req.URL), resp.Status, size, took)
	return resp, nil
}

// safeURL is u without user information and with every query value
// replaced but those known to be harmless and useful: upload state, token
// requests' accounts and signed blob URLs live in the query.
func safeURL(u *url.URL) string {
	out := *u
	out.User, out.RawQuery, out.ForceQuery = nil, "", false
	q := u.Query()
	if len(q) == 0 {
		return out.String()
	}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range q[k] {
			if !plainQueryKeys[k] {
				v = "REDACTED"
			}
			b.WriteString("&" + k + "=" + v) // unescaped: a log line, not a URL to reuse
		}
	}
	return out.String() + "?" + b.String()[1:]
}

// plainQueryKeys are the Distribution API's own query parameters, which
// hold digests, repository names and page sizes, never secrets.
var plainQueryKeys = map[string]bool{
	"digest": true, "mount": true, "from": true, "n": true, "last": true,
	"artifactType": true, "origin": true, "scope": true, "service": true,
}

// Package refs parses fully qualified image references and provides the
// reference helpers that mapping templates use (Tag, Repository, Registry,
// Package), with the same results as the reference tool.
package refs

import (
	// Digest validation accepts only algorithms whose hash is linked in.
	_ "crypto/sha256"
	_ "crypto/sha512"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/opencontainers/go-digest"
)

// ErrNoRegistry reports a reference written without its registry host, such
// as "library/nginx" or "nginx:1.25". Ferry never guesses Docker Hub.
var ErrNoRegistry = errors.New("registry host is missing")

// maxLength is far above any valid reference (a repository path of 255,
// a tag of 128, a sha512 digest of 135 and a host), so that a longer text is
// refused without being parsed or echoed in the error.
const maxLength = 1024

var tagPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// Ref is a parsed, fully qualified reference. Its parts are kept exactly as
// written: Registry is "docker.io", not "index.docker.io", and Repository
// gets no implicit "library/".
type Ref struct {
	original   string
	registry   string
	repository string
	tag        string
	digest     string
	name       name.Reference
}

// Parse parses a reference that names its registry host, such as
// "quay.io/ceph/ceph:v16.2.7", "localhost:5000/a/b@sha256:..." or
// "reg.example/a:v1@sha256:...". A bare "nginx" or "library/nginx" is
// rejected with ErrNoRegistry.
//
// go-containerregistry's StrictValidation is not used: it demands a tag and
// rejects "docker.io/nginx", which the reference tool accepts. Instead the
// host is required here and the path is held to the distribution grammar,
// which go-containerregistry only checks for allowed characters.
func Parse(s string) (Ref, error) {
	if s == "" {
		return Ref{}, errors.New("empty reference")
	}
	if len(s) > maxLength {
		return Ref{}, fmt.Errorf("a reference of %d bytes is too long; a reference has at most a few hundred", len(s))
	}
	if strings.Contains(s, "://") {
		return Ref{}, fmt.Errorf("%q: a reference has no URL scheme; write host/repository[:tag][@digest]", s)
	}
	if i := strings.IndexFunc(s, isSpace); i >= 0 {
		return Ref{}, fmt.Errorf("%q: a reference cannot contain spaces", s)
	}

	host, rest, found := strings.Cut(s, "/")
	if !found || !looksLikeHost(host) {
		return Ref{}, fmt.Errorf("%q: %w; write it in full, e.g. %q", s, ErrNoRegistry, dockerHubSpelling(s))
	}
	r := Ref{original: s, registry: host, repository: rest}
	if repo, dig, ok := strings.Cut(rest, "@"); ok {
		r.repository, r.digest = repo, dig
		if r.digest == "" {
			return Ref{}, fmt.Errorf("%q: empty digest after '@'", s)
		}
	}
	// The path cannot contain ':', so the first one starts the tag.
	if repo, tag, ok := strings.Cut(r.repository, ":"); ok {
		r.repository, r.tag = repo, tag
		if !tagPattern.MatchString(tag) {
			return Ref{}, fmt.Errorf("%q: invalid tag %q: use up to 128 letters, digits, '_', '.' or '-', not starting with '.' or '-'", s, tag)
		}
	}
	if err := checkPath(r.repository); err != nil {
		return Ref{}, fmt.Errorf("%q: %w", s, err)
	}

	// The split above has checked path and tag, so only the host and the
	// digest remain; building the name from its parts skips a second parse.
	reg, err := name.NewRegistry(host, name.WeakValidation)
	if err != nil {
		return Ref{}, fmt.Errorf("%q: %w", s, err)
	}
	repo := reg.Repo(r.repository)
	switch {
	case r.digest != "":
		if err := digest.Digest(r.digest).Validate(); err != nil {
			return Ref{}, fmt.Errorf("%q: invalid digest %q: %w", s, r.digest, err)
		}
		r.name = repo.Digest(r.digest)
	case r.tag != "":
		r.name = repo.Tag(r.tag)
	default:
		r.name = repo.Tag(name.DefaultTag)
	}
	return r, nil
}

// looksLikeHost applies Docker's rule for telling a registry host from the
// first path component: it has a dot or a port, or is localhost.
func looksLikeHost(s string) bool {
	return s == "localhost" || strings.ContainsAny(s, ".:") || strings.HasPrefix(s, "[")
}

// dockerHubSpelling suggests the fully qualified form of a Docker Hub short
// name, which is almost always what a reference without a host meant.
func dockerHubSpelling(s string) string {
	repo, _, _ := strings.Cut(s, ":")
	repo, _, _ = strings.Cut(repo, "@")
	if !strings.Contains(repo, "/") {
		return "docker.io/library/" + s
	}
	return "docker.io/" + s
}

func checkPath(p string) error {
	if p == "" {
		return errors.New("repository path is missing after the registry host")
	}
	for _, c := range strings.Split(p, "/") {
		if c == "" {
			return fmt.Errorf("invalid repository path %q: empty component (doubled or trailing '/')", p)
		}
		if !validComponent(c) {
			return fmt.Errorf("invalid repository path %q: component %q must be lowercase letters and digits, separated by '.', '_', '__' or dashes", p, c)
		}
	}
	if len(p) > 255 {
		return fmt.Errorf("repository path is %d characters long, the limit is 255", len(p))
	}
	return nil
}

// validComponent checks one path component against the distribution spec's
// grammar [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*, which go-containerregistry
// does not enforce. A scanner, because previews check thousands of names.
func validComponent(c string) bool {
	i := 0
	for {
		start := i
		for i < len(c) && (c[i] >= 'a' && c[i] <= 'z' || c[i] >= '0' && c[i] <= '9') {
			i++
		}
		if i == start {
			return false
		}
		if i == len(c) {
			return true
		}
		switch c[i] {
		case '.':
			i++
		case '_':
			i++
			if i < len(c) && c[i] == '_' {
				i++
			}
		case '-':
			for i < len(c) && c[i] == '-' {
				i++
			}
		default:
			return false
		}
	}
}

func isSpace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f'
}

// String returns the reference exactly as written.
func (r Ref) String() string { return r.original }

// Registry returns the registry host as written, with its port if any.
func (r Ref) Registry() string { return r.registry }

// Repository returns the repository path as written, without registry, tag
// or digest.
func (r Ref) Repository() string { return r.repository }

// Tag returns the tag, or "" when the reference has none.
func (r Ref) Tag() string { return r.tag }

// Digest returns the digest ("sha256:..."), or "" when the reference has none.
func (r Ref) Digest() string { return r.digest }

// Name returns the go-containerregistry reference for pulling. When both a
// tag and a digest are given it is the digest, since that is immutable.
func (r Ref) Name() name.Reference { return r.name }

// Canonical returns the reference spelled the way registries see it
// ("docker.io/x" becomes "index.docker.io/library/x:latest"), so that two
// spellings of the same place compare equal. A tag is kept next to a digest.
func (r Ref) Canonical() string {
	if r.name == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString(r.name.Context().Name())
	switch {
	case r.tag != "":
		b.WriteString(":" + r.tag)
	case r.digest == "":
		b.WriteString(":" + name.DefaultTag)
	}
	if r.digest != "" {
		b.WriteString("@" + r.digest)
	}
	return b.String()
}

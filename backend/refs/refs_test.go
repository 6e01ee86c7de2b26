package refs

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
)

const hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseParts(t *testing.T) {
	tests := []struct {
		in                          string
		registry, repo, tag, digest string
	}{
		{"quay.io/ceph/ceph:v16.2.7", "quay.io", "ceph/ceph", "v16.2.7", ""},
		{"docker.io/library/nginx", "docker.io", "library/nginx", "", ""},
		{"docker.io/nginx:1.25", "docker.io", "nginx", "1.25", ""},
		{"localhost:5000/a/b:1", "localhost:5000", "a/b", "1", ""},
		{"localhost/a", "localhost", "a", "", ""},
		{"localhost:5000/a/b@sha256:" + hex64, "localhost:5000", "a/b", "", "sha256:" + hex64},
		{"reg.example/a:v1@sha256:" + hex64, "reg.example", "a", "v1", "sha256:" + hex64},
		{"[::1]:5000/a/b:v1", "[::1]:5000", "a/b", "v1", ""},
		{"reg.example/a__b/c--d/e.f_g:V1.x-y_z", "reg.example", "a__b/c--d/e.f_g", "V1.x-y_z", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			r, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if r.String() != tt.in {
				t.Errorf("String() = %q, want the input unchanged", r.String())
			}
			got := []string{r.Registry(), r.Repository(), r.Tag(), r.Digest()}
			want := []string{tt.registry, tt.repo, tt.tag, tt.digest}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("parts = %q, want %q", got, want)
			}
			if r.Name() == nil {
				t.Error("Name() is nil")
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		in, wantInMessage string
		noRegistry        bool
	}{
		{"library/nginx", `"docker.io/library/nginx"`, true},
		{"nginx:1.25", `"docker.io/library/nginx:1.25"`, true},
		{"nginx", `"docker.io/library/nginx"`, true},
		{"bitnami/redis:7@sha256:" + hex64, `"docker.io/bitnami/redis:7@sha256:`, true},
		{"", "empty", false},
		{"https://reg.example/a:1", "URL scheme", false},
		{"reg.example/a b:1", "spaces", false},
		{"reg.example/", "path is missing", false},
		{"reg.example/a//b:1", "empty component", false},
		{"reg.example/a/b/:1", "empty component", false},
		{"reg.example/a/b/", "empty component", false},
		{"reg.example/Upper/x", `component "Upper"`, false},
		{"reg.example/-a", `component "-a"`, false},
		{"reg.example/a:", "invalid tag", false},
		{"reg.example/a:.x", "invalid tag", false},
		{"reg.example/a:" + strings.Repeat("t", 129), "invalid tag", false},
		{"reg.example/a@", "empty digest", false},
		{"reg.example/a@sha256:abc", "", false},
		{"reg.example/a@md5:" + hex64, "", false},
		{"reg.example:port/a", "", false},
		{"reg.example/" + strings.Repeat("a", 2000), "a reference of 2012 bytes is too long", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse(tt.in)
			if err == nil {
				t.Fatal("Parse accepted it")
			}
			if !strings.Contains(err.Error(), tt.wantInMessage) || len(err.Error()) > 600 {
				t.Errorf("error %q does not mention %q", err, tt.wantInMessage)
			}
			if errors.Is(err, ErrNoRegistry) != tt.noRegistry {
				t.Errorf("errors.Is(err, ErrNoRegistry) = %v, want %v (%v)", !tt.noRegistry, tt.noRegistry, err)
			}
			if tt.noRegistry && !strings.Contains(err.Error(), "registry host is missing") {
				t.Errorf("error %q should say the registry host is missing", err)
			}
		})
	}
}

func TestCanonicalEqualsForSamePlace(t *testing.T) {
	same := [][2]string{
		{"docker.io/nginx", "index.docker.io/library/nginx:latest"},
		{"docker.io/library/nginx:1", "index.docker.io/library/nginx:1"},
		{"reg.example/a:v1@sha256:" + hex64, "reg.example/a:v1@sha256:" + hex64},
	}
	for _, p := range same {
		a, b := mustParse(t, p[0]), mustParse(t, p[1])
		if a.Canonical() != b.Canonical() {
			t.Errorf("%s -> %s and %s -> %s differ", p[0], a.Canonical(), p[1], b.Canonical())
		}
	}
	different := [][2]string{
		{"reg.example/a", "reg.example/a@sha256:" + hex64},
		{"reg.example/a:v1", "reg.example/a:v2"},
		{"reg.example/a", "reg.example/a:v2"},
		{"reg.example/a:v1", "reg.example:5000/a:v1"},
		{"reg.example/a:v1", "reg.example/a:v1@sha256:" + hex64},
	}
	for _, p := range different {
		if mustParse(t, p[0]).Canonical() == mustParse(t, p[1]).Canonical() {
			t.Errorf("%s and %s should differ", p[0], p[1])
		}
	}
}

func TestTemplateHelpers(t *testing.T) {
	dig := "sha256:" + hex64
	tests := []struct {
		in                             string
		tag, repository, registry, pkg string
	}{
		// The vector from FORMAT.md and the reference tool's own tests.
		{"quay.io/ceph/ceph:v16.2.7", "v16.2.7", "ceph/ceph", "quay.io", "ceph/ceph:v16.2.7"},
		{"localhost:5000/a/b@" + dig, dig, "a/b", "localhost:5000", "a/b@" + dig},
		{"reg.example/a:v1@" + dig, dig, "a", "reg.example", "a:v1@" + dig},
		{"docker.io/nginx", "", "nginx", "docker.io", "nginx"},
		{"localhost:5000/a/b:1", "1", "a/b", "localhost:5000", "a/b:1"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			check := func(fn string, f func(string) (string, error), want string) {
				got, err := f(tt.in)
				if err != nil || got != want {
					t.Errorf("%s = %q, %v; want %q", fn, got, err, want)
				}
			}
			check("Tag", Tag, tt.tag)
			check("Repository", Repository, tt.repository)
			check("Registry", Registry, tt.registry)
			check("Package", Package, tt.pkg)
		})
	}
	for fn, f := range FuncMap() {
		helper := f.(func(string) (string, error))
		if _, err := helper("library/nginx"); !errors.Is(err, ErrNoRegistry) {
			t.Errorf("%s(library/nginx) error = %v, want ErrNoRegistry", fn, err)
		}
	}
}

func TestNormalizeDestination(t *testing.T) {
	dig := "sha256:" + hex64
	tests := []struct {
		in, want, target, pin string
		targetIsTag           bool
	}{
		{"reg.example/a", "reg.example/a:latest", "reg.example/a:latest", "", true},
		{"reg.example/a:v1", "reg.example/a:v1", "reg.example/a:v1", "", true},
		{"reg.example/a@" + dig, "reg.example/a@" + dig, "reg.example/a@" + dig, dig, false},
		{"reg.example/a:v1@" + dig, "reg.example/a:v1@" + dig, "reg.example/a:v1", dig, true},
		{"localhost:5000/a/b", "localhost:5000/a/b:latest", "localhost:5000/a/b:latest", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := NormalizeDestination(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if d.String() != tt.want {
				t.Errorf("String() = %q, want %q", d.String(), tt.want)
			}
			target := d.Target()
			if target.Name() != tt.target {
				t.Errorf("Target() = %q, want %q", target.Name(), tt.target)
			}
			if _, isTag := target.(name.Tag); isTag != tt.targetIsTag {
				t.Errorf("Target() is %T", target)
			}
			if d.PinnedDigest() != tt.pin {
				t.Errorf("PinnedDigest() = %q, want %q", d.PinnedDigest(), tt.pin)
			}
		})
	}
	if _, err := NormalizeDestination("mirror/a"); !errors.Is(err, ErrNoRegistry) {
		t.Errorf("NormalizeDestination(mirror/a) error = %v, want ErrNoRegistry", err)
	}
}

func mustParse(t *testing.T, s string) Ref {
	t.Helper()
	r, err := Parse(s)
	if err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return r
}

func TestValidComponentFollowsTheSpecGrammar(t *testing.T) {
	grammar := regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)
	for _, c := range []string{
		"", "a", "abc", "a.b", "a_b", "a__b", "a___b", "a-b", "a---b", "a.-b", "a..b",
		".a", "a.", "_a", "a_", "-a", "a-", "A", "aB", "a b", "a/b", "a:b", "0", "9-9.9_9__9",
	} {
		if got, want := validComponent(c), grammar.MatchString(c); got != want {
			t.Errorf("validComponent(%q) = %v, the grammar says %v", c, got, want)
		}
	}
}

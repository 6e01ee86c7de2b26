package mapping

import (
	"reflect"
	"strings"
	"testing"

	"ferry/backend/refs"
)

func TestNest(t *testing.T) {
	dig := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct {
		prefix, src, want string
	}{
		// The reference tool's vector.
		{"localhost:5000/nest", "docker.io/testImage", "localhost:5000/nest/docker.io/testImage"},
		{"reg.example/mirror", "quay.io/ceph/ceph:v16.2.7", "reg.example/mirror/quay.io/ceph/ceph:v16.2.7"},
		{"reg.example/mirror/", "quay.io/ceph/ceph:v16.2.7", "reg.example/mirror/quay.io/ceph/ceph:v16.2.7"},
		{"reg.example", "quay.io/ceph/ceph:v16.2.7", "reg.example/quay.io/ceph/ceph:v16.2.7"},
		// Ferry: a port cannot stay inside the path.
		{"reg.example/mirror", "localhost:5000/a/b:1", "reg.example/mirror/localhost_5000/a/b:1"},
		{"reg.example/mirror", "Reg.Example:443/a@" + dig, "reg.example/mirror/reg.example_443/a@" + dig},
	}
	for _, tt := range tests {
		t.Run(tt.src, func(t *testing.T) {
			got := mapOne(t, KindNest, tt.prefix, tt.src)
			if !reflect.DeepEqual(got, []string{tt.want}) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNestHostPortGivesValidReference(t *testing.T) {
	got := mapOne(t, KindNest, "reg.example/mirror", "localhost:5000/a/b:1")
	r, err := refs.Parse(got[0])
	if err != nil {
		t.Fatalf("%s is not a valid reference: %v", got[0], err)
	}
	if r.Registry() != "reg.example" || r.Tag() != "1" {
		t.Errorf("%s: registry %q tag %q", got[0], r.Registry(), r.Tag())
	}
}

func TestNestPrefixValidation(t *testing.T) {
	for _, bad := range []string{"", "  ", "mirror", "reg.example/Mirror", "reg.example/a:1", "reg.example/a\nreg.example/b"} {
		if _, err := New(KindNest, bad); err == nil {
			t.Errorf("New(nest, %q) accepted it", bad)
		}
	}
}

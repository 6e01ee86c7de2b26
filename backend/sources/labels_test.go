package sources

import (
	"reflect"
	"testing"
)

func TestEncodeLabels(t *testing.T) {
	// FORMAT.md's example: compact, keys sorted whatever the insertion order.
	got := EncodeLabels(map[string]string{"module": "test", "component": "core"})
	if want := `{"component":"core","module":"test"}`; got != want {
		t.Errorf("EncodeLabels = %s, want %s", got, want)
	}
	if got := EncodeLabels(nil); got != "" {
		t.Errorf("no labels must give no annotation, got %q", got)
	}
}

func TestDecodeLabelsRoundTrip(t *testing.T) {
	in := map[string]string{"example.com/owner": "ops", "tier": ""}
	out, err := DecodeLabels(EncodeLabels(in))
	if err != nil || !reflect.DeepEqual(in, out) {
		t.Errorf("round trip gave %v, %v", out, err)
	}
	if lbls, err := DecodeLabels(""); err != nil || lbls != nil {
		t.Errorf(`DecodeLabels("") = %v, %v`, lbls, err)
	}
	for _, bad := range []string{`["a"]`, `{"a":1}`, `{`} {
		if _, err := DecodeLabels(bad); err == nil {
			t.Errorf("DecodeLabels(%s) accepted it", bad)
		}
	}
}

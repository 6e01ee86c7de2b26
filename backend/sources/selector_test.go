package sources

import (
	"strings"
	"testing"
)

func TestSelect(t *testing.T) {
	srcs := []Source{
		{Line: 1, Ref: "reg.example/a:1", Labels: map[string]string{"component": "core", "module": "test"}},
		{Line: 2, Ref: "reg.example/b:1", Labels: map[string]string{"component": "core", "module": "prod"}},
		{Line: 3, Ref: "reg.example/c:1", Labels: map[string]string{"component": "ui"}},
		{Line: 4, Ref: "reg.example/d:1"},
	}
	tests := []struct {
		name      string
		selectors []string
		want      []int // lines
	}{
		{"no selector keeps all", nil, []int{1, 2, 3, 4}},
		{"equality", []string{"component=core"}, []int{1, 2}},
		{"comma is AND", []string{"component=core,module=test"}, []int{1}},
		{"repeated is OR", []string{"module=test", "component=ui"}, []int{1, 3}},
		{"inequality keeps unlabelled", []string{"component!=core"}, []int{3, 4}},
		{"set based", []string{"module in (prod,test)"}, []int{1, 2}},
		{"existence", []string{"!module"}, []int{3, 4}},
		{"matches nothing", []string{"component=db"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Select(srcs, tt.selectors)
			if err != nil {
				t.Fatal(err)
			}
			var lines []int
			for _, s := range got {
				lines = append(lines, s.Line)
			}
			if len(lines) != len(tt.want) || (len(lines) > 0 && !equalInts(lines, tt.want)) {
				t.Errorf("selected lines %v, want %v", lines, tt.want)
			}
		})
	}
}

func TestSelectInvalidSelectors(t *testing.T) {
	_, err := Select(nil, []string{"component=core", "comp onent=x", "a in (b"})
	if err == nil {
		t.Fatal("invalid selectors accepted")
	}
	for _, bad := range []string{`"comp onent=x"`, `"a in (b"`} {
		if !strings.Contains(err.Error(), "invalid selector "+bad) {
			t.Errorf("error %q does not name %s", err, bad)
		}
	}
	if strings.Contains(err.Error(), `"component=core"`) {
		t.Errorf("error %q blames the valid selector", err)
	}
}

func equalInts(a, b []int) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

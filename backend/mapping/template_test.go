package mapping

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

const srcExpr = `(index .Annotations "vnd.act3-ace.manifest.source")`

func TestTemplateDestinations(t *testing.T) {
	tests := []struct {
		name, tmpl, src string
		want            []string
	}{
		{
			"reference helpers",
			`{{ $s := ` + srcExpr + ` }}high.example/{{ Registry $s }}/{{ Repository $s }}:{{ Tag $s }}`,
			"quay.io/ceph/ceph:v16.2.7",
			[]string{"high.example/quay.io/ceph/ceph:v16.2.7"},
		},
		{
			"Package keeps the tag",
			`high.example/mirror/{{ Package ` + srcExpr + ` }}`,
			"quay.io/ceph/ceph:v16.2.7",
			[]string{"high.example/mirror/ceph/ceph:v16.2.7"},
		},
		{
			"sprig functions",
			`{{ $s := ` + srcExpr + ` }}high.example/{{ Repository $s | replace "/" "-" | upper | lower }}:{{ Tag $s | trimPrefix "v" }}`,
			"quay.io/ceph/ceph:v16.2.7",
			[]string{"high.example/ceph-ceph:16.2.7"},
		},
		{
			"several lines, trimmed, blanks dropped",
			"  high.example/a/{{ Package " + srcExpr + " }}  \n\n\t\nhigh.example/b/{{ Package " + srcExpr + " }}\n",
			"reg.example/x:1",
			[]string{"high.example/a/x:1", "high.example/b/x:1"},
		},
		{
			"conditional skips",
			`{{ if hasPrefix "quay.io/" ` + srcExpr + ` }}high.example/q{{ end }}`,
			"reg.example/x:1",
			nil,
		},
		{
			"digest fields as in the reference tool's descriptor",
			`high.example/by-digest@{{ .Digest }}{{ "\n" }}high.example/x:{{ .Digest.Encoded | trunc 12 }}-{{ .Digest.Algorithm }}`,
			"reg.example/x:1",
			nil, // filled below
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := tt.want
			if tt.want == nil && strings.Contains(tt.tmpl, ".Digest") {
				d := entry(tt.src).Digest
				want = []string{"high.example/by-digest@" + d.String(), "high.example/x:" + d.Hex[:12] + "-sha256"}
			}
			got := mapOne(t, KindTemplate, tt.tmpl, tt.src)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

func TestTemplateSeesPlatformAndMediaType(t *testing.T) {
	e := entry("reg.example/x:1")
	e.Platform = &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}
	m, err := New(KindTemplate, `high.example/x:{{ .Platform.OS }}-{{ .Platform.Architecture }}{{ .Platform.Variant }}-{{ .Size }}{{ if eq .MediaType "application/vnd.oci.image.manifest.v1+json" }}-oci{{ end }}`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := m.Map(context.Background(), e)
	if err != nil || !reflect.DeepEqual(got, []string{"high.example/x:linux-arm64v8-512-oci"}) {
		t.Errorf("got %q, %v", got, err)
	}
}

func TestTemplateIsHermetic(t *testing.T) {
	for _, fn := range []string{"env", "expandenv", "randAlphaNum"} {
		_, err := New(KindTemplate, "reg.example/{{ "+fn+` "HOME" }}`)
		if err == nil || !strings.Contains(err.Error(), `function "`+fn+`" not defined`) {
			t.Errorf("%s: error = %v, want it undefined", fn, err)
		}
	}
}

func TestTemplateParseErrorPosition(t *testing.T) {
	tests := []struct {
		name, text string
		line, col  int
		msg        string
	}{
		{"unknown function", "high.example/a\n    {{ nosuch .Digest }}", 2, 8, `function "nosuch" not defined`},
		{"unclosed action", "high.example/a\nhigh.example/b\n{{ if .Digest }}x", 3, 0, "unexpected EOF"},
		{"empty", " \n\t", 1, 0, "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(KindTemplate, tt.text)
			var rerr *RuleError
			if !errors.As(err, &rerr) || len(rerr.Problems) != 1 {
				t.Fatalf("error %v, want one positioned problem", err)
			}
			p := rerr.Problems[0]
			if p.Line != tt.line || p.Column != tt.col || !strings.Contains(p.Message, tt.msg) {
				t.Errorf("problem %+v, want line %d column %d mentioning %q", p, tt.line, tt.col, tt.msg)
			}
		})
	}
}

func TestTemplateExecutionErrorPosition(t *testing.T) {
	text := "# comment lines are output too, so keep them in actions\n" +
		`{{- $s := ` + srcExpr + ` -}}` + "\n" +
		`high.example/{{ Tag "nginx" }}`
	m, err := New(KindTemplate, text)
	if err != nil {
		t.Fatal(err)
	}
	_, err = m.Map(context.Background(), entry("reg.example/x:1"))
	var rerr *RuleError
	if !errors.As(err, &rerr) {
		t.Fatalf("error %v is not a *RuleError", err)
	}
	p := rerr.Problems[0]
	wantCol := strings.Index(strings.Split(text, "\n")[2], "Tag") + 1
	if p.Line != 3 || p.Column != wantCol {
		t.Errorf("position %d:%d, want 3:%d", p.Line, p.Column, wantCol)
	}
	if !strings.Contains(p.Message, "registry host is missing") || strings.Contains(p.Message, `executing "`) {
		t.Errorf("message %q", p.Message)
	}
}

func TestTemplateMissingKeyIsNotAPanic(t *testing.T) {
	m, err := New(KindTemplate, `{{ index .Platform.OSFeatures 3 }}`)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Map(context.Background(), entry("reg.example/x:1")); err == nil {
		t.Error("nil platform dereference gave no error")
	}
}

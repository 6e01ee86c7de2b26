package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The live preview survives what an operator can type: each hostile
// template comes back within a second as a row problem at its line.
func TestPreviewMappingOfHostileTemplates(t *testing.T) {
	a := newTestApp(t, t.TempDir())
	for _, tt := range []struct{ rules, want string }{
		{`{{ repeat 20000000000 "xxxx" }}`, "line 1, column 4: the template exceeds its budget: repeat would make 75 GiB"},
		{`{{ range until 200000000 }}x{{ end }}`, "line 1, column 10: the template exceeds its budget: until would make 2 GiB"},
		{"reg.example/a\n{{ range until 100000 }}{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}{{ end }}",
			"line 2, column 58: the template exceeds its budget: more than 10000 steps"},
	} {
		deadline, cancel := context.WithTimeout(context.Background(), time.Second)
		resp, err := a.PreviewMapping(PreviewRequest{Kind: "go-template", Rules: tt.rules, SourcesText: "quay.io/a:1\nquay.io/b:1\n"})
		if deadline.Err() != nil {
			t.Errorf("%s: the preview took more than a second", tt.rules)
		}
		cancel()
		if err != nil || len(resp.Result.Rows) != 2 {
			t.Fatalf("%s: %+v, %v", tt.rules, resp, err)
		}
		for _, row := range resp.Result.Rows {
			if len(row.Problems) != 1 || !strings.Contains(row.Problems[0].Message, tt.want) {
				t.Errorf("%s: row problems %+v, want %q", tt.rules, row.Problems, tt.want)
			}
		}
	}
}

package cli

import (
	"strings"
	"testing"

	"ferry/backend/registrytest"
)

// TestVerbosityLevelsShowMore: each step of -v adds lines to the console:
// warn (the default) shows no debug or trace lines, debug shows the items
// the plan decided on, trace also every registry request.
func TestVerbosityLevelsShowMore(t *testing.T) {
	host := registrytest.InProcess(t)
	image := host + "/app/web:1"
	registrytest.PushImage(t, image)
	home := t.TempDir()
	list := writeFile(t, home, "sources.list", image+"\n")
	gather := func(v string) string {
		t.Helper()
		args := []string{"mirror", "gather", list, host + "/sync/v" + v + ":1"}
		if v != "" {
			args = append([]string{"-v=" + v}, args...) // a bare -v takes no separate value
		}
		_, errOut, err := run(t, home, args...)
		if err != nil {
			t.Fatalf("gather -v %s: %v\n%s", v, err, errOut)
		}
		return errOut
	}
	item := "done " + image
	request := "GET http://" + host + "/v2/app/web/manifests/1: 200 OK"

	for _, v := range []string{"", "warn", "info", "3"} {
		if out := gather(v); strings.Contains(out, "level=debug") || strings.Contains(out, "level=trace") {
			t.Errorf("-v %q shows debug or trace lines:\n%s", v, out)
		}
	}
	for _, v := range []string{"debug", "12"} {
		out := gather(v)
		if !strings.Contains(out, "level=debug") || !strings.Contains(out, item) {
			t.Errorf("-v %s lacks the item line %q:\n%s", v, item, out)
		}
		if strings.Contains(out, "level=trace") {
			t.Errorf("-v %s shows trace lines:\n%s", v, out)
		}
	}
	for _, v := range []string{"trace", "16"} {
		out := gather(v)
		if !strings.Contains(out, item) || !strings.Contains(out, "level=trace") || !strings.Contains(out, request) {
			t.Errorf("-v %s lacks the request line %q:\n%s", v, request, out)
		}
	}
}

package main

import (
	"strings"
	"testing"

	"ferry/backend/store"
)

// The window's printable report is the one the CLI exports as html.
func TestPrintableReport(t *testing.T) {
	a := newTestApp(t, t.TempDir())
	st := a.sess.Store
	if err := st.CreateRun(store.Run{ID: "run-abc", Kind: "serialize", Args: "ferry mirror serialize reg.example/t:1 t.tar"}); err != nil {
		t.Fatal(err)
	}
	st.AddItem("run-abc", store.Item{Source: "reg.example/app:1", Destination: "t.tar", Digest: "sha256:feed", Status: "done"})
	st.FinishRun("run-abc", store.StatusSucceeded, "")
	r, err := a.PrintableReport("run-abc")
	if err != nil {
		t.Fatal(err)
	}
	if r.Format != "html" || !strings.HasSuffix(r.Name, ".html") || !strings.Contains(r.Content, "sha256:feed") || !strings.Contains(r.Content, "Ferry transfer report") {
		t.Errorf("printable report %s (%s):\n%s", r.Name, r.Format, r.Content)
	}
	if _, err := a.PrintableReport("nope"); err == nil {
		t.Error("a report of an unknown run")
	}
}

package main

import (
	"ferry/backend/store"
	"strings"
	"testing"
)

func TestDraftsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	a := newTestApp(t, dir)
	if got, err := a.Draft("sources"); err != nil || got != "" {
		t.Fatalf("no draft yet = %q, %v", got, err)
	}
	if err := a.SaveDraft("sources", "reg.example/a:1\n"); err != nil {
		t.Fatal(err)
	}
	if err := a.SaveDraft("sources", "reg.example/a:2\n"); err != nil {
		t.Fatal(err)
	}
	a.shutdown()
	b := newTestApp(t, dir)
	if got, err := b.Draft("sources"); err != nil || got != "reg.example/a:2\n" {
		t.Errorf("after restart = %q, %v", got, err)
	}
	// Drafts do not leak into the preferences the operator sees.
	if p, err := b.GetPreferences(); err != nil || p.Theme != "system" {
		t.Errorf("preferences = %+v, %v", p, err)
	}
}

func TestDraftRefusesBadNamesAndHugeContent(t *testing.T) {
	a := newTestApp(t, t.TempDir())
	for _, name := range []string{"", "Sources", "../x", strings.Repeat("a", 41)} {
		if err := a.SaveDraft(name, "x"); err == nil || !strings.Contains(err.Error(), "draft name") {
			t.Errorf("SaveDraft(%q) = %v, want a draft name error", name, err)
		}
		if _, err := a.Draft(name); err == nil {
			t.Errorf("Draft(%q) accepted", name)
		}
	}
	if err := a.SaveDraft("big", strings.Repeat("x", store.MaxDraft+1)); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("huge draft = %v", err)
	}
	// A draft named like the preferences is kept apart from them.
	if err := a.SaveDraft("preferences", "x"); err != nil {
		t.Fatal(err)
	}
	if p, _ := a.GetPreferences(); p.Theme != "system" {
		t.Errorf("a draft named preferences changed the preferences: %+v", p)
	}
}

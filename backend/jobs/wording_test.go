package jobs

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/sirupsen/logrus"

	"ferry/backend/store"
)

func TestPlain(t *testing.T) {
	for in, want := range map[string]string{
		"context canceled":                       "cancelled",
		"pull a:1: Get \"x\": context canceled":  "pull a:1: Get \"x\": cancelled",
		"cancelled: cancelled":                   "cancelled",
		"cancelled: context canceled":            "cancelled",
		"push failed: 500":                       "push failed: 500",
		"context cancellation is a word I chose": "context cancellation is a word I chose",
	} {
		if got := Plain(in); got != want {
			t.Errorf("Plain(%q) = %q, want %q", in, got, want)
		}
	}
}

// A cancelled job's log, items and error say "cancelled" in the
// operator's words, once, wherever Go's context error appears.
func TestCancelledJobSpeaksPlainly(t *testing.T) {
	m := newManager(t)
	started := make(chan struct{})
	id, _ := m.Start(Spec{Kind: "scatter", Run: func(ctx context.Context, j *Job) error {
		close(started)
		<-ctx.Done()
		err := fmt.Errorf("push a:1: %w", ctx.Err())
		j.Logf(logrus.WarnLevel, "%v", err)
		j.Item(store.Item{Source: "a:1", Status: "failed", Error: err.Error()})
		return err
	}})
	<-started
	if err := m.Cancel(id); err != nil {
		t.Fatal(err)
	}
	snap, _ := m.Wait(context.Background(), id)
	if snap.State != store.StatusCancelled || snap.Error != "cancelled" {
		t.Fatalf("state %q, error %q", snap.State, snap.Error)
	}
	run, err := m.Store().GetRunDetail(id)
	if err != nil {
		t.Fatal(err)
	}
	if run.Error != "cancelled" {
		t.Errorf("recorded error %q", run.Error)
	}
	if len(run.Items) != 1 || run.Items[0].Error != "push a:1: cancelled" {
		t.Errorf("items %+v", run.Items)
	}
	lines, _ := m.Store().Log(id)
	var all []string
	for _, l := range lines {
		all = append(all, l.Message)
	}
	text := strings.Join(all, "\n")
	if strings.Contains(text, "context canceled") || strings.Contains(text, "cancelled: cancelled") {
		t.Errorf("log speaks Go or repeats itself:\n%s", text)
	}
	if !strings.Contains(text, "push a:1: cancelled") || all[len(all)-1] != "cancelled" {
		t.Errorf("log:\n%s", text)
	}
}

package ops

import (
	"strings"
	"testing"

	"ferry/backend/store"
)

func TestRunActionsApplyOnlyWhereTheyWork(t *testing.T) {
	failedItem := []store.Item{{Source: "a", Status: store.StatusFailed}}
	for _, c := range []struct {
		kind, status  string
		items         []store.Item
		resume, rerun bool
		why           string // part of the reason re-run is unavailable
	}{
		{"deserialize", store.StatusCancelled, failedItem, true, false, "a deserialize is resumed or run again"},
		{"serialize", store.StatusSucceeded, nil, false, false, "no image failed"},
		{"scatter", store.StatusFailed, failedItem, false, true, ""},
		{"clone", store.StatusRunning, failedItem, false, false, "still running"},
		{"gather", store.StatusFailed, nil, false, false, "no image failed"},
	} {
		got := actionsOf(store.RunDetail{Run: store.Run{Kind: c.kind, Status: c.status}, Items: c.items}, "")
		if got.Resume.Available != c.resume || got.Rerun.Available != c.rerun || !strings.Contains(got.Rerun.Reason, c.why) {
			t.Errorf("%s %s: %+v", c.status, c.kind, got)
		}
		if !got.Resume.Available && got.Resume.Reason == "" {
			t.Errorf("%s %s: resume unavailable without a reason", c.status, c.kind)
		}
	}
}

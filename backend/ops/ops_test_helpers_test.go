package ops

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/sirupsen/logrus/hooks/test"

	"ferry/backend/jobs"
	"ferry/backend/store"
)

func newManager(t *testing.T) *jobs.Manager {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "ferry.db"))
	if err != nil {
		t.Fatal(err)
	}
	log, _ := test.NewNullLogger()
	m := jobs.NewManager(st, log)
	m.ProgressInterval = 0
	t.Cleanup(func() { m.Shutdown(5 * time.Second); st.Close() })
	return m
}

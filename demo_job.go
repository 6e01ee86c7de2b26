//go:build demo

package main

import (
	"context"
	"fmt"
	"time"

	"github.com/sirupsen/logrus"

	"ferry/backend/jobs"
	"ferry/backend/progress"
)

// The demo job only sleeps in steps; UI tests use it to watch progress and
// cancel without a registry.
func init() {
	demoWork = func(steps int, step time.Duration) jobs.Func {
		return func(ctx context.Context, j *jobs.Job) error {
			for i := 1; i <= steps; i++ {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(step):
				}
				if i%5 == 0 {
					j.Logf(logrus.InfoLevel, "demo step %d of %d", i, steps)
				}
				j.Progress(progress.Event{Phase: "demo", ItemsDone: i, ItemsTotal: steps,
					BytesDone: int64(i) << 20, BytesTotal: int64(steps) << 20, Current: fmt.Sprintf("step %d", i)})
			}
			return nil
		}
	}
}

package mirror

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/archive"
	"ferry/backend/medium"
	"ferry/backend/progress"
)

// volume identifies one archive of a transfer (FORMAT.md section 7).
type volume struct {
	number int
	last   bool
	syncID string
}

// volumeStats is what writing one volume did.
type volumeStats struct {
	blobs          int
	bytes          int64
	confirmedBlobs int
	end            archive.Position
	// cut is set when the medium filled up and the volume was closed after
	// its first done entries; mediumBytes is then what the volume holds.
	cut         bool
	done        int
	mediumBytes int64
}

// volumeJob is one archive to write.
type volumeJob struct {
	vol   volume
	items []*serialItem
	w     io.Writer // the medium
	// cw, when set, is w: it lets a full medium close the volume early
	// (cutting) and watches the write buffer (tape).
	cw      *cutWriter
	cutting bool
	tape    bool
	first   archive.Index // the first index.json
	comp    archive.Compression
	ledger  *archive.Ledger
	// ledgerBase is added to the volume's offsets in the ledger, which
	// counts from the start of the run's output.
	ledgerBase  int64
	bytesBefore int64 // blob bytes on earlier volumes, for progress
	itemsBefore int
	// minDone is how many leading items must be on the medium for a cut
	// volume to have made progress (the gather index repeated on later
	// volumes does not count).
	minDone int
	pad     bool
	reserve *atomic.Int64 // room kept for the closing entries (file volumes)
	rate    func() string // the drive's throughput, for progress
}

// writeVolume writes one complete archive of job.items to job.w through a
// block writer. It knows nothing of where the bytes go beyond w, so the
// multi-volume writer calls it once per medium. When job.cutting is set and
// the medium fills up, the volume is closed after the last entry it holds
// entirely (stats.cut, stats.done) and no error is returned.
func writeVolume(ctx context.Context, env Env, plan *serialPlan, job volumeJob, o SerializeOptions) (volumeStats, error) {
	var st volumeStats
	bufSize, stageBudget := splitBuffer(o.BufferSize, o.BlockSize)
	conf := newConfirmer(env, job.ledger, job.vol.number)
	conf.base = job.ledgerBase
	hwm := o.HWM
	if hwm == 0 && job.tape {
		hwm = DefaultHWM
	}
	opts := []medium.BlockOption{medium.WithBlockSize(o.BlockSize), medium.WithBufferSize(bufSize), medium.WithHighWaterMark(hwm),
		medium.WithConfirm(conf.confirm)}
	if job.pad {
		opts = append(opts, medium.WithPadFinalBlock())
	}
	var producing atomic.Bool
	producing.Store(true)
	var dry underruns
	if job.cw != nil && job.tape {
		opts = append(opts, medium.WithUnderrun(func() {
			if producing.Load() { // not the end of the stream
				dry.note(env, job.cw.dev.name())
			}
		}))
	}
	bw, err := medium.NewBlockWriter(ctx, job.w, opts...)
	if err != nil {
		return st, err
	}
	aw, err := archive.NewWriter(bw, archive.WithCompression(job.comp))
	if err != nil {
		bw.Close()
		return st, err
	}

	fetch := newPrefetcher(ctx, plan.repo, job.items, int64(stageBudget), env.concurrency())
	defer fetch.stop()

	report := func(cur string) {
		if job.rate != nil {
			if r := job.rate(); r != "" {
				cur = strings.TrimSpace(cur + " (" + r + ")")
			}
		}
		progress.Or(env.Progress)(progress.Event{Phase: "serialize", BytesDone: job.bytesBefore + st.bytes, BytesTotal: plan.total,
			ItemsDone: job.itemsBefore + st.blobs, ItemsTotal: len(plan.items), Current: cur, BufferFill: bw.Fill()})
	}

	var manifests []v1.Descriptor
	// The end of every entry is a place where a full medium can close the volume.
	mark := func(done int) error {
		if !job.cutting {
			return nil
		}
		m, err := aw.Mark()
		if err != nil {
			return err
		}
		job.cw.mark(cutPoint{offset: m.Position.Sink, items: done, manifests: len(manifests), at: m})
		return nil
	}
	werr := func() error {
		if _, err := aw.Begin(job.first); err != nil {
			return err
		}
		if err := mark(0); err != nil {
			return err
		}
		if job.reserve != nil {
			for _, d := range plan.listedAfter {
				job.reserve.Add(manifestReserve(d))
			}
		}
		for i, it := range job.items {
			if job.reserve != nil {
				for _, d := range it.listed {
					job.reserve.Add(manifestReserve(d))
				}
				if it.manifest {
					job.reserve.Add(manifestReserve(it.desc))
				}
			}
			// Listed only once the item they precede is on the medium: a
			// volume cut before it leaves them to the next volume.
			listed := it.listed
			r, release, err := fetch.open(ctx, i)
			if err != nil {
				return fmt.Errorf("reading %s from %s: %w", it.desc.Digest, plan.repo, err)
			}
			cr := &progress.CountingReader{R: r, OnRead: func(n int) { st.bytes += int64(n); report(it.desc.Digest.String()) }}
			pos, err := aw.WriteBlob(it.desc, cr)
			release()
			if err != nil {
				return err
			}
			st.blobs++
			manifests = append(manifests, listed...)
			if it.manifest {
				manifests = append(manifests, it.desc)
			}
			conf.written(it.desc, pos)
			if job.ledger != nil {
				if err := job.ledger.Record(it.desc, shift(pos, job.ledgerBase)); err != nil {
					return err
				}
			}
			if err := mark(i + 1); err != nil {
				return err
			}
			report(it.desc.Digest.String())
		}
		producing.Store(false)
		manifests = append(manifests, plan.listedAfter...)
		if o.ManifestJSON {
			data, err := dockerManifestJSON(plan)
			if err != nil {
				return err
			}
			aw.SetDockerManifest(data)
		}
		end, err := aw.Finish(job.first.With(map[string]string{archive.AnnotationVolumeLast: "true"}).Final(manifests))
		st.end = end
		return err
	}()
	producing.Store(false)
	fetch.stop()
	// Close drains what is buffered (unless cancelled): whole entries before
	// a failure still reach the medium and are confirmed before returning.
	cerr := bw.Close()
	st.confirmedBlobs = conf.confirmedCount()
	dry.summary(env, job.cw)
	if werr == nil && cerr != nil {
		werr = cerr
	}
	if werr != nil && job.cutting && ctx.Err() == nil && job.cw.dev.full(werr) {
		return closeFull(env, plan, job, manifests, st, werr)
	}
	if werr != nil {
		st.end = aw.Position()
		return st, fmt.Errorf("writing %s (%d of %d entries confirmed on the medium): %w", o.Dest, st.confirmedBlobs, len(job.items), werr)
	}
	st.mediumBytes = st.end.Sink
	if o.PadFinalBlock && st.end.Sink%int64(o.BlockSize) != 0 {
		st.mediumBytes += int64(o.BlockSize) - st.end.Sink%int64(o.BlockSize)
	}
	report("")
	return st, nil
}

// closeFull closes a volume the full medium cut (see closeCutVolume).
func closeFull(env Env, plan *serialPlan, job volumeJob, manifests []v1.Descriptor, st volumeStats, cause error) (volumeStats, error) {
	cp, _ := job.cw.state()
	name := job.cw.dev.name()
	if !cp.valid {
		return st, fmt.Errorf("%s is full before the start of volume %d was written: %w", name, job.vol.number, cause)
	}
	if cp.items <= job.minDone {
		if cp.items >= len(job.items) {
			return st, fmt.Errorf("%s is full before volume %d holds anything of the transfer: %w", name, job.vol.number, cause)
		}
		it := job.items[cp.items]
		return st, fmt.Errorf("%s %s (%d bytes) does not fit on one volume in %s (volume %d filled up before it was written whole): %w",
			mediaKind(it), it.desc.Digest, it.desc.Size, name, job.vol.number, cause)
	}
	final := job.first.With(map[string]string{archive.AnnotationVolumeLast: "false"}).Final(manifests[:cp.manifests])
	trailer, err := archive.Trailer(final, cp.at)
	if err != nil {
		return st, fmt.Errorf("closing volume %d: %w", job.vol.number, err)
	}
	total, err := closeCutVolume(job.cw, cp, trailer, job.pad)
	if err != nil {
		return st, fmt.Errorf("closing volume %d on %s after the medium filled up: %w", job.vol.number, name, err)
	}
	st.cut, st.done, st.mediumBytes = true, cp.items, total
	st.blobs, st.bytes = cp.items, 0
	for _, it := range job.items[:cp.items] {
		st.bytes += it.desc.Size
	}
	st.end = archive.Position{Stream: total, Sink: total}
	env.logf("volume %d on %s is full: closed after %d entries (%s); the rest goes on volume %d", job.vol.number, name, cp.items, progress.HumanBytes(total), job.vol.number+1)
	return st, nil
}

func mediaKind(it *serialItem) string {
	if it.manifest {
		return "manifest"
	}
	return "blob"
}

func shift(p archive.Position, by int64) archive.Position {
	return archive.Position{Stream: p.Stream + by, Sink: p.Sink + by}
}

// splitBuffer divides the memory budget between the write buffer in front of
// the medium and the reorder buffer of prefetched blobs.
func splitBuffer(total, block int) (write, stage int) {
	stage = min(total/4, 256<<20)
	write = max((total-stage)/block*block, block)
	stage = max(total-write, 0)
	return write, stage
}

// underruns counts the times the write buffer ran dry while a tape was
// written: the drive then stops and repositions before the next burst.
type underruns struct {
	count  int
	logged time.Time
}

func (u *underruns) note(env Env, dev string) {
	u.count++
	now := time.Now()
	if u.count == 1 || now.Sub(u.logged) >= 30*time.Second {
		u.logged = now
		env.logf("warning: the buffer ran dry while writing %s (%d times so far): the source is slower than the drive, so the tape stops and repositions; a larger --buffer-size gives longer runs", dev, u.count)
	}
}

func (u *underruns) summary(env Env, cw *cutWriter) {
	if u.count > 1 && cw != nil {
		env.logf("warning: the buffer ran dry %d times while writing %s", u.count, cw.dev.name())
	}
}

package mirror

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"ferry/backend/archive"
	"ferry/backend/medium"
	"ferry/backend/progress"
	"ferry/backend/tape"
)

// volumeTarget returns where the volumes of a multi-volume serialize go: a
// tape drive, or numbered files with VolumeSize; nil for one plain archive.
func (o SerializeOptions) volumeTarget(comp archive.Compression) (volumeTarget, error) {
	isTape := o.OpenDevice != nil || (o.Dest != medium.Stdio && tape.IsDrive(o.Dest))
	if isTape {
		if o.VolumeSize > 0 {
			return nil, fmt.Errorf("--volume-size splits into files; %s is a tape drive, where a new volume starts when a tape is full", o.Dest)
		}
		if o.BlockSize > tape.MaxBlockSize {
			return nil, fmt.Errorf("block size %d is larger than a tape drive takes (%d)", o.BlockSize, tape.MaxBlockSize)
		}
		return &tapeTarget{path: o.Dest, open_: o.OpenDevice.Or(), block: o.BlockSize, fixed: o.PadFinalBlock, cut: comp == archive.None || comp == ""}, nil
	}
	if o.VolumeSize <= 0 {
		return nil, nil
	}
	switch {
	case comp != archive.None && comp != "":
		return nil, errors.New("--volume-size cannot be combined with --compression: a volume is cut between entries of the uncompressed stream")
	case o.Dest == medium.Stdio:
		return nil, errors.New("--volume-size writes numbered files; DEST must be a file name, not standard output")
	}
	if fi, err := os.Stat(o.Dest); err == nil && !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("--volume-size writes numbered files next to DEST; %s is not a regular file", o.Dest)
	}
	fv := &fileVolumes{dest: o.Dest, size: o.VolumeSize, block: o.BlockSize, padded: o.PadFinalBlock, force: o.Force, reserve: &atomic.Int64{}}
	if block := fv.writeBlock(); o.VolumeSize < int64(4*block)+64<<10 {
		return nil, fmt.Errorf("--volume-size %d is too small: a volume needs room for several writes of %d bytes and its index (at least %d bytes)", o.VolumeSize, block, 4*block+64<<10)
	}
	return fv, nil
}

// serializeVolumes writes the transfer as volumes, each a complete archive,
// starting the next when a medium is full. Every complete volume is kept
// and reported through env.Medium, also when a later one fails. started is
// set once the first medium was opened.
func serializeVolumes(ctx context.Context, env Env, plan *serialPlan, o SerializeOptions, target volumeTarget, ledgerFile *os.File, res *SerializeResult) (started bool, err error) {
	base := archive.NewIndex(plan.root, plan.tag, env.Version, plan.gatherAnn)
	var rate func() string
	if target.isTape() {
		rate = driveRate(o.Dest)
	}
	var ledgerBase, bytesBefore int64
	var reserve *atomic.Int64
	if fv, ok := target.(*fileVolumes); ok {
		reserve = fv.reserve
	}
	comp, _ := archive.ParseCompression(o.Compression)
	next := 0 // the first item of the plan not on a medium yet
	for n := 1; ; n++ {
		dev, err := target.open(ctx, env, n, res.SyncID)
		if err != nil {
			if n == 1 {
				return false, fmt.Errorf("destination: %w", err)
			}
			return true, fmt.Errorf("%w; volumes 1 to %d are complete and kept", err, n-1)
		}
		started = true
		items := plan.items[next:]
		minDone := 0
		if n > 1 && len(plan.items) > 0 && plan.items[0].desc.Digest == plan.root.Digest {
			// Every volume carries the gather index, so each reads on its own.
			items = append([]*serialItem{plan.items[0]}, items...)
			minDone = 1
		}
		vo := o
		vo.BlockSize = target.writeBlock()
		if reserve != nil {
			b, _ := base.Final(nil).Bytes()
			reserve.Store(int64(vo.BlockSize) + 4096 + int64(len(b)))
		}
		// The first copy cannot know whether this volume is the last: the
		// final copy says so (vnd.ferry.volume.last).
		first := base.With(archive.VolumeAnnotations(res.SyncID, n, false))
		delete(first.Annotations, archive.AnnotationVolumeLast)
		var ledger *archive.Ledger
		if ledgerFile != nil {
			ledger = archive.NewLedger(ledgerFile) // lines of a cut entry die with this volume's ledger
		}
		cw := &cutWriter{dev: dev, block: int64(vo.BlockSize)}
		job := volumeJob{vol: volume{number: n, syncID: res.SyncID}, items: items, w: cw, cw: cw, cutting: target.canCut(), tape: target.isTape(),
			first: first, comp: comp, ledger: ledger, ledgerBase: ledgerBase, bytesBefore: bytesBefore, itemsBefore: next,
			minDone: minDone, pad: target.pad(), reserve: reserve}
		job.rate = rate
		st, werr := writeVolume(ctx, env, plan, job, vo)
		if werr == nil && ledger != nil {
			werr = ledger.Err()
		}
		if werr != nil {
			keep := st.confirmedBlobs > 0 && (ledgerFile != nil || env.Checkpoint != nil)
			if aerr := dev.abort(keep); aerr != nil {
				env.logf("ending the partial volume %d on %s: %v", n, dev.name(), aerr)
			}
			if _, ok := dev.(*fileVolume); ok && keep {
				res.PartialKept = true
				env.logf("kept the partial %s (%d blobs confirmed); it has no final index.json, so it never reads as complete; resume to write the rest", dev.name(), st.confirmedBlobs)
			}
			if n > 1 {
				werr = fmt.Errorf("%w; volumes 1 to %d are complete and kept", werr, n-1)
			}
			return true, werr
		}
		last := !st.cut
		if err := dev.finish(!last); err != nil {
			return true, fmt.Errorf("ending volume %d on %s: %w", n, dev.name(), err)
		}
		done := st.done
		if last {
			done = len(items)
		}
		res.Blobs += done
		res.Bytes += st.bytes
		res.StreamBytes += st.mediumBytes
		res.MediumBytes += st.mediumBytes
		rec := MediumRecord{Label: volumeLabel(plan.tag, dev.name(), n, target.isTape()), Device: dev.name(), SyncID: res.SyncID, Volume: n, Last: last, Bytes: st.mediumBytes}
		res.Volumes = append(res.Volumes, rec)
		env.medium(rec)
		if last {
			return true, nil
		}
		next += done - minDone
		ledgerBase += st.mediumBytes
		bytesBefore += st.bytes
	}
}

func volumeLabel(tag, name string, n int, isTape bool) string {
	if isTape {
		return fmt.Sprintf("%s volume %d", tag, n)
	}
	return filepath.Base(name)
}

// driveRate returns the drive's write rate for progress lines, e.g.
// "drive 151.0 MiB/s" (binary units, as everywhere else): a tape.Meter reads the drive's sysfs counters as
// progress is reported, at most once a second. It is nil when the drive is
// not in sysfs (a simulator, an unusual node).
func driveRate(path string, opts ...tape.MeterOption) func() string {
	m, err := tape.DrivesFromEnv().Meter(path, opts...)
	if err != nil {
		return nil
	}
	return func() string {
		r, err := m.Sample()
		if err != nil || r.WriteMBps <= 0 {
			return ""
		}
		return "drive " + progress.HumanBytes(int64(r.WriteMBps*1e6)) + "/s"
	}
}

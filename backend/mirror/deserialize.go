package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"ferry/backend/archive"
	"ferry/backend/refs"
)

// DeserializeOptions are the options of `ferry mirror deserialize`.
type DeserializeOptions struct {
	// Source is the medium: a file, a FIFO, "-" or a tape device.
	Source string `json:"source"`
	// Dest is repository:tag in a registry, or, with DestLayout, the tag in
	// that local OCI layout; the root (the gather index) is tagged with it.
	Dest string `json:"dest"`
	// DestLayout is the directory of a local OCI layout to write into
	// instead of a registry (unarchive uses the local store).
	DestLayout string `json:"destLayout,omitempty"`
	// Strict enforces the reference's entry order.
	Strict bool `json:"strict,omitempty"`
	// DryRun reads and verifies everything and pushes nothing.
	DryRun bool `json:"dryRun,omitempty"`
	// BlockSize is the first read size on a tape (default 1 MiB, grown as
	// needed) or the read size on other devices.
	BlockSize int `json:"blockSize,omitempty"`
	// Volumes are the media after Source, in order, when a transfer spans
	// several volumes (FORMAT.md section 7). Volumes not given are found
	// by name (sync-45.002.tar after sync-45.001.tar) or, on a tape drive,
	// asked for through Env.NextMedium, until the volume marked last.
	Volumes []string `json:"volumes,omitempty"`
	// OpenDevice opens a tape drive for reading; nil uses tape.Open for
	// character devices. Tests pass a Simulator's Open.
	OpenDevice OpenDeviceFunc `json:"-"`
	// CheckpointFile receives a checkpoint ledger of the blobs received
	// (checkpointfile.go); Force lets it replace an existing file, and
	// ContinueCheckpoint (a resumed run) adds to it.
	CheckpointFile     string `json:"checkpointFile,omitempty"`
	Force              bool   `json:"force,omitempty"`
	ContinueCheckpoint bool   `json:"-"`
}

// DeserializeResult says what a deserialize run read and pushed.
type DeserializeResult struct {
	Root v1.Descriptor `json:"root"`
	Tag  string        `json:"tag"`
	// Complete is set when the whole transfer is in the target and tagged.
	Complete bool   `json:"complete"`
	SyncID   string `json:"syncId,omitempty"`
	Volume   string `json:"volume,omitempty"` // the number of the last volume read
	// Volumes lists the media read, in order.
	Volumes []MediumRecord `json:"volumes,omitempty"`
	// Blobs counts blobs received and verified (manifests included); Bytes
	// their size. Pushed and Present split them into sent to the target and
	// found there already.
	Blobs     int   `json:"blobs"`
	Bytes     int64 `json:"bytes"`
	Pushed    int   `json:"pushed"`
	Present   int   `json:"present"`
	Manifests int   `json:"manifests"` // manifests pushed (or, dry run, pushable)
	// Missing lists what the target still lacks to hold the whole transfer.
	Missing []v1.Descriptor `json:"missing,omitempty"`
	// Rejected lists blobs whose content did not match their name.
	Rejected []string `json:"rejected,omitempty"`
}

// IncompleteError is returned when a medium did not hold a whole transfer:
// it was cut short, ends before its final index.json, or lacks blobs. What
// was received is in the target; reading the rest into the same repository
// completes it.
type IncompleteError struct {
	// Cause is why reading stopped early, if it did.
	Cause error
	// NoFinalIndex is set when the stream ended before its final index.json.
	NoFinalIndex bool
	Missing      []v1.Descriptor
	Rejected     []string
}

func (e *IncompleteError) Error() string {
	var parts []string
	switch {
	case e.Cause != nil:
		parts = append(parts, "the medium is incomplete: "+e.Cause.Error())
	case e.NoFinalIndex:
		parts = append(parts, "the medium is incomplete: it ends before its final index.json")
	default:
		parts = append(parts, "the transfer is incomplete")
	}
	if len(e.Rejected) > 0 {
		parts = append(parts, fmt.Sprintf("%d blobs rejected because their content does not match their name: %s", len(e.Rejected), strings.Join(e.Rejected, ", ")))
	}
	if len(e.Missing) == 0 && len(e.Rejected) == 0 && (e.NoFinalIndex || e.Cause != nil) {
		// Nothing it lists is missing, yet it cannot be tagged: what only a
		// final index.json lists (referrers) is unknown.
		parts = append(parts, "everything it lists is in the target, but it lacks its final index.json, which lists the referrers; "+
			"read the medium that completes this transfer (again, if it was read first) to tag it")
	}
	if len(e.Missing) > 0 {
		ds := make([]string, len(e.Missing))
		for i, d := range e.Missing {
			ds[i] = d.Digest.String()
		}
		parts = append(parts, fmt.Sprintf("%d blobs missing: %s", len(e.Missing), strings.Join(ds, ", ")))
	}
	return strings.Join(parts, "; ")
}

func (e *IncompleteError) Unwrap() error { return e.Cause }

// Deserialize reads a medium once and pushes its content into Dest: blobs
// are pushed several at once as they arrive (each verified against its name
// first), manifests as soon as all their children are in the target, and
// the root gather index is tagged at the end. The manifests to push are
// those of every index.json copy on the medium; blobs already in the target
// are not sent again.
//
// A medium cut short, or lacking blobs, keeps everything already pushed and
// returns an *IncompleteError listing what is missing; a later medium (the
// next part, or a resumed archive) read into the same repository completes it.
func Deserialize(ctx context.Context, env Env, o DeserializeOptions) (DeserializeResult, error) {
	var res DeserializeResult
	dst, tag, err := o.target(env)
	if err != nil {
		return res, err
	}
	env, closeLedger, err := withCheckpointFile(env, o)
	if err != nil {
		return res, err
	}
	src := &volumeSource{env: env, paths: append([]string{o.Source}, o.Volumes...), blockSize: o.BlockSize, openDev: o.OpenDevice}
	res, err = deserializeVolumes(ctx, env, src, dst, tag, o)
	if lerr := closeLedger(); err == nil {
		err = lerr
	}
	status, msg := ItemDone, ""
	if err != nil {
		status, msg = ItemFailed, err.Error()
	}
	env.item(Item{Source: o.Source, Destination: o.Dest, Digest: res.Root.Digest.String(), Status: status, Error: msg, Bytes: res.Bytes})
	return res, err
}

func (o DeserializeOptions) target(env Env) (Repo, string, error) {
	if o.DestLayout != "" {
		// An empty tag means the medium's own (see deserializeFrom).
		if o.DryRun {
			return nil, o.Dest, nil
		}
		l, err := OpenLayout(o.DestLayout)
		return l, o.Dest, err
	}
	ref, err := refs.Parse(o.Dest)
	if err != nil {
		return nil, "", fmt.Errorf("destination: %w", err)
	}
	if ref.Tag() == "" || ref.Digest() != "" {
		return nil, "", fmt.Errorf("destination %q must be repository:tag", o.Dest)
	}
	if o.DryRun {
		return nil, ref.Tag(), nil
	}
	return env.repoOf(ref.Name()), ref.Tag(), nil
}

// deserializeVolumes reads the volumes of a transfer in order, as one
// stream of entries, into dst: one volume when the medium carries no
// Ferry volume annotations or is marked last, else each next volume of the
// same sync id until the one marked last.
func deserializeVolumes(ctx context.Context, env Env, src *volumeSource, dst Repo, tag string, o DeserializeOptions) (DeserializeResult, error) {
	var res DeserializeResult
	d := newDeserializer(ctx, env, dst, nil)
	s := d.scan
	var readErr error
	syncID := ""
	read := 0
	for n := 1; ; n++ {
		vol, err := src.open(d.egCtx, n, syncID)
		if err != nil {
			if n == 1 {
				d.eg.Wait()
				return res, err
			}
			var ve *VolumeError
			if !errors.As(err, &ve) {
				err = fmt.Errorf("%w: %w", errMoreVolumes, err)
			}
			readErr = err
			break
		}
		// The content is proven blob by blob (by Ferry, or by the registry
		// it is sent to), not the stream byte for byte: that is verify's
		// (FORMAT.md 7.6), which a deserialize would pay a second hash of
		// every byte for.
		ar, err := archive.NewReader(vol.r, archive.Strict(o.Strict))
		if err != nil {
			vol.close()
			if n == 1 {
				d.eg.Wait()
				return res, err
			}
			readErr = fmt.Errorf("%s: %w", vol.path, err)
			break
		}
		d.useReader(ar, n, vol.ranges)
		s.startVolume() // index.json copies are counted per archive of each volume
		before := ar.Offset()
		readErr = d.readAll(d.egCtx, ar)
		bytesRead := ar.Offset() - before
		ar.Close()
		vol.close()
		read = n
		if readErr != nil {
			break
		}
		ann := s.annots
		if n == 1 {
			syncID = ann[archive.AnnotationSyncID]
		}
		if syncID != "" && !s.finalSeen() {
			// Only a volume's final index.json says whether it is the last
			// one (the first copy cannot know), and only it lists the
			// referrers: a volume cut before it leaves the transfer
			// incomplete, whatever number it has.
			env.logf("volume %d of sync %s (%s) ends before its final index.json: it was cut short; the transfer is incomplete", n, syncID, vol.path)
			rec := MediumRecord{Label: filepath.Base(vol.path), Device: vol.path, SyncID: syncID, Volume: n, Bytes: bytesRead}
			env.medium(rec)
			res.Volumes = append(res.Volumes, rec)
			break
		}
		// A final copy with a sync id but without vnd.ferry.volume.last
		// cannot be taken as the last volume: the next one is asked for.
		last := syncID == "" || ann[archive.AnnotationVolumeLast] == "true"
		env.medium(MediumRecord{Label: filepath.Base(vol.path), Device: vol.path, SyncID: syncID, Volume: n, Last: last, Bytes: bytesRead})
		res.Volumes = append(res.Volumes, MediumRecord{Label: filepath.Base(vol.path), Device: vol.path, SyncID: syncID, Volume: n, Last: last, Bytes: bytesRead})
		if last {
			if n < len(src.paths) {
				readErr = fmt.Errorf("%s follows volume %d, which is marked as the last of sync %s; it was not read", src.paths[n], n, syncID)
			}
			break
		}
		env.logf("read volume %d of sync %s from %s; the transfer continues on volume %d", n, syncID, vol.path, n+1)
		if n >= len(src.paths) {
			src.eject(vol.path) // the next cartridge goes into the same drive
		}
	}
	if waitErr := d.eg.Wait(); waitErr != nil {
		readErr = waitErr // a failed push stops reading; it is the cause
	}
	if tag == "" {
		tag = "latest"
		if s.rootTag != "" && validTag(s.rootTag) {
			tag = s.rootTag
		}
	}
	if s.root != nil {
		res.Root = *s.root
		res.Root.Annotations = nil
		res.Tag = tag
	}
	if s.annots != nil {
		res.SyncID = s.annots[archive.AnnotationSyncID]
		res.Volume = s.annots[archive.AnnotationVolumeNumber]
	}
	if read > 1 {
		res.Volume = strconv.Itoa(read)
	}
	var volErr *VolumeError
	if errors.As(readErr, &volErr) {
		// A wrong medium is not a damaged one: say so plainly.
		d.settle(ctx, true)
		res = d.result(res)
		res.Missing = d.missing()
		return res, fmt.Errorf("%w (everything received before it is in the target)", readErr)
	}
	fatal := readErr != nil && !errors.Is(readErr, archive.ErrTruncated) && !errors.Is(readErr, io.ErrUnexpectedEOF) && !errors.Is(readErr, errMoreVolumes)
	if ctx.Err() != nil {
		return d.result(res), ctx.Err()
	}
	if s.root == nil {
		if readErr != nil && !fatal {
			return d.result(res), &IncompleteError{Cause: readErr, NoFinalIndex: true}
		}
		if readErr != nil {
			return d.result(res), fmt.Errorf("reading %s: %w", src.last, readErr)
		}
		return d.result(res), fmt.Errorf("%s holds no index.json: not a serialized archive", o.Source)
	}

	// Children not on this medium may be in the target already (EXISTING
	// images, an earlier part).
	if err := d.settle(ctx, true); err != nil {
		return d.result(res), err
	}
	if err := d.lookUpListed(ctx); err != nil {
		return d.result(res), err
	}
	res = d.result(res)
	res.Missing = d.missing()
	complete := readErr == nil && s.finalSeen() && len(res.Missing) == 0 && len(d.rejected) == 0
	root := s.manifests[s.root.Digest]
	if root == nil {
		complete = false
	}
	problems := checkMedium(s, res.Rejected)
	if len(problems) > 0 && s.finalSeen() && (readErr == nil || errors.Is(readErr, errMoreVolumes)) {
		return res, fmt.Errorf("%s was not tagged: %w", tag, &VerifyError{Problems: problems})
	}
	if complete && dst != nil {
		if err := dst.PushManifest(ctx, root.desc, root.raw, tag); err != nil {
			return res, fmt.Errorf("tagging %s as %s: %w", root.desc.Digest, tag, err)
		}
	}
	res.Complete = complete
	d.recordEntries(res)
	if fatal {
		return res, fmt.Errorf("reading %s: %w (everything received before it is in the target)", src.last, readErr)
	}
	if !complete {
		ie := &IncompleteError{Missing: res.Missing, Rejected: res.Rejected, NoFinalIndex: !s.finalSeen()}
		if readErr != nil {
			ie.Cause = readErr
		}
		env.logf("%v", ie)
		return res, ie
	}
	env.logf("deserialized %s into %s: %d blobs received, %d pushed, %d already present, %d manifests", describeVolumes(o.Source, read), o.Dest, res.Blobs, res.Pushed, res.Present, res.Manifests)
	return res, nil
}

// errMoreVolumes means the transfer continues on a volume that was not read.
var errMoreVolumes = errors.New("the transfer continues on a volume that was not read")

// describeVolumes names what was read: the medium, or its volume count.
func describeVolumes(source string, n int) string {
	if n > 1 {
		return fmt.Sprintf("%s and %d more volumes", source, n-1)
	}
	return source
}

// validTag reports whether s can be a tag.
func validTag(s string) bool {
	_, err := name.NewTag("example.invalid/x:"+s, name.StrictValidation)
	return err == nil
}

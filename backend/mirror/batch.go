package mirror

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"ferry/backend/config"
	"ferry/backend/refs"
	"ferry/backend/textfile"
)

// The reference's batch files (ace-dt mirror batch-serialize and
// batch-deserialize), by default names and headers, so that a sync
// directory either tool wrote is read by the other.
const (
	DefaultTrackerFile = "record-keeping.csv"
	DefaultSyncFile    = "successful-syncs.csv"
)

var (
	trackerHeader = []string{"sync_name", "artifact", "digest"}
	syncHeader    = []string{"filename", "artifact", "timestamp"}
	// batchArchive is a numbered archive of a sync directory: 000004-ops.tar.
	batchArchive = regexp.MustCompile(`^([0-9]+)-(.+)\.tar$`)
)

// BatchSerializeOptions are the options of `ferry mirror batch-serialize`.
type BatchSerializeOptions struct {
	// BatchList is the CSV file of "name, artifact" rows.
	BatchList string `json:"batchList"`
	// SyncDir receives the numbered archives and the tracker.
	SyncDir string `json:"syncDir"`
	// TrackerFile is the tracker's name inside SyncDir (default record-keeping.csv).
	TrackerFile string `json:"trackerFile,omitempty"`
	// Serialize holds the options every archive is written with
	// (compression, manifest.json, referrers, sizes); Source, Dest and
	// Existing are set per archive.
	Serialize SerializeOptions `json:"serialize"`
}

// BatchEntry is one row of a batch list.
type BatchEntry struct {
	Name     string `json:"name"`
	Artifact string `json:"artifact"`
}

// BatchArchive is one archive a batch wrote, or one artifact it left out
// because the tracker records it as sent.
type BatchArchive struct {
	BatchEntry
	File     string          `json:"file,omitempty"` // the archive's path; empty when skipped
	Digest   string          `json:"digest"`
	Existing []string        `json:"existing,omitempty"`
	Skipped  bool            `json:"skipped,omitempty"`
	Result   SerializeResult `json:"result"`
}

// BatchSerializeResult lists what a batch did, in batch-list order.
type BatchSerializeResult struct {
	Archives []BatchArchive `json:"archives"`
}

// trackerRow is one line of the tracker: an archive and what it holds.
type trackerRow struct {
	file, artifact, digest string
}

// BatchSerialize writes each artifact of the batch list that the tracker
// does not record (same artifact, same digest) to the next numbered
// archive of SyncDir, NNNNNN-NAME.tar, leaving out the blobs of the
// archives the tracker lists under the same name (they crossed before), as
// `ace-dt mirror batch-serialize` does. A name listed more than once is
// sent as its last row. The tracker gets a row as each archive completes,
// so a batch that fails keeps what it finished.
//
// Each archive is one volume of the run: the checkpoints and the medium of
// the Nth archive written are recorded as volume N, so history can tell
// which archive carried a blob.
func BatchSerialize(ctx context.Context, env Env, o BatchSerializeOptions) (BatchSerializeResult, error) {
	var res BatchSerializeResult
	entries, err := ReadBatchList(o.BatchList)
	if err != nil {
		return res, err
	}
	if err := os.MkdirAll(o.SyncDir, 0o755); err != nil {
		return res, fmt.Errorf("sync directory: %w", err)
	}
	tracker := filepath.Join(o.SyncDir, cmp.Or(o.TrackerFile, DefaultTrackerFile))
	rows, err := readTracker(tracker)
	if err != nil {
		return res, err
	}
	// The next number follows every archive the tracker lists and every
	// numbered file in the directory, so no file is ever overwritten.
	names := []string{}
	for _, r := range rows {
		names = append(names, r.file)
	}
	if ents, err := os.ReadDir(o.SyncDir); err == nil {
		for _, e := range ents {
			names = append(names, e.Name())
		}
	}
	next := 1
	for _, name := range names {
		if m := batchArchive.FindStringSubmatch(name); m != nil {
			if n, _ := strconv.Atoi(m[1]); n >= next {
				next = n + 1
			}
		}
	}
	written := 0
	for _, e := range entries {
		a := BatchArchive{BatchEntry: e}
		src, id, err := (SerializeOptions{Source: e.Artifact}).sourceRepo(env)
		if err != nil {
			return res, fmt.Errorf("batch list: %s: %w", e.Name, err)
		}
		desc, _, err := src.Resolve(ctx, id)
		if err != nil {
			return res, fmt.Errorf("resolving %s (%s): %w", e.Artifact, e.Name, err)
		}
		a.Digest = desc.Digest.String()
		for _, r := range rows {
			if nameOfArchive(r.file) != e.Name {
				continue
			}
			if r.artifact == e.Artifact && r.digest == a.Digest {
				a.Skipped, a.File = true, filepath.Join(o.SyncDir, r.file)
			}
			a.Existing = append(a.Existing, pinned(r.artifact, r.digest))
		}
		if a.Skipped {
			env.logf("%s (%s) is in %s as %s: not sent again", e.Artifact, e.Name, filepath.Base(tracker), filepath.Base(a.File))
			env.item(Item{Source: e.Artifact, Destination: a.File, Digest: a.Digest, Status: ItemSkipped})
			a.Existing = nil
			res.Archives = append(res.Archives, a)
			continue
		}
		file := fmt.Sprintf("%06d-%s.tar", next, e.Name)
		a.File = filepath.Join(o.SyncDir, file)
		so := o.Serialize
		so.Source, so.Dest, so.Existing = e.Artifact, a.File, a.Existing
		written++
		a.Result, err = Serialize(ctx, env.asVolume(written), so)
		res.Archives = append(res.Archives, a)
		if err != nil {
			// A batch is not resumed: running it again writes the archive
			// anew, so a partial one would only stand in the way of
			// batch-deserialize.
			os.Remove(a.File)
			return res, fmt.Errorf("%s (%s) to %s: %w; the tracker keeps the archives finished before it: run the batch again", e.Artifact, e.Name, file, err)
		}
		rows = append(rows, trackerRow{file: file, artifact: e.Artifact, digest: a.Digest})
		if err := writeCSV(tracker, trackerHeader, rows, func(r trackerRow) []string { return []string{r.file, r.artifact, r.digest} }); err != nil {
			return res, fmt.Errorf("%s is written but the tracker is not: %w", file, err)
		}
		next++
	}
	return res, nil
}

// pinned names what an archive held by digest, so a tag moved since does
// not change what counts as sent.
func pinned(artifact, digest string) string {
	if digest == "" {
		return artifact
	}
	ref, err := refs.Parse(artifact)
	if err != nil {
		return artifact
	}
	return ref.Name().Context().String() + "@" + digest
}

// asVolume records what one archive of a batch writes as volume n of the run.
func (e Env) asVolume(n int) Env {
	if cp := e.Checkpoint; cp != nil {
		e.Checkpoint = func(c Checkpoint) { c.Volume = n; cp(c) }
	}
	if m := e.Medium; m != nil {
		e.Medium = func(r MediumRecord) { r.Volume = n; m(r) }
	}
	return e
}

// nameOfArchive is the artifact name of a numbered archive ("ops" for
// 000004-ops.tar); "" for another file.
func nameOfArchive(file string) string {
	if m := batchArchive.FindStringSubmatch(file); m != nil {
		return m[2]
	}
	return ""
}

// ReadBatchList reads a batch list: "name, artifact" rows after an
// optional header of those words. A name given twice keeps its last
// artifact, at the place of its first row.
func ReadBatchList(path string) ([]BatchEntry, error) {
	recs, err := readCSV(path)
	if err != nil {
		return nil, fmt.Errorf("batch list: %w", err)
	}
	if len(recs) > 0 && strings.EqualFold(recs[0][0], "name") {
		recs = recs[1:]
	}
	var out []BatchEntry
	at := map[string]int{}
	for i, r := range recs {
		if len(r) != 2 || r[0] == "" || r[1] == "" {
			return nil, fmt.Errorf("batch list %s: row %d: want two columns, name and artifact, got %q", path, i+1, r)
		}
		if !validTag(r[0]) {
			return nil, fmt.Errorf("batch list %s: row %d: the name %q must be usable as a tag (letters, digits, '.', '_', '-'; at most 128)", path, i+1, r[0])
		}
		if _, err := refs.Parse(r[1]); err != nil {
			return nil, fmt.Errorf("batch list %s: row %d: %w", path, i+1, err)
		}
		e := BatchEntry{Name: r[0], Artifact: r[1]}
		if j, ok := at[e.Name]; ok {
			out[j] = e
			continue
		}
		at[e.Name] = len(out)
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("batch list %s lists no artifact (rows of name, artifact)", path)
	}
	return out, nil
}

func readTracker(path string) ([]trackerRow, error) {
	recs, err := readRecords(path, "tracker", trackerHeader)
	var out []trackerRow
	for i, r := range recs {
		if len(r) < 3 {
			return nil, fmt.Errorf("tracker %s: row %d: want sync_name, artifact, digest, got %q", path, i+1, r)
		}
		out = append(out, trackerRow{file: r[0], artifact: r[1], digest: r[2]})
	}
	return out, err
}

// readRecords reads one of the batch verbs' CSV records without its
// header; a file not there yet has no rows.
func readRecords(path, what string, header []string) ([][]string, error) {
	recs, err := readCSV(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if len(recs) > 0 && strings.EqualFold(recs[0][0], header[0]) {
		recs = recs[1:]
	}
	return recs, nil
}

// readCSV reads a small CSV file as the operator's text files are read
// (textfile: a regular file, a byte order mark dropped, UTF-16 refused),
// one line at a time; blank lines and "#" comments are skipped.
func readCSV(path string) ([][]string, error) {
	data, err := textfile.Read(path, textfile.Limit)
	if err != nil {
		return nil, err
	}
	text, err := textfile.Clean(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	lines := textfile.NewCSVLines()
	var out [][]string
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		rec, _, err := lines.Fields(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, i+1, err)
		}
		for j := range rec {
			rec[j] = strings.TrimSpace(rec[j])
		}
		out = append(out, rec)
	}
	return out, nil
}

// writeCSV replaces a CSV file in one step: header, then rows.
func writeCSV[T any](path string, header []string, rows []T, cells func(T) []string) error {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write(header)
	for _, r := range rows {
		w.Write(cells(r))
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return config.WriteFile(path, []byte(b.String()), 0o644)
}

// BatchDeserializeOptions are the options of `ferry mirror batch-deserialize`.
type BatchDeserializeOptions struct {
	// SyncDir holds the numbered archives.
	SyncDir string `json:"syncDir"`
	// Dest is a repository without a tag; each archive is tagged with its name.
	Dest string `json:"dest"`
	// SyncFile is the record of archives read, inside SyncDir (default successful-syncs.csv).
	SyncFile string `json:"syncFile,omitempty"`
	// Strict and BlockSize are as for deserialize.
	Strict    bool `json:"strict,omitempty"`
	BlockSize int  `json:"blockSize,omitempty"`
}

// BatchDeserialized is one archive a batch read, or left as read before.
type BatchDeserialized struct {
	File    string            `json:"file"`
	Dest    string            `json:"dest"`
	Skipped bool              `json:"skipped,omitempty"`
	Result  DeserializeResult `json:"result"`
}

// BatchDeserializeResult lists the archives in number order.
type BatchDeserializeResult struct {
	Archives []BatchDeserialized `json:"archives"`
}

type syncRow struct{ file, artifact, timestamp string }

// BatchDeserialize reads every numbered archive of SyncDir that the sync
// file does not list, in number order, into Dest tagged with the archive's
// name (000004-ops.tar to DEST:ops), and adds a row to the sync file for
// each one that completes, as `ace-dt mirror batch-deserialize` does. The
// first archive that fails ends the batch: a later one may need its blobs.
func BatchDeserialize(ctx context.Context, env Env, o BatchDeserializeOptions) (BatchDeserializeResult, error) {
	var res BatchDeserializeResult
	repo, err := refs.Parse(o.Dest)
	if err != nil {
		return res, fmt.Errorf("destination: %w", err)
	}
	if repo.Tag() != "" || repo.Digest() != "" {
		return res, fmt.Errorf("destination %s: give a repository without a tag; each archive is tagged with its name", o.Dest)
	}
	ents, err := os.ReadDir(o.SyncDir)
	if err != nil {
		return res, fmt.Errorf("sync directory: %w", err)
	}
	type numbered struct {
		n    int
		file string
	}
	var files []numbered
	for _, e := range ents {
		if m := batchArchive.FindStringSubmatch(e.Name()); m != nil && e.Type().IsRegular() {
			n, _ := strconv.Atoi(m[1])
			files = append(files, numbered{n, e.Name()})
		}
	}
	if len(files) == 0 {
		return res, fmt.Errorf("sync directory %s holds no numbered archive (NNNNNN-NAME.tar)", o.SyncDir)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].n < files[j].n })
	syncPath := filepath.Join(o.SyncDir, cmp.Or(o.SyncFile, DefaultSyncFile))
	rows, err := readSyncFile(syncPath)
	if err != nil {
		return res, err
	}
	done := map[string]bool{}
	for _, r := range rows {
		done[r.file] = true
	}
	written := 0
	for _, f := range files {
		d := BatchDeserialized{File: filepath.Join(o.SyncDir, f.file), Dest: o.Dest + ":" + nameOfArchive(f.file)}
		if done[f.file] {
			d.Skipped = true
			env.item(Item{Source: d.File, Destination: d.Dest, Status: ItemSkipped})
			res.Archives = append(res.Archives, d)
			continue
		}
		written++
		d.Result, err = Deserialize(ctx, env.asVolume(written), DeserializeOptions{Source: d.File, Dest: d.Dest, Strict: o.Strict, BlockSize: o.BlockSize})
		res.Archives = append(res.Archives, d)
		if err != nil {
			return res, fmt.Errorf("%s: %w", f.file, err)
		}
		// The reference writes the time as Go prints it; so does Ferry.
		rows = append(rows, syncRow{file: f.file, artifact: d.Dest, timestamp: time.Now().String()})
		if err := writeCSV(syncPath, syncHeader, rows, func(r syncRow) []string { return []string{r.file, r.artifact, r.timestamp} }); err != nil {
			return res, fmt.Errorf("%s is read but the sync file is not written: %w", f.file, err)
		}
	}
	return res, nil
}

func readSyncFile(path string) ([]syncRow, error) {
	recs, err := readRecords(path, "sync file", syncHeader)
	var out []syncRow
	for _, r := range recs {
		r = append(r, "", "")
		out = append(out, syncRow{file: r[0], artifact: r[1], timestamp: r[2]})
	}
	return out, err
}

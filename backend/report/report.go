// Package report renders a run as a printable transfer report: an HTML
// page, with print styles, naming the tool and its version, the operator
// and host, the media and volumes with each stream's SHA-256, and every
// image with its digest and destination. It also signs report files with
// the site key and checks them (Verify).
package report

import (
	"archive/tar"
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"os"
	"time"

	"ferry/backend/archive"
	"ferry/backend/progress"
	"ferry/backend/store"
	"ferry/backend/version"
)

//go:embed transfer.html.tmpl
var templates embed.FS

var page = template.Must(template.New("transfer.html.tmpl").Funcs(template.FuncMap{
	"bytes": progress.HumanBytes,
	"time": func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
}).ParseFS(templates, "transfer.html.tmpl"))

// Transfer is everything a printable report shows of one run.
type Transfer struct {
	Run    store.RunDetail `json:"run"`
	Origin store.Origin    `json:"origin"`
	// Volumes are the run's media, each with the SHA-256 its stream
	// carries when the medium is at hand.
	Volumes []Volume `json:"volumes"`
	// ReportVersion is the Ferry that made the report; Origin.Version the
	// one that ran the transfer.
	ReportVersion string    `json:"reportVersion"`
	Generated     time.Time `json:"generated"`
}

// Volume is one medium of the run.
type Volume struct {
	store.Medium
	// StreamSHA256 is the stream digest the medium's final index.json
	// records (vnd.ferry.stream.sha256); StreamNote says why it is absent.
	StreamSHA256 string `json:"streamSha256,omitempty"`
	StreamNote   string `json:"streamNote,omitempty"`
}

// Collect reads what the report of run id shows.
func Collect(st *store.Store, id string) (Transfer, error) {
	d, err := st.GetRunDetail(id)
	if err != nil {
		return Transfer{}, err
	}
	o, err := st.RunOrigin(id)
	if err != nil {
		return Transfer{}, err
	}
	t := Transfer{Run: d, Origin: o, ReportVersion: version.Version, Generated: time.Now().UTC()}
	for _, m := range d.Media {
		v := Volume{Medium: m}
		v.StreamSHA256, v.StreamNote = StreamDigest(m.Device)
		t.Volumes = append(t.Volumes, v)
	}
	return t, nil
}

// Name is a file name for the report.
func (t Transfer) Name(ext string) string {
	return fmt.Sprintf("ferry-%s-%s-%s.%s", t.Run.Kind, t.Run.StartedAt.UTC().Format("20060102-150405"), t.Run.ID[:min(8, len(t.Run.ID))], ext)
}

// HTML renders the printable report.
func (t Transfer) HTML() (string, error) {
	var b bytes.Buffer
	if err := page.Execute(&b, t); err != nil {
		return "", fmt.Errorf("printable report: %w", err)
	}
	return b.String(), nil
}

// StreamDigest reads the stream SHA-256 a medium's last index.json
// records. Only an uncompressed file still at hand is read, quickly: tar
// skips the blobs by seeking. Otherwise note says why there is none.
func StreamDigest(path string) (sum, note string) {
	fi, err := os.Stat(path)
	switch {
	case err != nil:
		return "", "the medium is not at hand here"
	case !fi.Mode().IsRegular():
		return "", "a device or pipe: read back with ferry mirror verify"
	}
	f, err := os.Open(path)
	if err != nil {
		return "", "the medium cannot be read: " + err.Error()
	}
	defer f.Close()
	var magic [4]byte
	if _, err := io.ReadFull(f, magic[:]); err != nil {
		return "", "the medium is empty or cut short"
	}
	if bytes.HasPrefix(magic[:], []byte{0x1f, 0x8b}) || bytes.Equal(magic[:], []byte{0x28, 0xb5, 0x2f, 0xfd}) {
		return "", "compressed medium: ferry mirror verify checks its stream"
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", err.Error()
	}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", "the medium is not a complete archive: " + err.Error()
		}
		if h.Name != archive.IndexFile && h.Name != "./"+archive.IndexFile {
			continue
		}
		var idx struct {
			Annotations map[string]string `json:"annotations"`
		}
		if err := json.NewDecoder(io.LimitReader(tr, 64<<20)).Decode(&idx); err == nil && idx.Annotations[archive.AnnotationStreamSHA256] != "" {
			sum = idx.Annotations[archive.AnnotationStreamSHA256]
		}
	}
	if sum == "" {
		return "", "the medium records no stream digest (not written by Ferry, or incomplete)"
	}
	return sum, ""
}

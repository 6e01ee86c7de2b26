package ops

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Request is one operation as an operator asks for it: every option of
// every operation, each field named as its CLI flag or argument. Sizes are
// kept as typed ("1Mi", "4.7G") and read by config.ParseSize in Build.
//
// The ops tag lists the kinds that take a field; a field set for a kind
// that does not take it is refused by Build (Validate), so nothing the
// operator chose is dropped on the way.
type Request struct {
	Kind Kind `json:"kind" ops:"*"`

	// SourcesFile is SOURCES-FILE; SourcesText is the list itself, as the
	// window's Sources page holds it (kept as a file when the job starts,
	// so the command line names a real file). One or the other.
	SourcesFile string   `json:"sourcesFile,omitempty" ops:"gather,archive,clone"`
	SourcesText string   `json:"sourcesText" ops:"gather,archive,clone"`
	Selectors   []string `json:"selectors" ops:"gather,archive,clone,scatter,unarchive" flag:"selector"` // -l
	// Image is the repository:tag operated on: gather's IMAGE, serialize's
	// and scatter's gather index, deserialize's destination, diff's
	// MIRROR-ARTIFACT.
	// For batch-deserialize, the DESTINATION repository (no tag).
	Image string `json:"image" ops:"gather,serialize,deserialize,scatter,diff,batch-deserialize"`
	// Path is the medium: serialize's and archive's DEST, deserialize's,
	// unarchive's and verify's SOURCE (a file, FIFO, "-" or tape device);
	// for resume, the NEW-DEST; for the batch verbs, the SYNC-DIRECTORY.
	Path     string   `json:"path" ops:"serialize,archive,deserialize,unarchive,verify,resume,batch-serialize,batch-deserialize"`
	Volumes  []string `json:"volumes,omitempty" ops:"deserialize,verify"` // MORE-VOLUMES after Path
	Existing []string `json:"existing" ops:"serialize,archive,diff"`      // EXISTING-IMAGE...
	// Mapper is MAPPER (TYPE=ARG); MapperKind and MapperRules are the rules
	// typed in the window's Mapping editor (kept as a file when the job
	// starts). One or the other.
	Mapper      string `json:"mapper" ops:"scatter,clone,unarchive"`
	MapperKind  string `json:"mapperKind" ops:"scatter,clone,unarchive"`
	MapperRules string `json:"mapperRules" ops:"scatter,clone,unarchive"`
	Subset      string `json:"subset,omitempty" ops:"scatter,unarchive" flag:"subset"` // --subset SOURCES-FILE
	// BatchList is batch-serialize's BATCH-LIST (CSV of name, artifact);
	// TrackerFile and SyncFile name the batch verbs' CSV records.
	BatchList   string `json:"batchList,omitempty" ops:"batch-serialize"`
	TrackerFile string `json:"trackerFile,omitempty" ops:"batch-serialize" flag:"tracker-filename"`
	SyncFile    string `json:"syncFile,omitempty" ops:"batch-deserialize" flag:"sync-filename"`

	Annotations            map[string]string `json:"annotations" ops:"gather,archive" flag:"annotations"`
	Platforms              []string          `json:"platforms" ops:"gather,archive,clone" flag:"platforms"`
	IndexFallback          bool              `json:"indexFallback" ops:"gather,archive" flag:"index-fallback"`
	Referrers              bool              `json:"referrers" ops:"gather,serialize,archive,scatter,clone,unarchive,batch-serialize" flag:"recursive"` // -r
	Check                  bool              `json:"check" ops:"scatter,clone,unarchive" flag:"check"`
	Continue               bool              `json:"continue" ops:"scatter,clone,unarchive" flag:"continue"`
	Strict                 bool              `json:"strict" ops:"deserialize,unarchive,verify,batch-deserialize" flag:"strict"`
	DryRun                 bool              `json:"dryRun" ops:"deserialize" flag:"dry-run"`
	AllowMissing           bool              `json:"allowMissing,omitempty" ops:"verify" flag:"allow-missing"`
	Expand                 bool              `json:"expand,omitempty" ops:"diff" flag:"expand"`
	Outputs                []string          `json:"outputs,omitempty" ops:"diff" flag:"output"` // -o TYPE[=FILE]
	Force                  bool              `json:"force" ops:"serialize,archive,deserialize,resume" flag:"force"`
	Compression            string            `json:"compression" ops:"serialize,archive,batch-serialize" flag:"compression"`
	ManifestJSON           bool              `json:"manifestJson,omitempty" ops:"serialize,archive,batch-serialize" flag:"manifest-json"`
	PadFinalBlock          bool              `json:"padFinalBlock,omitempty" ops:"serialize,archive" flag:"pad-final-block"`
	BlockSize              string            `json:"blockSize" ops:"serialize,archive,deserialize,unarchive,verify,resume,batch-serialize,batch-deserialize" flag:"block-size"`
	BufferSize             string            `json:"bufferSize" ops:"serialize,archive,resume,batch-serialize" flag:"buffer-size"`
	VolumeSize             string            `json:"volumeSize" ops:"serialize,archive,resume" flag:"volume-size"`
	HWM                    int               `json:"hwm" ops:"serialize,archive" flag:"hwm"`
	Checkpoint             string            `json:"checkpoint" ops:"serialize,archive,deserialize,resume" flag:"checkpoint"`
	ExistingFromCheckpoint []string          `json:"existingFromCheckpoint,omitempty" ops:"serialize,archive" flag:"existing-from-checkpoint"`
	// SinceReceipt, SinceRun and IncludeUnconfirmed make a serialize
	// incremental (since.go).
	SinceReceipt       string `json:"sinceReceipt,omitempty" ops:"serialize" flag:"since-receipt"`
	SinceRun           string `json:"sinceRun,omitempty" ops:"serialize" flag:"since-run"`
	IncludeUnconfirmed bool   `json:"includeUnconfirmed,omitempty" ops:"serialize" flag:"include-unconfirmed"`
	Reference          string `json:"reference,omitempty" ops:"archive,unarchive" flag:"reference"`
	StoreDir           string `json:"storeDir,omitempty" ops:"archive,unarchive" flag:"store"` // --store

	// Run is the recorded run a resume or re-run continues.
	Run string `json:"run,omitempty" ops:"resume,rerun"`
}

// Fields lists the Request fields (Go names) kind k takes, Kind first.
func Fields(k Kind) []string {
	return taken(k, func(f reflect.StructField) string { return f.Name })
}

// Keys lists the JSON keys of the fields kind k takes, Kind first: the
// options a form shows for the operation.
func Keys(k Kind) []string {
	return taken(k, func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		return name
	})
}

func taken(k Kind, name func(reflect.StructField) string) []string {
	var out []string
	t := reflect.TypeOf(Request{})
	for i := range t.NumField() {
		if takes(t.Field(i), k) {
			out = append(out, name(t.Field(i)))
		}
	}
	return out
}

func takes(f reflect.StructField, k Kind) bool {
	tag := f.Tag.Get("ops")
	return tag == "*" || slices.Contains(strings.Split(tag, ","), string(k))
}

// Validate refuses a request that sets a field its kind does not take.
func (r Request) Validate() error {
	if _, err := ParseKind(string(r.Kind)); err != nil {
		return err
	}
	var extra []string
	v, t := reflect.ValueOf(r), reflect.TypeOf(r)
	for i := range t.NumField() {
		if !v.Field(i).IsZero() && !takes(t.Field(i), r.Kind) {
			extra = append(extra, flagName(t.Field(i)))
		}
	}
	if len(extra) > 0 {
		return fmt.Errorf("%s does not take %s", r.Kind, strings.Join(extra, ", "))
	}
	return nil
}

// Trim clears the fields kind k does not take. A form that keeps values
// for every operation (block and buffer sizes from the preferences) sends
// them all; Trim keeps only what the chosen operation reads.
func (r Request) Trim() Request {
	v, t := reflect.ValueOf(&r).Elem(), reflect.TypeOf(r)
	for i := range t.NumField() {
		if !takes(t.Field(i), r.Kind) {
			v.Field(i).SetZero()
		}
	}
	return r
}

// flagName is how an error names a field: as its flag, else its JSON key.
func flagName(f reflect.StructField) string {
	if flag := f.Tag.Get("flag"); flag != "" {
		return "--" + flag
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

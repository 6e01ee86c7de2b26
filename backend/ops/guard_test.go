package ops

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"ferry/backend/config"
	"ferry/backend/mirror"
	"ferry/backend/store"
)

// fieldValues gives every Request field two different valid values, so
// the guard test can tell whether a field reaches the options. A new
// Request field without an entry here fails the test: decide its values.
func fieldValues(t *testing.T, dir string) map[string][2]any {
	t.Helper()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	srcs := [2]string{"reg.example/a:1,team=x\nreg.example/b:1,team=y\n", "reg.example/c:1,team=x\nreg.example/d:1,team=y\n"}
	return map[string][2]any{
		"SourcesFile":            {write("s1.list", srcs[0]), write("s2.list", srcs[1])},
		"SourcesText":            {srcs[0], srcs[1]},
		"Selectors":              {[]string{"team in (x,y)"}, []string{"team=x"}},
		"Image":                  {"reg.example/t:1", "reg.example/t:2"},
		"Path":                   {filepath.Join(dir, "out.tar"), filepath.Join(dir, "out2.tar")},
		"Volumes":                {[]string{"v2.tar"}, []string{"v3.tar"}},
		"Existing":               {[]string{"reg.example/old:1"}, []string{"reg.example/old:2"}},
		"Mapper":                 {"nest=reg.example/m", "nest=reg.example/n"},
		"MapperKind":             {"first-prefix", "all-prefix"},
		"MapperRules":            {"reg.example,reg.example/m\n", "reg.example,reg.example/n\n"},
		"Subset":                 {write("sub1.list", "reg.example/a:1\n"), write("sub2.list", "reg.example/b:1\n")},
		"Annotations":            {map[string]string{"k": "v"}, map[string]string{"k": "w"}},
		"Platforms":              {[]string{"linux/amd64"}, []string{"linux/arm64"}},
		"IndexFallback":          {true, false},
		"Referrers":              {true, false},
		"Check":                  {true, false},
		"Continue":               {true, false},
		"Strict":                 {true, false},
		"DryRun":                 {true, false},
		"AllowMissing":           {true, false},
		"Expand":                 {true, false},
		"Outputs":                {[]string{"json"}, []string{"csv=" + filepath.Join(dir, "d.csv")}},
		"Force":                  {true, false},
		"Compression":            {"zstd", "gzip"},
		"ManifestJSON":           {true, false},
		"PadFinalBlock":          {true, false},
		"BlockSize":              {"64Ki", "128Ki"},
		"BufferSize":             {"1Mi", "2Mi"},
		"VolumeSize":             {"1Gi", "2Gi"},
		"HWM":                    {50, 60},
		"Checkpoint":             {filepath.Join(dir, "ledger.txt"), filepath.Join(dir, "ledger2.txt")},
		"ExistingFromCheckpoint": {[]string{"l.txt:1"}, []string{"l.txt:2"}},
		"SinceReceipt":           {"high-a", "high-b"},
		"SinceRun":               {"run-1", "run-2"},
		"IncludeUnconfirmed":     {true, false},
		"Reference":              {"sync-1", "sync-2"},
		"StoreDir":               {filepath.Join(dir, "store"), filepath.Join(dir, "store2")},
		"Run":                    {"run-1", "run-2"},
		"BatchList":              {write("b1.csv", "name, artifact\ntools, reg.example/t:1\n"), write("b2.csv", "ops, reg.example/o:1\n")},
		"TrackerFile":            {"tracker-1.csv", "tracker-2.csv"},
		"SyncFile":               {"syncs-1.csv", "syncs-2.csv"},
	}
}

// alternatives are fields that give the same input two ways; a request
// uses one of each pair.
var alternatives = [][2][]string{
	{{"SourcesFile"}, {"SourcesText"}},
	{{"Mapper"}, {"MapperKind", "MapperRules"}},
}

// full returns a request of kind k with every field it takes set to its
// first value, using the first or second of each alternative.
func full(t *testing.T, k Kind, vals map[string][2]any, second bool) Request {
	t.Helper()
	r := Request{Kind: k}
	v := reflect.ValueOf(&r).Elem()
	skip := map[string]bool{}
	for _, alt := range alternatives {
		for _, name := range alt[map[bool]int{false: 1, true: 0}[second]] {
			skip[name] = true
		}
	}
	for _, name := range Fields(k) {
		if name == "Kind" || skip[name] {
			continue
		}
		val, ok := vals[name]
		if !ok {
			t.Fatalf("no test values for Request.%s: add them to fieldValues", name)
		}
		v.FieldByName(name).Set(reflect.ValueOf(val[0]))
	}
	return r
}

// unset lists, per kind, the option fields a request cannot set, because
// the operation itself or a resume fills them.
var unset = map[Kind][]string{
	Serialize: {"SourceLayout", "Tag", "Delivered", "Resume", "OpenDevice"},
	Archive: {"Serialize.Source", "Serialize.SourceLayout", "Serialize.Tag", "Serialize.Delivered", "Serialize.Resume", "Serialize.OpenDevice",
		"Serialize.SinceReceipt", "Serialize.SinceRun", "Serialize.IncludeUnconfirmed"},
	// A deserialize request always writes to a registry; unarchive sets
	// the layout of its store. Tests pass a simulator's OpenDevice.
	Deserialize: {"DestLayout", "OpenDevice", "ContinueCheckpoint"}, // a resume continues a ledger
	// A batch sets each archive's source, destination and existing images
	// from its list and tracker; the rest are serialize's own extras.
	BatchSerialize: {"Serialize.Source", "Serialize.SourceLayout", "Serialize.Tag", "Serialize.Dest", "Serialize.Existing",
		"Serialize.ExistingFromCheckpoint", "Serialize.Delivered", "Serialize.Resume", "Serialize.CheckpointFile", "Serialize.HWM",
		"Serialize.Force", "Serialize.VolumeSize", "Serialize.PadFinalBlock", "Serialize.OpenDevice",
		"Serialize.SinceReceipt", "Serialize.SinceRun", "Serialize.IncludeUnconfirmed"},
}

// zeroOptionFields lists the option fields (dotted paths) left zero.
func zeroOptionFields(v reflect.Value, prefix string) []string {
	var out []string
	for i := range v.NumField() {
		f, fv := v.Type().Field(i), v.Field(i)
		path := prefix + f.Name
		if f.Anonymous {
			path = prefix
		}
		if fv.Kind() == reflect.Struct && (f.Anonymous || f.Type.PkgPath() == reflect.TypeOf(mirror.SerializeOptions{}).PkgPath()) {
			if !f.Anonymous {
				path += "."
			}
			out = append(out, zeroOptionFields(fv, path)...)
			continue
		}
		if fv.IsZero() {
			out = append(out, path)
		}
	}
	return out
}

func storedOptions(t *testing.T, opts any) string {
	t.Helper()
	b, err := json.Marshal(opts)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEveryRequestFieldReachesTheOptions is the guard against a field
// dropped between the form (or the flags) and the operation, as the volume
// size once was: for every kind, a request with every field set builds
// options with every field set, and changing any one request field changes
// the options the run records.
func TestEveryRequestFieldReachesTheOptions(t *testing.T) {
	dir := t.TempDir()
	vals := fieldValues(t, dir)
	st := guardStore(t, dir)
	rt := Runtime{Config: config.Default(), Store: st, DataDir: filepath.Join(dir, "data"), StoreDir: filepath.Join(dir, "default-store")}
	for _, k := range Kinds() {
		for _, second := range []bool{false, true} {
			req := full(t, k, vals, second)
			if k == Rerun || k == Resume {
				req.Run = map[Kind]string{Resume: "ser-1", Rerun: "sc-1"}[k]
			}
			spec, err := Build(req, rt)
			if err != nil {
				t.Fatalf("%s with every field set: %v", k, err)
			}
			if spec.Kind == "" || spec.Args == "" {
				t.Errorf("%s: spec %+v has no kind or command line", k, spec)
			}
			if k.Mirror() {
				v := reflect.ValueOf(spec.Options)
				for _, path := range zeroOptionFields(v, "") {
					if !slices.Contains(unset[k], path) {
						t.Errorf("%s: option %s.%s is not set by any request field", k, v.Type().Name(), path)
					}
				}
			}
			base := storedOptions(t, spec.Options)
			for _, name := range Fields(k) {
				if name == "Kind" || reflect.ValueOf(req).FieldByName(name).IsZero() {
					continue
				}
				changed := req
				val := vals[name][1]
				if k == Resume && name == "Run" {
					val = "ser-2"
				} else if k == Rerun && name == "Run" {
					val = "sc-2"
				}
				reflect.ValueOf(&changed).Elem().FieldByName(name).Set(reflect.ValueOf(val))
				spec2, err := Build(changed, rt)
				if err != nil {
					t.Errorf("%s with %s = %v: %v", k, name, val, err)
					continue
				}
				if storedOptions(t, spec2.Options) == base {
					t.Errorf("%s: changing %s does not change the options: the field is dropped", k, name)
				}
			}
		}
	}
}

// guardStore holds the runs resume and re-run continue: two failed
// serializes and two failed scatters, each pair different.
func guardStore(t *testing.T, dir string) *store.Store {
	st := newManager(t).Store()
	for i, id := range []string{"ser-1", "ser-2"} {
		storedRun(t, st, id, string(Serialize), store.StatusFailed,
			mirror.SerializeOptions{Source: "reg.example/t:" + string(rune('1'+i)), Dest: filepath.Join(dir, id+".tar"), BlockSize: 512, BufferSize: 4096}, nil, nil)
	}
	for i, id := range []string{"sc-1", "sc-2"} {
		failed := "reg.example/" + string(rune('a'+i)) + ":1"
		storedRun(t, st, id, string(Scatter), store.StatusFailed,
			mirror.ScatterOptions{Source: "reg.example/t:1", Mapping: "nest=reg.example/m"},
			[]store.Item{{Source: failed, Status: store.StatusFailed}}, nil)
	}
	return st
}

// The fields each kind takes are the ones the CLI verb has flags or
// arguments for; the window trims a form to them.
func TestTrimKeepsOnlyTheKindsFields(t *testing.T) {
	for _, k := range Kinds() {
		r := Request{Kind: k, BufferSize: "256Mi", DryRun: true, Image: "reg.example/t:1"}
		got := r.Trim()
		if err := got.Validate(); err != nil {
			t.Errorf("%s: trimmed request refused: %v", k, err)
		}
		if err := r.Validate(); !slices.Contains(Fields(k), "BufferSize") && (err == nil || !strings.Contains(err.Error(), "--buffer-size")) {
			t.Errorf("%s: a buffer size it does not take: %v", k, err)
		}
	}
}

// A form shows the options a kind takes by their JSON keys: dry run only
// where the verb has --dry-run.
func TestKeysNameTheFieldsAsTheFormDoes(t *testing.T) {
	for _, k := range Kinds() {
		if len(Keys(k)) != len(Fields(k)) || Keys(k)[0] != "kind" {
			t.Errorf("%s: keys %v for fields %v", k, Keys(k), Fields(k))
		}
	}
	if !slices.Contains(Keys(Deserialize), "dryRun") || slices.Contains(Keys(Scatter), "dryRun") {
		t.Errorf("dry run: deserialize %v, scatter %v", Keys(Deserialize), Keys(Scatter))
	}
	if !slices.Contains(Keys(Gather), "sourcesText") || !slices.Contains(Keys(Serialize), "blockSize") {
		t.Errorf("gather %v, serialize %v", Keys(Gather), Keys(Serialize))
	}
}

package ops

import (
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// CommandLine is the command that runs req: the words a terminal takes.
// Text typed in the window (a sources list, mapping rules) must have been
// kept as files first (Keep or Kept); what is still missing shows as the
// placeholder of its argument (SOURCES-FILE, MAPPER).
func CommandLine(req Request) []string {
	pos := positionals(req)
	var flags []string
	v, t := reflect.ValueOf(req), reflect.TypeOf(req)
	for i := range t.NumField() {
		name := t.Field(i).Tag.Get("flag")
		if name == "" || !takes(t.Field(i), req.Kind) {
			continue
		}
		flags = append(flags, flagWords("--"+name, v.Field(i))...)
	}
	words := []string{"ferry"}
	if req.Kind.Mirror() {
		words = append(words, "mirror")
	}
	words = append(words, string(req.Kind))
	// An argument that looks like a flag (but is not "-", standard input or
	// output) is only read as an argument after "--".
	if slices.ContainsFunc(pos, func(p string) bool { return strings.HasPrefix(p, "-") && p != "-" }) {
		return append(append(append(words, flags...), "--"), pos...)
	}
	return append(append(words, pos...), flags...)
}

func flagWords(flag string, v reflect.Value) []string {
	if v.IsZero() {
		return nil
	}
	switch v.Kind() {
	case reflect.Bool:
		return []string{flag}
	case reflect.Int:
		return []string{flag + "=" + strconv.FormatInt(v.Int(), 10)}
	case reflect.Slice:
		var out []string
		for i := range v.Len() {
			out = append(out, flag+"="+v.Index(i).String())
		}
		return out
	case reflect.Map:
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		var out []string
		for _, k := range keys {
			out = append(out, flag+"="+k+"="+v.MapIndex(reflect.ValueOf(k)).String())
		}
		return out
	default:
		return []string{flag + "=" + v.String()}
	}
}

// positionals are the verb's arguments, in the order its usage gives them.
func positionals(r Request) []string {
	or := func(s, placeholder string) string {
		if s == "" {
			return placeholder
		}
		return s
	}
	srcs := or(r.SourcesFile, "SOURCES-FILE")
	mapper := or(r.Mapper, "MAPPER")
	switch r.Kind {
	case Gather:
		return []string{srcs, or(r.Image, "IMAGE")}
	case Serialize:
		return append([]string{or(r.Image, "IMAGE"), or(r.Path, "DEST")}, r.Existing...)
	case Archive:
		return append([]string{srcs, or(r.Path, "DEST")}, r.Existing...)
	case Deserialize:
		return append(append([]string{or(r.Path, "SOURCE")}, r.Volumes...), or(r.Image, "IMAGE"))
	case Scatter:
		return []string{or(r.Image, "IMAGE"), mapper}
	case Clone:
		return []string{srcs, mapper}
	case Unarchive:
		return []string{or(r.Path, "TAR"), mapper}
	case Verify:
		return append([]string{or(r.Path, "SOURCE")}, r.Volumes...)
	case Diff:
		return append([]string{or(r.Image, "MIRROR-ARTIFACT")}, r.Existing...)
	case BatchSerialize:
		return []string{or(r.BatchList, "BATCH-LIST"), or(r.Path, "SYNC-DIRECTORY")}
	case BatchDeserialize:
		return []string{or(r.Path, "SYNC-DIRECTORY"), or(r.Image, "DESTINATION")}
	case Resume:
		if r.Path != "" {
			return []string{or(r.Run, "RUN-ID"), r.Path}
		}
		return []string{or(r.Run, "RUN-ID")}
	case Rerun:
		return []string{or(r.Run, "RUN-ID")}
	}
	return nil
}

// plainWord needs no quoting in a POSIX shell.
var plainWord = regexp.MustCompile(`^[A-Za-z0-9@%+=:,./_-]+$`)

// Shell joins words into one line a POSIX shell reads back as those words.
func Shell(words []string) string {
	out := make([]string, len(words))
	for i, w := range words {
		if plainWord.MatchString(w) {
			out[i] = w
		} else {
			out[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}

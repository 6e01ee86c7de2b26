package config

import (
	"errors"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder fills Go values from a YAML node tree, refusing unknown keys and
// values of the wrong type with their positions. yaml.v3's own KnownFields
// reports lines but not columns and stops at the first problem; this reports
// every problem with both.
type decoder struct {
	file   string
	errs   ErrorList
	values map[string]*yaml.Node // the value node at each key path
	keys   map[string]*yaml.Node // the key node of each map entry
}

func newDecoder(file string) *decoder {
	return &decoder{file: file, values: map[string]*yaml.Node{}, keys: map[string]*yaml.Node{}}
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func (d *decoder) errorAt(n *yaml.Node, path, format string, args ...any) {
	e := nodeError(n, format, args...)
	e.File, e.Path = d.file, path
	d.errs = append(d.errs, e)
}

// add records err from a custom unmarshaler, positioned at n unless it has a position.
func (d *decoder) add(n *yaml.Node, path string, err error) {
	var list ErrorList
	var one *Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = ErrorList{one}
	default:
		list = ErrorList{nodeError(n, "%v", err)}
	}
	for _, e := range list {
		e.File = d.file
		if e.Path == "" {
			e.Path = path
		}
		d.errs = append(d.errs, e)
	}
}

// position returns the node best describing path: its map key if it is a map
// entry, else its value; nil when the file does not mention path.
func (d *decoder) position(path string) *yaml.Node {
	if n, ok := d.keys[path]; ok {
		return n
	}
	return d.values[path]
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	d.values[path] = n
	if isNull(n) {
		return // an empty value keeps the default, as in the reference tool
	}
	if v.CanAddr() && v.Addr().Type().Implements(unmarshalerType) {
		if err := v.Addr().Interface().(yaml.Unmarshaler).UnmarshalYAML(n); err != nil {
			d.add(n, path, err)
		}
		return
	}
	switch v.Kind() {
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		d.decode(n, p.Elem(), path)
		v.Set(p)
	case reflect.Struct:
		d.decodeStruct(n, v, path)
	case reflect.Map:
		d.decodeMap(n, v, path)
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			d.errorAt(n, path, "expected a list, got %s", kindName(n))
			return
		}
		s := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
		for i, item := range n.Content {
			d.decode(item, s.Index(i), path+"["+strconv.Itoa(i)+"]")
		}
		v.Set(s)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.errorAt(n, path, "expected a string, got %s", kindName(n))
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" || n.Decode(&b) != nil {
			d.errorAt(n, path, "expected true or false, got %s", kindName(n))
			return
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int64, reflect.Int32:
		var i int64
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" || n.Decode(&i) != nil || v.OverflowInt(i) {
			d.errorAt(n, path, "expected an integer, got %s", kindName(n))
			return
		}
		v.SetInt(i)
	default:
		d.errorAt(n, path, "cannot read a value of type %s", v.Type())
	}
}

// entries checks that n is a mapping with unique scalar keys and calls f for each entry.
func (d *decoder) entries(n *yaml.Node, path string, f func(key, value *yaml.Node)) {
	if n.Kind != yaml.MappingNode {
		d.errorAt(n, path, "expected a mapping of keys to values, got %s", kindName(n))
		return
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.errorAt(k, path, "keys must be plain strings, got %s", kindName(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorAt(k, path, "key %q appears twice (first at line %d)", k.Value, first.Line)
			continue
		}
		seen[k.Value] = k
		f(k, val)
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	fields := map[string]int{}
	var names []string
	t := v.Type()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !t.Field(i).IsExported() {
			continue
		}
		fields[name] = i
		names = append(names, name)
	}
	d.entries(n, path, func(k, val *yaml.Node) {
		sub := k.Value
		if path != "" {
			sub = path + "." + k.Value
		}
		i, ok := fields[k.Value]
		if !ok {
			msg := "unknown key " + strconv.Quote(k.Value)
			if s := suggest(k.Value, names); s != "" {
				msg += " (did you mean " + strconv.Quote(s) + "?)"
			}
			d.errorAt(k, path, "%s", msg)
			return
		}
		d.keys[sub] = k
		d.decode(val, v.Field(i), sub)
	})
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, path string) {
	if v.Type().Key().Kind() != reflect.String {
		d.errorAt(n, path, "cannot read a map keyed by %s", v.Type().Key())
		return
	}
	m := reflect.MakeMap(v.Type())
	d.entries(n, path, func(k, val *yaml.Node) {
		sub := path + "[" + k.Value + "]"
		d.keys[sub] = k
		elem := reflect.New(v.Type().Elem()).Elem()
		d.decode(val, elem, sub)
		m.SetMapIndex(reflect.ValueOf(k.Value).Convert(v.Type().Key()), elem)
	})
	v.Set(m)
}

// suggest returns the known name closest to an unknown key, or "" if none is close.
func suggest(key string, names []string) string {
	best, bestDist := "", 3
	for _, name := range names {
		if strings.EqualFold(key, name) {
			return name
		}
		if dist := editDistance(strings.ToLower(key), strings.ToLower(name)); dist < bestDist {
			best, bestDist = name, dist
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

package archive

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// jsonShape says which keys an object of index.json may have. encoding/json
// takes the last of two equal keys and matches keys without regard to case,
// so a damaged key can still decode; the shape walk refuses both.
type jsonShape struct {
	fields  map[string]*jsonShape // the keys allowed, each with its value's shape
	anyKeys bool                  // any key (annotations), values unconstrained
	elem    *jsonShape            // for an array, its elements' shape
}

var (
	anyValue      = (*jsonShape)(nil)
	stringList    = &jsonShape{elem: anyValue}
	platformShape = &jsonShape{fields: map[string]*jsonShape{
		"architecture": anyValue, "os": anyValue, "os.version": anyValue,
		"os.features": stringList, "variant": anyValue, "features": stringList,
	}}
	descriptorShape = &jsonShape{fields: map[string]*jsonShape{
		"mediaType": anyValue, "digest": anyValue, "size": anyValue, "urls": stringList,
		"annotations": {anyKeys: true}, "data": anyValue, "platform": platformShape, "artifactType": anyValue,
	}}
	// indexShape is what Ferry and the reference write: no artifactType or
	// subject, which no reader of the stream would look at.
	indexShape = &jsonShape{fields: map[string]*jsonShape{
		"schemaVersion": anyValue, "mediaType": anyValue,
		"manifests": {elem: descriptorShape}, "annotations": {anyKeys: true},
	}}
)

// ParseIndexStrict decodes an index.json copy as verify must: one JSON
// object and nothing after it, no key twice in any object, only the keys of
// an image index and its descriptors (spelled exactly), schemaVersion 2, the
// OCI index media type (which only archives of other tools, without a
// serialization version, may leave out), and descriptors with a media type,
// a digest and a size that is not negative.
func ParseIndexStrict(data []byte) (*v1.IndexManifest, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("not JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, errors.New("not a JSON object")
	}
	if err := walkObject(dec, indexShape, "index"); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	var m v1.IndexManifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	if m.SchemaVersion != 2 {
		return nil, fmt.Errorf("schemaVersion is %d, not 2", m.SchemaVersion)
	}
	switch {
	case m.MediaType == types.OCIImageIndex:
	case m.MediaType == "" && m.Annotations[AnnotationSerializationVersion] == "":
	default:
		return nil, fmt.Errorf("mediaType is %q, not %q", m.MediaType, types.OCIImageIndex)
	}
	for i, d := range m.Manifests {
		switch {
		case d.MediaType == "":
			return nil, fmt.Errorf("manifests[%d] has no mediaType", i)
		case d.Digest.Hex == "":
			return nil, fmt.Errorf("manifests[%d] has no digest", i)
		case d.Size < 0:
			return nil, fmt.Errorf("manifests[%d] has a negative size", i)
		}
	}
	return &m, nil
}

// walkObject checks the members of an object whose '{' was just read.
func walkObject(dec *json.Decoder, shape *jsonShape, where string) error {
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		key, _ := tok.(string)
		if seen[key] {
			return fmt.Errorf("%s: key %q appears twice", where, key)
		}
		seen[key] = true
		sub := anyValue
		if shape != nil && !shape.anyKeys {
			known, ok := shape.fields[key]
			if !ok {
				return fmt.Errorf("%s: unknown key %q", where, key)
			}
			sub = known
		}
		if err := walkValue(dec, sub, where+"."+key); err != nil {
			return err
		}
	}
	_, err := dec.Token() // '}'
	return err
}

func walkValue(dec *json.Decoder, shape *jsonShape, where string) error {
	tok, err := dec.Token()
	if err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	switch d {
	case '{':
		return walkObject(dec, shape, where)
	case '[':
		var elem *jsonShape
		if shape != nil {
			elem = shape.elem
		}
		for i := 0; dec.More(); i++ {
			if err := walkValue(dec, elem, fmt.Sprintf("%s[%d]", where, i)); err != nil {
				return err
			}
		}
		_, err := dec.Token() // ']'
		return err
	}
	return fmt.Errorf("%s: unexpected %q", where, d)
}

// IsCanonicalIndex reports whether data is exactly what Index.Bytes writes
// for the content m parsed from it. Ferry writes every index.json so, so any
// other byte sequence on a Ferry medium is damage.
func IsCanonicalIndex(data []byte, m *v1.IndexManifest) bool {
	if m == nil {
		return false
	}
	b, err := Index{Manifests: m.Manifests, Annotations: m.Annotations}.Bytes()
	return err == nil && bytes.Equal(b, data)
}

// IsFerryKey reports an annotation key in Ferry's namespace (FORMAT.md
// section 7.1); KnownFerryKey, one Ferry defines.
func IsFerryKey(k string) bool { return strings.HasPrefix(k, "vnd.ferry.") }

// KnownFerryKey reports whether k is one of the vnd.ferry keys Ferry writes.
func KnownFerryKey(k string) bool {
	switch k {
	case AnnotationSyncID, AnnotationVolumeNumber, AnnotationVolumeLast, AnnotationStreamSHA256:
		return true
	}
	return false
}

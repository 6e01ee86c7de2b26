package sources

import (
	"encoding/json"
	"fmt"
)

// LabelsAnnotation is the gather-index entry annotation that carries a
// source line's labels.
const LabelsAnnotation = "data.act3-ace.io/labels"

// EncodeLabels returns the labels as compact JSON with sorted keys, e.g.
// {"component":"core","module":"test"}, or "" when there are none, in which
// case the annotation is left out.
func EncodeLabels(lbls map[string]string) string {
	if len(lbls) == 0 {
		return ""
	}
	// Marshalling a map of strings cannot fail, and sorts the keys.
	b, _ := json.Marshal(lbls)
	return string(b)
}

// DecodeLabels reads the labels annotation of a gather-index entry. An empty
// value means no labels.
func DecodeLabels(annotation string) (map[string]string, error) {
	if annotation == "" {
		return nil, nil
	}
	var lbls map[string]string
	if err := json.Unmarshal([]byte(annotation), &lbls); err != nil {
		return nil, fmt.Errorf("labels annotation %q is not a JSON object of strings: %w", annotation, err)
	}
	return lbls, nil
}

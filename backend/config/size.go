package config

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Size is a number of bytes written in the Kubernetes quantity notation the
// reference tool uses: a plain number ("1048576") or a number with a binary
// (Ki, Mi, Gi, Ti, Pi, Ei) or decimal (k, M, G, T, P, E) suffix ("500Mi").
type Size int64

var sizePattern = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$`)

var sizeMultipliers = map[string]int64{
	"":   1,
	"Ki": 1 << 10, "Mi": 1 << 20, "Gi": 1 << 30, "Ti": 1 << 40, "Pi": 1 << 50, "Ei": 1 << 60,
	"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "P": 1e15, "E": 1e18,
}

// ParseSize reads a size such as "1Mi", "1MiB", "1.5Gi" or "4096"; fractions
// of a byte round up.
func ParseSize(s string) (Size, error) {
	s = strings.TrimSpace(s)
	text := s
	if strings.HasSuffix(text, "iB") { // "1MiB" is "1Mi"
		text = strings.TrimSuffix(text, "B")
	}
	m := sizePattern.FindStringSubmatch(text)
	if m == nil {
		return 0, fmt.Errorf("%q is not a size (write e.g. 4096, 512Ki, 1Mi or 2G)", s)
	}
	r, ok := new(big.Rat).SetString(m[1])
	if !ok {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	r.Mul(r, new(big.Rat).SetInt64(sizeMultipliers[m[2]]))
	n := new(big.Int).Quo(r.Num(), r.Denom())
	if new(big.Rat).SetInt(n).Cmp(r) < 0 {
		n.Add(n, big.NewInt(1))
	}
	if !n.IsInt64() {
		return 0, fmt.Errorf("%q is too large (the limit is %d bytes)", s, int64(math.MaxInt64))
	}
	return Size(n.Int64()), nil
}

// String writes the size with the largest binary suffix that divides it exactly.
func (s Size) String() string {
	for _, suffix := range []string{"Ei", "Pi", "Ti", "Gi", "Mi", "Ki"} {
		m := sizeMultipliers[suffix]
		if s != 0 && int64(s)%m == 0 {
			return strconv.FormatInt(int64(s)/m, 10) + suffix
		}
	}
	return strconv.FormatInt(int64(s), 10)
}

// UnmarshalYAML reads a size from a scalar.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return nodeError(n, "expected a size such as 1Mi, got %s", kindName(n))
	}
	v, err := ParseSize(n.Value)
	if err != nil {
		return nodeError(n, "%v", err)
	}
	*s = v
	return nil
}

// MarshalYAML writes the size as String does.
func (s Size) MarshalYAML() (any, error) {
	return s.String(), nil
}

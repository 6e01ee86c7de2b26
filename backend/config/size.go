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

// Size is a number of bytes. It is written as the reference tool's size
// flags read it: a plain number ("1048576", "1,048,576") or a number with a
// unit, binary (Ki, KiB, Mi, MiB, ... Ei, EiB: powers of 1024) or decimal
// (k, kB, M, MB, ... E, EB: powers of 1000), in any letter case and with an
// optional space ("1 MiB"). "1MB" is therefore 1,000,000 bytes and "1MiB"
// 1,048,576. The Kubernetes quantities of the configuration file ("500Mi",
// "2G") are a subset of this notation.
type Size int64

var sizePattern = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?) ?([A-Za-z]*)$`)

// sizeUnits maps a lower-case unit to its multiplier.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"ki": 1 << 10, "kib": 1 << 10, "k": 1e3, "kb": 1e3,
	"mi": 1 << 20, "mib": 1 << 20, "m": 1e6, "mb": 1e6,
	"gi": 1 << 30, "gib": 1 << 30, "g": 1e9, "gb": 1e9,
	"ti": 1 << 40, "tib": 1 << 40, "t": 1e12, "tb": 1e12,
	"pi": 1 << 50, "pib": 1 << 50, "p": 1e15, "pb": 1e15,
	"ei": 1 << 60, "eib": 1 << 60, "e": 1e18, "eb": 1e18,
}

// ParseSize reads a size such as "1Mi", "1MiB", "1MB", "512kb", "1.5Gi" or
// "4096"; fractions of a byte round up.
func ParseSize(s string) (Size, error) {
	s = strings.TrimSpace(s)
	m := sizePattern.FindStringSubmatch(strings.ReplaceAll(s, ",", ""))
	if m == nil {
		return 0, fmt.Errorf("%q is not a size (write e.g. 4096, 512Ki, 1MiB, 1MB or 2G)", s)
	}
	mult, ok := sizeUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, fmt.Errorf("%q: unknown unit %q (use B, Ki/KiB, Mi/MiB, Gi/GiB, Ti/TiB for powers of 1024, or k/kB, M/MB, G/GB, T/TB for powers of 1000)", s, m[2])
	}
	r, ok := new(big.Rat).SetString(m[1])
	if !ok {
		return 0, fmt.Errorf("%q is not a size", s)
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
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
		m := sizeUnits[strings.ToLower(suffix)]
		if s != 0 && int64(s)%m == 0 {
			return strconv.FormatInt(int64(s)/m, 10) + suffix
		}
	}
	return strconv.FormatInt(int64(s), 10)
}

// Set parses a command-line value, so a Size is a flag (pflag.Value).
func (s *Size) Set(v string) error {
	n, err := ParseSize(v)
	if err != nil {
		return err
	}
	*s = n
	return nil
}

// Type names the flag's value in help, as the reference tool does.
func (s *Size) Type() string { return "bytes" }

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

package config

import "gopkg.in/yaml.v3"

// ReferrersMode says how an endpoint lists the referrers of a manifest.
type ReferrersMode string

const (
	// ReferrersAuto tries the OCI 1.1 referrers API and falls back to the tag schema.
	ReferrersAuto ReferrersMode = "auto"
	// ReferrersAPI uses only the referrers API.
	ReferrersAPI ReferrersMode = "api"
	// ReferrersTag uses only the "sha256-<hex>" tag schema, for registries without the API.
	ReferrersTag ReferrersMode = "tag"
)

// OrAuto returns m, or ReferrersAuto when m is unset.
func (m ReferrersMode) OrAuto() ReferrersMode {
	if m == "" {
		return ReferrersAuto
	}
	return m
}

// UnmarshalYAML accepts tag, api or auto.
func (m *ReferrersMode) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		switch v := ReferrersMode(n.Value); v {
		case "", ReferrersAuto, ReferrersAPI, ReferrersTag:
			*m = v
			return nil
		}
	}
	return nodeError(n, "expected tag, api or auto, got %s", kindName(n))
}

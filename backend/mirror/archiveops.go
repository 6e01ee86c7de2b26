package mirror

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"

	"ferry/backend/mapping"
	"ferry/backend/sources"
)

// storeRegistry names the local store in references while an operation
// runs; the .invalid top-level domain can never be a real registry.
const storeRegistry = "ferry-store.invalid"

// storeRepository is the one repository of the local store.
const storeRepository = storeRegistry + "/archive"

// withStore returns env with the local store reachable as storeRepository;
// every other repository is opened as env says.
func withStore(env Env, store *LayoutRepo) Env {
	open := env.Open
	env.Open = func(r name.Repository) Repo {
		if r.RegistryStr() == storeRegistry {
			return store
		}
		return open(r)
	}
	return env
}

// ArchiveOptions are the options of `ferry mirror archive`: gather into the
// local store, then serialize from it. No low-side registry is needed.
type ArchiveOptions struct {
	Sources       []sources.Source  `json:"sources"`
	Annotations   map[string]string `json:"annotations,omitempty"`
	IndexFallback bool              `json:"indexFallback,omitempty"`
	Platforms     []string          `json:"platforms,omitempty"`
	// StoreDir is the local OCI store ($XDG_DATA_HOME/ferry/store by default).
	StoreDir string `json:"storeDir"`
	// Reference tags the gather index in the store and in the archive
	// (default "latest", as the reference tool does).
	Reference string `json:"reference"`
	// Serialize holds the destination and the serialize options; its Source
	// and SourceLayout are set by Archive.
	Serialize SerializeOptions `json:"serialize"`
}

// ArchiveResult is what an archive run did.
type ArchiveResult struct {
	Gather    GatherResult    `json:"gather"`
	Serialize SerializeResult `json:"serialize"`
}

// Archive gathers every source (read from registries) into the local store
// and serializes the gather index from there to the destination.
func Archive(ctx context.Context, env Env, o ArchiveOptions) (ArchiveResult, error) {
	var res ArchiveResult
	if o.StoreDir == "" {
		return res, errors.New("archive needs a local store directory")
	}
	if o.Reference == "" {
		o.Reference = "latest"
	}
	store, err := OpenLayout(o.StoreDir)
	if err != nil {
		return res, err
	}
	genv := withStore(env, store)
	res.Gather, err = Gather(ctx, genv, GatherOptions{
		Sources: o.Sources, Dest: storeRepository + ":" + o.Reference, Annotations: o.Annotations,
		IndexFallback: o.IndexFallback, Platforms: o.Platforms, Referrers: o.Serialize.Referrers,
	})
	if err != nil {
		return res, fmt.Errorf("gathering into the local store %s: %w", o.StoreDir, err)
	}
	so := o.Serialize
	// By digest: the store's tag may move on while a long serialize runs
	// (or before a resume); the digest does not.
	so.Source, so.SourceLayout, so.Tag = res.Gather.Index.Digest.String(), o.StoreDir, o.Reference
	res.Serialize, err = Serialize(ctx, env, so)
	return res, err
}

// UnarchiveOptions are the options of `ferry mirror unarchive`: deserialize
// into the local store, then scatter from it. No staging registry is needed.
type UnarchiveOptions struct {
	// Source is the medium.
	Source   string `json:"source"`
	StoreDir string `json:"storeDir"`
	// Mapping is the TYPE=ARG spec Mapper was built from, kept for history.
	Mapping   string         `json:"mapping"`
	Mapper    mapping.Mapper `json:"-"`
	Strict    bool           `json:"strict,omitempty"`
	BlockSize int            `json:"blockSize,omitempty"`
	// Reference tags the gather index in the store (default: the medium's own tag).
	Reference string `json:"reference,omitempty"`
	// Check plans the scatter and pushes nothing to the destinations.
	Check bool `json:"check,omitempty"`
	// Scatter options.
	Subset    []string `json:"subset,omitempty"`
	Selectors []string `json:"selectors,omitempty"`
	Continue  bool     `json:"continue,omitempty"`
	Referrers bool     `json:"referrers,omitempty"`
}

// UnarchiveResult is what an unarchive run did.
type UnarchiveResult struct {
	Deserialize DeserializeResult `json:"deserialize"`
	Scatter     ScatterResult     `json:"scatter"`
}

// Unarchive reads a medium into the local store (tagged there with the
// medium's own tag) and scatters its gather index to the destinations the
// mapper gives. An incomplete medium is reported and nothing is scattered:
// read the rest into the store (unarchive the next part) first.
func Unarchive(ctx context.Context, env Env, o UnarchiveOptions) (UnarchiveResult, error) {
	var res UnarchiveResult
	if o.StoreDir == "" {
		return res, errors.New("unarchive needs a local store directory")
	}
	if o.Mapper == nil {
		return res, errors.New("unarchive needs a mapping, e.g. nest=reg.example/mirror")
	}
	var err error
	res.Deserialize, err = Deserialize(ctx, env, DeserializeOptions{Source: o.Source, Dest: o.Reference, DestLayout: o.StoreDir, Strict: o.Strict, BlockSize: o.BlockSize})
	if err != nil {
		return res, err
	}
	store, err := OpenLayout(o.StoreDir)
	if err != nil {
		return res, err
	}
	res.Scatter, err = ScatterFrom(ctx, env, store, res.Deserialize.Root.Digest.String(), ScatterOptions{
		Source: o.Source, Mapping: o.Mapping, Mapper: o.Mapper, Subset: o.Subset, Selectors: o.Selectors,
		Continue: o.Continue, Referrers: o.Referrers, Check: o.Check,
	})
	return res, err
}

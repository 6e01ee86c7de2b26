package ops

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"

	"ferry/backend/config"
	"ferry/backend/jobs"
	"ferry/backend/mapping"
	"ferry/backend/mirror"
	"ferry/backend/sources"
	"ferry/backend/store"
)

// Runtime is what a front end supplies to the jobs Build makes.
type Runtime struct {
	Config *config.Config
	// Store holds the runs a resume or re-run continues.
	Store *store.Store
	// DataDir is where typed text is kept as files (Keep).
	DataDir string
	// StoreDir is the local OCI store of archive and unarchive when the
	// request names none.
	StoreDir string
	// Env adds what the front end offers a job: the next-medium prompt.
	Env func(j *jobs.Job, env mirror.Env) mirror.Env
	// Notice receives what the operator should read but need not act on
	// (duplicate sources, a selector with a comma); nil drops it.
	Notice func(string)
	// Done sees how each operation ended and returns the error the job
	// ends with; nil returns the operation's error.
	Done func(j *jobs.Job, o Outcome) error
}

// Outcome is an operation's end, for the front end to report.
type Outcome struct {
	Request Request
	Options any // the operation's options (mirror.SerializeOptions, ...)
	Result  any // its result (mirror.SerializeResult, ...)
	Err     error
}

// work runs one operation in its environment.
type work func(ctx context.Context, env mirror.Env) (any, error)

// Build checks req and returns the job that runs it. Typed text is kept as
// files first (see Keep), so the job's command line runs as is.
func Build(req Request, rt Runtime) (jobs.Spec, error) {
	if err := req.Validate(); err != nil {
		return jobs.Spec{}, err
	}
	switch req.Kind {
	case Resume:
		return buildResume(req, rt)
	case Rerun:
		return buildRerun(req, rt)
	}
	if req.SourcesText != "" || req.MapperKind != "" {
		if rt.DataDir == "" {
			return jobs.Spec{}, errors.New("typed sources or rules need a data directory to be kept in")
		}
		if err := exclusive(req); err != nil {
			return jobs.Spec{}, err
		}
		var err error
		if req, err = Keep(rt.DataDir, req); err != nil {
			return jobs.Spec{}, err
		}
	}
	opts, run, err := options(req, rt)
	if err != nil {
		return jobs.Spec{}, err
	}
	return spec(req, rt, string(req.Kind), "", opts, run), nil
}

// spec wraps an operation as a job of kind, recording req's command line.
func spec(req Request, rt Runtime, kind, resumedFrom string, opts any, run work) jobs.Spec {
	return jobs.Spec{Kind: kind, Args: Shell(CommandLine(req)), Options: opts, ResumedFrom: resumedFrom,
		Run: func(ctx context.Context, j *jobs.Job) error {
			env := jobs.MirrorEnv(rt.Config, j)
			if rt.Env != nil {
				env = rt.Env(j, env)
			}
			res, err := run(ctx, env)
			if err == nil && kind == string(Deserialize) {
				receiptAfterDeserialize(ctx, env, rt, j.ID(), opts, res)
			}
			if rt.Done != nil {
				return rt.Done(j, Outcome{Request: req, Options: opts, Result: res, Err: err})
			}
			return err
		}}
}

// exclusive refuses a request giving the same input twice.
func exclusive(req Request) error {
	if req.SourcesText != "" && req.SourcesFile != "" {
		return errors.New("give the sources as a file or as text, not both")
	}
	if req.MapperKind != "" && req.Mapper != "" {
		return errors.New("give the mapping rules as TYPE=ARG or from the editor, not both")
	}
	return nil
}

// DiffJob is what a diff run records: the operation's options and where
// its listing goes.
type DiffJob struct {
	mirror.DiffOptions
	Outputs []string `json:"outputs,omitempty"`
}

// VerifyJob is what a verify run records: the options and every volume.
type VerifyJob struct {
	mirror.VerifyOptions
	Volumes []string `json:"volumes,omitempty"`
}

// options turns a request (its text kept) into the operation's options.
func options(req Request, rt Runtime) (any, work, error) {
	need := func(v, what string) error {
		if strings.TrimSpace(v) == "" {
			return errors.New(what)
		}
		return nil
	}
	switch req.Kind {
	case Gather:
		if err := need(req.Image, "choose the repository:tag to gather into"); err != nil {
			return nil, nil, err
		}
		srcs, err := selectedSources(req, rt)
		if err != nil {
			return nil, nil, err
		}
		o := mirror.GatherOptions{Sources: srcs, Dest: req.Image, Annotations: req.Annotations,
			IndexFallback: req.IndexFallback, Platforms: req.Platforms, Referrers: req.Referrers}
		return o, func(ctx context.Context, env mirror.Env) (any, error) { return mirror.Gather(ctx, env, o) }, nil
	case Serialize:
		if err := need(req.Image, "choose the gather index (repository:tag) to serialize"); err != nil {
			return nil, nil, err
		}
		o, err := serializeOptions(req)
		if err != nil {
			return nil, nil, err
		}
		o.Source = req.Image
		if err := checkSince(o); err != nil {
			return nil, nil, err
		}
		return o, serializeWork(o, rt), nil
	case Archive:
		so, err := serializeOptions(req)
		if err != nil {
			return nil, nil, err
		}
		srcs, err := selectedSources(req, rt)
		if err != nil {
			return nil, nil, err
		}
		o := mirror.ArchiveOptions{Sources: srcs, Annotations: req.Annotations, IndexFallback: req.IndexFallback,
			Platforms: req.Platforms, StoreDir: or(req.StoreDir, rt.StoreDir), Reference: or(req.Reference, "latest"), Serialize: so}
		return o, func(ctx context.Context, env mirror.Env) (any, error) { return mirror.Archive(ctx, env, o) }, nil
	case Deserialize:
		if err := need(req.Image, "choose the repository:tag to deserialize into"); err != nil {
			return nil, nil, err
		}
		bs, err := readSize(req)
		if err != nil {
			return nil, nil, err
		}
		o := mirror.DeserializeOptions{Source: req.Path, Volumes: req.Volumes, Dest: req.Image, Strict: req.Strict, DryRun: req.DryRun, BlockSize: bs,
			CheckpointFile: req.Checkpoint, Force: req.Force}
		return o, deserializeWork(o), nil
	case Scatter:
		if err := need(req.Image, "choose the gather index (repository:tag) to scatter"); err != nil {
			return nil, nil, err
		}
		m, subset, err := deliveryOf(req, rt)
		if err != nil {
			return nil, nil, err
		}
		o := mirror.ScatterOptions{Source: req.Image, Mapping: req.Mapper, Mapper: m, Subset: subset, Selectors: req.Selectors,
			Check: req.Check, Continue: req.Continue, Referrers: req.Referrers}
		return o, func(ctx context.Context, env mirror.Env) (any, error) { return mirror.Scatter(ctx, env, o) }, nil
	case Clone:
		m, err := mapperOf(req, rt)
		if err != nil {
			return nil, nil, err
		}
		srcs, err := readSources(req, rt)
		if err != nil {
			return nil, nil, err
		}
		o := mirror.CloneOptions{Sources: srcs, Mapping: req.Mapper, Mapper: m, Selectors: req.Selectors, Platforms: req.Platforms,
			Check: req.Check, Continue: req.Continue, Referrers: req.Referrers}
		return o, func(ctx context.Context, env mirror.Env) (any, error) { return mirror.Clone(ctx, env, o) }, nil
	case Unarchive:
		bs, err := readSize(req)
		if err != nil {
			return nil, nil, err
		}
		m, subset, err := deliveryOf(req, rt)
		if err != nil {
			return nil, nil, err
		}
		o := mirror.UnarchiveOptions{Source: req.Path, StoreDir: or(req.StoreDir, rt.StoreDir), Mapping: req.Mapper, Mapper: m,
			Strict: req.Strict, BlockSize: bs, Reference: req.Reference, Check: req.Check, Subset: subset,
			Selectors: req.Selectors, Continue: req.Continue, Referrers: req.Referrers}
		return o, func(ctx context.Context, env mirror.Env) (any, error) { return mirror.Unarchive(ctx, env, o) }, nil
	case Verify:
		bs, err := readSize(req)
		if err != nil {
			return nil, nil, err
		}
		o := VerifyJob{VerifyOptions: mirror.VerifyOptions{Source: req.Path, Strict: req.Strict, BlockSize: bs, AllowMissing: req.AllowMissing},
			Volumes: req.Volumes}
		return o, func(ctx context.Context, env mirror.Env) (any, error) {
			return mirror.VerifyVolumes(ctx, env, o.VerifyOptions, append([]string{o.Source}, o.Volumes...))
		}, nil
	case Diff:
		if err := need(req.Image, "choose the mirror artifact (repository:tag) to list"); err != nil {
			return nil, nil, err
		}
		if _, err := ParseOutputs(req.Outputs); err != nil {
			return nil, nil, err
		}
		o := DiffJob{DiffOptions: mirror.DiffOptions{Artifact: req.Image, Existing: req.Existing, Expand: req.Expand}, Outputs: req.Outputs}
		return o, func(ctx context.Context, env mirror.Env) (any, error) { return mirror.Diff(ctx, env, o.DiffOptions) }, nil
	case BatchSerialize, BatchDeserialize:
		return batchOptions(req)
	}
	return nil, nil, fmt.Errorf("unknown operation %q", req.Kind)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// serializeOptions reads the media options serialize and archive share.
// Sizes follow the reference: 1MB is 10^6 bytes, 1MiB 2^20, and a buffer
// of 0 (its default, no buffer) is the smallest Ferry can write through:
// one block.
func serializeOptions(req Request) (mirror.SerializeOptions, error) {
	if strings.TrimSpace(req.Path) == "" {
		return mirror.SerializeOptions{}, errors.New("choose where to write: a file path or a tape drive")
	}
	o := mirror.SerializeOptions{Dest: req.Path, Existing: req.Existing, ExistingFromCheckpoint: req.ExistingFromCheckpoint,
		CheckpointFile: req.Checkpoint, Compression: req.Compression, HWM: req.HWM, Referrers: req.Referrers, Force: req.Force,
		ManifestJSON: req.ManifestJSON, PadFinalBlock: req.PadFinalBlock,
		SinceReceipt: req.SinceReceipt, SinceRun: req.SinceRun, IncludeUnconfirmed: req.IncludeUnconfirmed}
	return o, applySizes(req, &o)
}

// applySizes sets the sizes req gives; one it leaves empty keeps o's value
// (a resumed run's), else the default.
func applySizes(req Request, o *mirror.SerializeOptions) error {
	var err error
	if req.BlockSize != "" || o.BlockSize == 0 {
		if o.BlockSize, err = sizeOf("block size", req.BlockSize, mirror.DefaultBlockSize, 1); err != nil {
			return err
		}
	}
	if req.BufferSize != "" || o.BufferSize == 0 {
		if o.BufferSize, err = sizeOf("buffer size", req.BufferSize, mirror.DefaultBufferSize, 0); err != nil {
			return err
		}
		if o.BufferSize == 0 {
			o.BufferSize = o.BlockSize
		}
	}
	if req.VolumeSize != "" {
		v, err := sizeOf("volume size", req.VolumeSize, 0, 0)
		if err != nil {
			return err
		}
		o.VolumeSize = int64(v)
	}
	return nil
}

// sizeOf reads a size as typed ("" is def), refusing sizes below min and
// sizes an int cannot hold.
func sizeOf(what, s string, def, min int64) (int, error) {
	n := def
	if strings.TrimSpace(s) != "" {
		v, err := config.ParseSize(s)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", what, err)
		}
		n = int64(v)
	}
	switch {
	case n < min:
		return 0, fmt.Errorf("%s %d: must be at least %d bytes", what, n, min)
	case n > math.MaxInt:
		return 0, fmt.Errorf("%s %d: too large", what, n)
	}
	return int(n), nil
}

// readSources parses the request's sources list, every bad line at once.
func readSources(req Request, rt Runtime) ([]sources.Source, error) {
	return ReadSources(req.SourcesFile, req.SourcesText, rt.Notice)
}

// ReadSources parses a sources list, from file or else from text, every
// bad line at once; notice receives each warning (a duplicate line).
func ReadSources(file, text string, notice func(string)) ([]sources.Source, error) {
	rt, name := Runtime{Notice: notice}, "sources list"
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("sources list: %w", err)
		}
		name, text = file, string(b)
	}
	srcs, warnings, err := sources.Parse(strings.NewReader(text), name)
	if err != nil {
		return nil, err
	}
	for _, w := range warnings {
		rt.notice(fmt.Sprintf("%s:%s", name, w))
	}
	return srcs, nil
}

// selectedSources are the sources the label selectors keep.
func selectedSources(req Request, rt Runtime) ([]sources.Source, error) {
	srcs, err := readSources(req, rt)
	if err != nil || len(req.Selectors) == 0 {
		return srcs, err
	}
	if _, err := CheckSelectors(req.Selectors, rt.Notice); err != nil {
		return nil, err
	}
	return sources.Select(srcs, req.Selectors)
}

// readSize checks that a reading request names its medium and returns
// its first read size (0: the operation's default).
func readSize(req Request) (int, error) {
	if strings.TrimSpace(req.Path) == "" {
		return 0, errors.New("choose the medium: a file path or a tape drive")
	}
	return sizeOf("block size", req.BlockSize, 0, 0)
}

// deliveryOf returns the mapper and the --subset of a scatter or unarchive.
func deliveryOf(req Request, rt Runtime) (mapping.Mapper, []string, error) {
	m, err := mapperOf(req, rt)
	if err != nil {
		return nil, nil, err
	}
	subset, err := subsetOf(req, rt)
	return m, subset, err
}

// subsetOf returns the references of a --subset sources list.
func subsetOf(req Request, rt Runtime) ([]string, error) {
	if req.Subset == "" {
		return nil, nil
	}
	srcs, err := readSources(Request{SourcesFile: req.Subset}, rt)
	if err != nil {
		return nil, fmt.Errorf("--subset: %w", err)
	}
	refs := make([]string, len(srcs))
	for i, s := range srcs {
		refs[i] = s.Ref
	}
	return refs, nil
}

// mapperOf builds the request's mapper, from TYPE=ARG or from typed
// rules, and checks its label selectors.
func mapperOf(req Request, rt Runtime) (mapping.Mapper, error) {
	var m mapping.Mapper
	var err error
	switch {
	case req.Mapper != "":
		m, err = mapping.Parse(req.Mapper)
	case req.MapperKind != "":
		m, err = mapping.New(req.MapperKind, req.MapperRules)
	default:
		err = errors.New("choose mapping rules (on the Mapping page or as TYPE=ARG)")
	}
	if err != nil {
		return nil, err
	}
	_, err = CheckSelectors(req.Selectors, rt.Notice)
	return m, err
}

func (rt Runtime) notice(msg string) {
	if rt.Notice != nil {
		rt.Notice(msg)
	}
}

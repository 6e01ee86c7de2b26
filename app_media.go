package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"ferry/backend/config"
	"ferry/backend/jobs"
	"ferry/backend/mirror"
)

// startMedia starts the operations that write or read a medium.
func (a *App) startMedia(cfg *config.Config, req TransferRequest) (string, error) {
	if strings.TrimSpace(req.Path) == "" && req.Kind != "archive" {
		return "", errors.New("choose the medium: a file path or a tape drive")
	}
	run := func(kind, args string, opts any, work func(ctx context.Context, env mirror.Env) error) (string, error) {
		return a.sess.Jobs.Start(jobs.Spec{Kind: kind, Args: req.commandLine(args), Options: opts,
			Run: func(ctx context.Context, j *jobs.Job) error { return work(ctx, a.env(cfg, j)) }})
	}
	switch req.Kind {
	case "serialize":
		o, err := serializeOptions(req)
		if err != nil {
			return "", err
		}
		o.Source = req.Image
		if o.Source == "" {
			return "", errors.New("choose the gather index (repository:tag) to serialize")
		}
		return run("serialize", "ferry mirror serialize "+o.Source+" "+o.Dest, o, func(ctx context.Context, env mirror.Env) error {
			_, err := mirror.Serialize(ctx, env, o)
			return err
		})
	case "archive":
		so, err := serializeOptions(req)
		if err != nil {
			return "", err
		}
		srcs, err := sourcesOf(req)
		if err != nil {
			return "", err
		}
		prefs, _ := a.GetPreferences()
		o := mirror.ArchiveOptions{Sources: srcs, Annotations: req.Annotations, IndexFallback: req.IndexFallback,
			Platforms: req.Platforms, StoreDir: prefs.StoreDir, Reference: "latest", Serialize: so}
		return run("archive", "ferry mirror archive - "+so.Dest, o, func(ctx context.Context, env mirror.Env) error {
			_, err := mirror.Archive(ctx, env, o)
			return err
		})
	case "deserialize":
		if req.Image == "" {
			return "", errors.New("choose the repository:tag to deserialize into")
		}
		bs, err := sizeOf(req.BlockSize)
		if err != nil {
			return "", err
		}
		o := mirror.DeserializeOptions{Source: req.Path, Dest: req.Image, Strict: req.Strict, DryRun: req.DryRun, BlockSize: bs}
		return run("deserialize", "ferry mirror deserialize "+req.Path+" "+req.Image, o, func(ctx context.Context, env mirror.Env) error {
			_, err := mirror.Deserialize(ctx, withMediumTotal(env, o.Source), o)
			return err
		})
	case "unarchive":
		m, spec, err := a.mapperOf(req)
		if err != nil {
			return "", err
		}
		bs, err := sizeOf(req.BlockSize)
		if err != nil {
			return "", err
		}
		prefs, _ := a.GetPreferences()
		o := mirror.UnarchiveOptions{Source: req.Path, StoreDir: prefs.StoreDir, Mapping: spec, Mapper: m, Strict: req.Strict,
			BlockSize: bs, Selectors: req.Selectors, Continue: req.Continue, Referrers: req.Referrers}
		return run("unarchive", "ferry mirror unarchive "+req.Path+" "+spec, o, func(ctx context.Context, env mirror.Env) error {
			_, err := mirror.Unarchive(ctx, env, o)
			return err
		})
	case "verify":
		bs, err := sizeOf(req.BlockSize)
		if err != nil {
			return "", err
		}
		o := mirror.VerifyOptions{Source: req.Path, Strict: req.Strict, BlockSize: bs}
		return run("verify", "ferry mirror verify "+req.Path, o, func(ctx context.Context, env mirror.Env) error {
			_, err := mirror.VerifyMedium(ctx, env, o)
			return err
		})
	}
	return "", fmt.Errorf("unknown operation %q", req.Kind)
}

func serializeOptions(req TransferRequest) (mirror.SerializeOptions, error) {
	o := mirror.SerializeOptions{Dest: req.Path, Existing: req.Existing, Compression: req.Compression,
		HWM: req.HWM, Referrers: req.Referrers, Force: req.Force, CheckpointFile: req.Checkpoint}
	var err error
	if o.BlockSize, err = sizeOf(req.BlockSize); err != nil {
		return o, fmt.Errorf("block size: %w", err)
	}
	if o.BufferSize, err = sizeOf(req.BufferSize); err != nil {
		return o, fmt.Errorf("buffer size: %w", err)
	}
	return o, nil
}

// sizeOf reads sizes as the CLI does (1Mi, 1MiB, 1M); "" is 0 (the
// operation's default).
func sizeOf(s string) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	n, err := config.ParseSize(s)
	return int(n), err
}

// ResumeRun continues an interrupted, failed or cancelled run without
// asking for offsets: a serialize or archive writes what is left to the next
// part; a deserialize reads its medium again (what arrived is skipped).
func (a *App) ResumeRun(id string) (string, error) {
	act, err := a.RunActions(id)
	if err != nil {
		return "", err
	}
	if !act.Resume.Available {
		return "", fmt.Errorf("run %s cannot be resumed: %s", short(id), act.Resume.Reason)
	}
	run, err := a.sess.Store.GetRun(id)
	if err != nil {
		return "", err
	}
	cfg, err := config.Load(nil)
	if err != nil {
		return "", err
	}
	switch run.Kind {
	case "serialize", "archive":
		o, err := jobs.ResumeSerialize(a.sess.Store, id)
		if err != nil {
			return "", err
		}
		return a.sess.Jobs.Start(jobs.Spec{Kind: "serialize", Args: "ferry mirror serialize --resume " + id + " " + o.Dest,
			Options: o, ResumedFrom: id, Run: func(ctx context.Context, j *jobs.Job) error {
				_, err := mirror.Serialize(ctx, a.env(cfg, j), o)
				return err
			}})
	case "deserialize":
		var o mirror.DeserializeOptions
		if err := unmarshalOptions(run.Options, &o); err != nil {
			return "", fmt.Errorf("run %s: %w", id, err)
		}
		return a.sess.Jobs.Start(jobs.Spec{Kind: "deserialize", Args: run.Args, Options: o, ResumedFrom: id,
			Run: func(ctx context.Context, j *jobs.Job) error {
				_, err := mirror.Deserialize(ctx, withMediumTotal(a.env(cfg, j), o.Source), o)
				return err
			}})
	}
	return "", fmt.Errorf("a %s run cannot be resumed; only serialize, archive and deserialize runs can", run.Kind)
}

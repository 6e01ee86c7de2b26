package ops

import (
	"context"
	"errors"
	"strings"

	"ferry/backend/mirror"
)

// batchOptions reads a batch-serialize or batch-deserialize request.
func batchOptions(req Request) (any, work, error) {
	if strings.TrimSpace(req.Path) == "" {
		return nil, nil, errors.New("choose the sync directory (SYNC-DIRECTORY)")
	}
	if req.Kind == BatchDeserialize {
		if strings.TrimSpace(req.Image) == "" {
			return nil, nil, errors.New("choose the repository to deserialize into (DESTINATION, without a tag)")
		}
		bs, err := sizeOf("block size", req.BlockSize, 0, 0)
		if err != nil {
			return nil, nil, err
		}
		o := mirror.BatchDeserializeOptions{SyncDir: req.Path, Dest: req.Image, SyncFile: req.SyncFile, Strict: req.Strict, BlockSize: bs}
		return o, func(ctx context.Context, env mirror.Env) (any, error) { return mirror.BatchDeserialize(ctx, env, o) }, nil
	}
	if strings.TrimSpace(req.BatchList) == "" {
		return nil, nil, errors.New("choose the batch list (BATCH-LIST, a CSV of name, artifact)")
	}
	so := mirror.SerializeOptions{Compression: req.Compression, ManifestJSON: req.ManifestJSON, Referrers: req.Referrers}
	if err := applySizes(req, &so); err != nil {
		return nil, nil, err
	}
	o := mirror.BatchSerializeOptions{BatchList: req.BatchList, SyncDir: req.Path, TrackerFile: req.TrackerFile, Serialize: so}
	return o, func(ctx context.Context, env mirror.Env) (any, error) { return mirror.BatchSerialize(ctx, env, o) }, nil
}

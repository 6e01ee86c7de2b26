package ops

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"

	"ferry/backend/mirror"
	"ferry/backend/receipt"
)

// IssueReceipt writes site's signed receipt of everything present at
// image (its whole graph, referrers included, where it is) to path, with
// what base says of the medium it came on.
func IssueReceipt(ctx context.Context, env mirror.Env, site *receipt.Site, image string, base receipt.Receipt, path string) (receipt.Receipt, error) {
	repo, hashes, err := mirror.Present(ctx, env, image)
	if err != nil {
		return receipt.Receipt{}, err
	}
	base.Registry, base.Repository, base.Image = repo.RegistryStr(), repo.RepositoryStr(), image
	for _, h := range hashes {
		base.Digests = append(base.Digests, digest.Digest(h.String()))
	}
	return site.Issue(base, path)
}

// ReceiptStatus marks the history item that records a receipt written
// after a deserialize; its Destination is the receipt's path.
const ReceiptStatus = "receipt"

// receiptAfterDeserialize writes this site's receipt of a deserialize that
// put a whole transfer in place (not a dry run), records it in the run and
// says where it is. The transfer has landed whatever happens here, so a
// receipt that cannot be written is reported, not made the run's error.
func receiptAfterDeserialize(ctx context.Context, env mirror.Env, rt Runtime, runID string, opts, result any) {
	o, ok1 := opts.(mirror.DeserializeOptions)
	res, ok2 := result.(mirror.DeserializeResult)
	if !ok1 || !ok2 || o.DryRun || !res.Complete || rt.DataDir == "" {
		return
	}
	say := func(format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		if env.Logf != nil {
			env.Logf("%s", msg)
		}
		rt.notice(msg)
	}
	path, r, err := writeReceipt(ctx, env, rt.DataDir, runID, o, res)
	if err != nil {
		say("No receipt was written: %v (make one with ferry receipt create %s -o FILE)", err, o.Dest)
		return
	}
	if env.Item != nil {
		it := mirror.Item{Source: "receipt of site " + r.Site, Destination: path, Status: ReceiptStatus}
		if data, err := os.ReadFile(path); err == nil {
			it.Digest, it.Bytes = digest.FromBytes(data).String(), int64(len(data))
		}
		env.Item(it)
	}
	say("Receipt of site %s (%d digests in %s/%s) written to %s; take it and %s to the sending side and import it there: ferry receipt import FILE",
		r.Site, len(r.Digests), r.Registry, r.Repository, path, filepath.Base(path)+receipt.SignatureSuffix)
}

func writeReceipt(ctx context.Context, env mirror.Env, dataDir, runID string, o mirror.DeserializeOptions, res mirror.DeserializeResult) (string, receipt.Receipt, error) {
	site, err := receipt.OpenOrNameSite(receipt.SiteDir(dataDir))
	if err != nil {
		return "", receipt.Receipt{}, err
	}
	dir := receipt.IssuedDir(dataDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", receipt.Receipt{}, err
	}
	name := res.SyncID
	if name == "" {
		name = runID
	}
	path := filepath.Join(dir, "receipt-"+name+".json")
	base := receipt.Receipt{SyncID: res.SyncID, RunID: runID}
	for _, v := range res.Volumes {
		base.Volumes = append(base.Volumes, receipt.Volume{Name: v.Label, Size: v.Bytes})
	}
	r, err := IssueReceipt(ctx, env, site, o.Dest, base, path)
	return path, r, err
}

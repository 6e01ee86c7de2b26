package ops

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/opencontainers/go-digest"

	"ferry/backend/mirror"
	"ferry/backend/receipt"
	"ferry/backend/store"
)

// omission is what an incremental serialize leaves out, and why.
type omission struct {
	hashes []v1.Hash
	// from names where the digests come from, for the plan and the log.
	from []string
	// into is the repository that holds them, the one the medium must be
	// read into (a receipt's registry/repository); "" when unknown.
	into string
	// unconfirmed are media sent to the site that no receipt confirms,
	// whose content this medium carries again (--include-unconfirmed).
	unconfirmed []sentMedium
}

// sentMedium is a serialize run whose medium went to a site.
type sentMedium struct {
	run    store.Run
	syncID string
	dest   string
}

func (m sentMedium) String() string {
	return fmt.Sprintf("sync id %s (run %s, written %s to %s)", m.syncID, Short(m.run.ID), m.run.StartedAt.UTC().Format(time.RFC3339), m.dest)
}

// incremental reports whether o leaves out what a site or a run has.
func incremental(o mirror.SerializeOptions) bool { return o.SinceReceipt != "" || o.SinceRun != "" }

// checkSince refuses what an incremental serialize cannot mean, before
// any job starts.
func checkSince(o mirror.SerializeOptions) error {
	if o.IncludeUnconfirmed && o.SinceReceipt == "" {
		return errors.New("--include-unconfirmed goes with --since-receipt SITE")
	}
	if o.SinceReceipt != "" {
		if err := receipt.CheckSiteName(o.SinceReceipt); err != nil {
			return fmt.Errorf("--since-receipt: %w", err)
		}
	}
	return nil
}

// sinceOf reads --since-receipt and --since-run into the blobs to leave
// out. Nothing is assumed delivered: a site's media that no receipt
// confirms stop it (unless their content is to be sent again), and a run
// counts only once a receipt confirms its medium.
func sinceOf(o mirror.SerializeOptions, rt Runtime) (omission, error) {
	var om omission
	if err := checkSince(o); err != nil || !incremental(o) {
		return om, err
	}
	if rt.DataDir == "" || rt.Store == nil {
		return om, errors.New("an incremental serialize needs the history and the receipts of the data directory")
	}
	book := receipt.OpenBook(receipt.BookDir(rt.DataDir))
	if o.SinceReceipt != "" {
		if err := sinceReceipt(&om, book, rt.Store, o.SinceReceipt, o.IncludeUnconfirmed); err != nil {
			return om, err
		}
	}
	if o.SinceRun != "" {
		if err := sinceRun(&om, book, rt.Store, o.SinceRun); err != nil {
			return om, err
		}
	}
	return om, nil
}

func sinceReceipt(om *omission, book *receipt.Book, st *store.Store, site string, includeUnconfirmed bool) error {
	all, err := book.Receipts(site)
	if err != nil {
		return fmt.Errorf("--since-receipt %s: %w", site, err)
	}
	if len(all) == 0 {
		return fmt.Errorf("--since-receipt %s: no receipt of site %s has been imported%s; import the receipt it wrote after its last deserialize (ferry receipt import FILE)",
			site, site, knownSites(book))
	}
	latest := all[len(all)-1]
	sent, err := unconfirmedMedia(st, site, latest, all)
	if err != nil {
		return err
	}
	if len(sent) > 0 && !includeUnconfirmed {
		lines := make([]string, len(sent))
		for i, m := range sent {
			lines[i] = "  medium " + m.String()
		}
		return fmt.Errorf("site %s's latest receipt (%s) does not confirm %s sent to it since:\n%s\n"+
			"Nothing is assumed delivered. If it arrived, import the receipt the site wrote after reading it (ferry receipt import FILE); "+
			"if it was lost, add --include-unconfirmed to send its content again in this medium",
			site, latest.Describe(), plural(len(sent), "the medium", "the media"), strings.Join(lines, "\n"))
	}
	om.unconfirmed = sent
	for _, d := range latest.Digests {
		if h, err := v1.NewHash(d.String()); err == nil {
			om.hashes = append(om.hashes, h)
		}
	}
	om.from = append(om.from, "what site "+site+"'s receipt of "+latest.Created.UTC().Format(time.RFC3339)+" lists")
	om.into = latest.Registry + "/" + latest.Repository
	return nil
}

// unconfirmedMedia are the media sent to site (by serializes that left out
// what it had) since its latest receipt that no receipt of it confirms:
// none names their sync id, and the latest does not list all they carried.
// "Since" counts from the start of the run whose medium the latest receipt
// confirms, when that is earlier than the receipt's own time, so a clock
// on the far side that runs ahead hides no medium.
func unconfirmedMedia(st *store.Store, site string, latest receipt.Receipt, all []receipt.Receipt) ([]sentMedium, error) {
	runs, err := st.ListRuns(store.RunFilter{Kind: string(Serialize), Status: store.StatusSucceeded, Limit: 100000})
	if err != nil {
		return nil, err
	}
	var sent []sentMedium
	cutoff := latest.Created
	for i := len(runs) - 1; i >= 0; i-- { // oldest first
		var o mirror.SerializeOptions
		if json.Unmarshal([]byte(runs[i].Options), &o) != nil || o.SinceReceipt != site {
			continue
		}
		m, err := mediumOf(st, runs[i], o)
		if err != nil {
			return nil, err
		}
		if latest.SyncID != "" && m.syncID == latest.SyncID && m.run.StartedAt.Before(cutoff) {
			cutoff = m.run.StartedAt
		}
		sent = append(sent, m)
	}
	var out []sentMedium
	for _, m := range sent {
		if !m.run.StartedAt.After(cutoff) {
			continue
		}
		if namedBy(m, all) {
			continue
		}
		blobs, err := st.Blobs(m.run.ID)
		if err != nil {
			return nil, err
		}
		if !listsAll(latest, blobs) {
			out = append(out, m)
		}
	}
	return out, nil
}

func mediumOf(st *store.Store, r store.Run, o mirror.SerializeOptions) (sentMedium, error) {
	media, err := st.Media(r.ID)
	if err != nil {
		return sentMedium{}, err
	}
	m := sentMedium{run: r, syncID: "(none recorded)", dest: o.Dest}
	if len(media) > 0 {
		m.syncID = media[0].SyncID
	}
	return m, nil
}

// A medium is confirmed when a receipt names its sync id (namedBy), or when
// a receipt lists every blob the medium confirmed writing (listsAll, given
// the medium's blob rows).
func namedBy(m sentMedium, receipts []receipt.Receipt) bool {
	for _, r := range receipts {
		if r.SyncID != "" && r.SyncID == m.syncID {
			return true
		}
	}
	return false
}

func listsAll(r receipt.Receipt, blobs []store.Blob) bool {
	n := 0
	for _, b := range blobs {
		if !b.Confirmed {
			continue
		}
		n++
		if !r.Has(digest.Digest(b.Digest)) {
			return false
		}
	}
	return n > 0
}

func sinceRun(om *omission, book *receipt.Book, st *store.Store, id string) error {
	r, err := findRun(st, id)
	if err != nil {
		return fmt.Errorf("--since-run: %w", err)
	}
	var o mirror.SerializeOptions
	if r.Kind != string(Serialize) || json.Unmarshal([]byte(r.Options), &o) != nil {
		return fmt.Errorf("--since-run %s: that run is a %s; only what a serialize wrote can be left out", Short(r.ID), r.Kind)
	}
	if r.Status != store.StatusSucceeded {
		return fmt.Errorf("--since-run %s: that run %s; only a completed medium can be confirmed", Short(r.ID), r.Status)
	}
	m, err := mediumOf(st, r, o)
	if err != nil {
		return err
	}
	blobs, err := st.Blobs(r.ID)
	if err != nil {
		return err
	}
	sites, err := book.Sites()
	if err != nil {
		return err
	}
	var by string
	for _, s := range sites {
		rs, err := book.Receipts(s.Site)
		if err != nil {
			return err
		}
		for _, rc := range rs {
			if namedBy(m, []receipt.Receipt{rc}) || listsAll(rc, blobs) {
				by = s.Site
			}
		}
	}
	if by == "" {
		return fmt.Errorf("--since-run %s: no receipt confirms its medium %s; nothing is assumed delivered: import the receipt the site wrote after reading it (ferry receipt import FILE)",
			Short(r.ID), m)
	}
	for _, b := range blobs {
		if h, err := v1.NewHash(b.Digest); err == nil && b.Confirmed {
			om.hashes = append(om.hashes, h)
		}
	}
	om.from = append(om.from, fmt.Sprintf("what run %s wrote (sync id %s, confirmed by site %s)", Short(r.ID), m.syncID, by))
	return nil
}

// findRun finds a run by its id or by the start of it, as history shows it.
func findRun(st *store.Store, id string) (store.Run, error) {
	full, err := st.ResolveRunID(id)
	if err != nil {
		return store.Run{}, err
	}
	return st.GetRun(full)
}

func knownSites(book *receipt.Book) string {
	sites, err := book.Sites()
	if err != nil || len(sites) == 0 {
		return " (no site is known yet)"
	}
	names := make([]string, len(sites))
	for i, s := range sites {
		names[i] = s.Site
	}
	return " (known sites: " + strings.Join(names, ", ") + ")"
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// withOmission adds what om leaves out to o's delivered blobs and logs it.
func withOmission(env mirror.Env, o mirror.SerializeOptions, om omission) mirror.SerializeOptions {
	if len(om.from) == 0 {
		return o
	}
	o.Delivered = append(append([]v1.Hash(nil), o.Delivered...), om.hashes...)
	if env.Logf != nil {
		env.Logf("leaving out %s", strings.Join(om.from, " and "))
		if om.into != "" {
			env.Logf("read this medium into %s, which holds what it leaves out", om.into)
		}
		for _, m := range om.unconfirmed {
			env.Logf("sending again the content of medium %s, which no receipt confirms", m)
		}
	}
	return o
}

// savedNote is the plan's sentence on what an incremental serialize leaves out.
func savedNote(om omission, s mirror.SerializeSavings) string {
	note := fmt.Sprintf("%d blobs, %s", s.Skipped, strings.Join(om.from, " and "))
	if om.into != "" {
		note += "; read the medium into " + om.into + ", which holds them"
	}
	return note
}

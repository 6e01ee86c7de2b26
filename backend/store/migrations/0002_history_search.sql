-- History that stays fast with many runs: the History page lists runs by
-- kind or status newest first, and search finds an image by reference,
-- digest prefix or label across every run.
CREATE INDEX runs_kind_started ON runs(kind, started_at);
CREATE INDEX runs_status_started ON runs(status, started_at);
CREATE INDEX run_items_source ON run_items(source);
CREATE INDEX run_items_destination ON run_items(destination);
CREATE INDEX run_items_digest ON run_items(digest);
CREATE INDEX run_blobs_digest ON run_blobs(digest);
CREATE INDEX media_run_volume ON media(run_id, volume);

-- The labels of every source a run read (gather, archive and clone keep
-- their sources list in the run's options), so search finds images by label.
CREATE TABLE run_labels (
    run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    ref    TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  TEXT NOT NULL
);
CREATE INDEX run_labels_key ON run_labels(key, value);
CREATE INDEX run_labels_run ON run_labels(run_id);

CREATE TRIGGER runs_labels AFTER INSERT ON runs
WHEN json_valid(new.options) AND json_type(new.options, '$.sources') = 'array'
BEGIN
    INSERT INTO run_labels (run_id, ref, key, value)
    SELECT new.id, json_extract(s.value, '$.ref'), l.key, l.value
    FROM json_each(new.options, '$.sources') s, json_each(s.value, '$.labels') l
    WHERE json_type(s.value, '$.labels') = 'object';
END;

INSERT INTO run_labels (run_id, ref, key, value)
SELECT r.id, json_extract(s.value, '$.ref'), l.key, l.value
FROM runs r, json_each(r.options, '$.sources') s, json_each(s.value, '$.labels') l
WHERE json_valid(r.options) AND json_type(r.options, '$.sources') = 'array' AND json_type(s.value, '$.labels') = 'object';

-- Every reference an item names (sources and destinations), once: a search
-- for part of a name reads these few instead of every item of every run.
CREATE TABLE item_names (name TEXT PRIMARY KEY) WITHOUT ROWID;

CREATE TRIGGER run_items_names AFTER INSERT ON run_items
BEGIN
    INSERT OR IGNORE INTO item_names (name) SELECT new.source WHERE new.source != '';
    INSERT OR IGNORE INTO item_names (name) SELECT new.destination WHERE new.destination != '';
END;

INSERT OR IGNORE INTO item_names (name) SELECT source FROM run_items WHERE source != '';
INSERT OR IGNORE INTO item_names (name) SELECT destination FROM run_items WHERE destination != '';

-- Who ran it, with which Ferry: a printable report names them.
ALTER TABLE runs ADD COLUMN operator TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN version TEXT NOT NULL DEFAULT '';

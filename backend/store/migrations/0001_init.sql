-- Runs: one row per operation, whether the GUI or the CLI started it.
CREATE TABLE runs (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    args         TEXT NOT NULL DEFAULT '',   -- the equivalent command line
    options      TEXT NOT NULL DEFAULT '{}', -- the operation's options as JSON, for resume and re-run
    status       TEXT NOT NULL,              -- running, succeeded, failed, cancelled, interrupted
    error        TEXT NOT NULL DEFAULT '',
    started_at   TEXT NOT NULL,
    finished_at  TEXT,
    bytes_done   INTEGER NOT NULL DEFAULT 0,
    bytes_total  INTEGER NOT NULL DEFAULT 0,
    items_done   INTEGER NOT NULL DEFAULT 0,
    items_total  INTEGER NOT NULL DEFAULT 0,
    failures     INTEGER NOT NULL DEFAULT 0,
    pid          INTEGER NOT NULL DEFAULT 0,
    host         TEXT NOT NULL DEFAULT '',
    resumed_from TEXT REFERENCES runs(id) ON DELETE SET NULL
);
CREATE INDEX runs_started ON runs(started_at);
CREATE INDEX runs_status ON runs(status);

-- One row per image and destination a run handled.
CREATE TABLE run_items (
    id          INTEGER PRIMARY KEY,
    run_id      TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    source      TEXT NOT NULL DEFAULT '',
    destination TEXT NOT NULL DEFAULT '',
    digest      TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,              -- done, skipped, failed, planned
    error       TEXT NOT NULL DEFAULT '',
    bytes       INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT NOT NULL
);
CREATE INDEX run_items_run ON run_items(run_id);

-- Blobs written to or read from a medium; offset is the end offset on the
-- uncompressed stream, recorded only once the medium confirmed it.
CREATE TABLE run_blobs (
    run_id     TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    digest     TEXT NOT NULL,
    size       INTEGER NOT NULL,
    media_type TEXT NOT NULL DEFAULT '',
    volume     INTEGER NOT NULL DEFAULT 1,
    offset     INTEGER NOT NULL DEFAULT 0,
    confirmed  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (run_id, digest)
);

CREATE TABLE media (
    id         INTEGER PRIMARY KEY,
    run_id     TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    label      TEXT NOT NULL DEFAULT '',
    device     TEXT NOT NULL DEFAULT '',
    sync_id    TEXT NOT NULL DEFAULT '',
    volume     INTEGER NOT NULL DEFAULT 1,
    last       INTEGER NOT NULL DEFAULT 0,
    bytes      INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX media_run ON media(run_id);

CREATE TABLE run_log (
    run_id  TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    time    TEXT NOT NULL,
    level   TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);

-- Saved sources lists and mapping rules; every save is a new version.
CREATE TABLE documents (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL,               -- sources, mapping
    name       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    content    TEXT NOT NULL,
    meta       TEXT NOT NULL DEFAULT '{}',  -- e.g. the mapper type
    created_at TEXT NOT NULL,
    UNIQUE (kind, name, version)
);

CREATE TABLE preferences (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

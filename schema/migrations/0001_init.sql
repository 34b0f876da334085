-- 0001_init.sql - the daemon's first schema: experiments, their jobs (with
-- leases), API tokens and the workers seen.  Times are unix seconds (REAL).
-- Applied once, in one transaction, by server/db.c; PRAGMA user_version then
-- holds the number of the last migration applied.

CREATE TABLE experiments (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT, -- submission order, for paging
    id          TEXT    NOT NULL UNIQUE,           -- uuid (libuuid)
    state       TEXT    NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued','running','succeeded','failed','cancelled')),
    task        TEXT,                              -- copied from the spec, for filters
    model       TEXT,
    spec        TEXT    NOT NULL,                  -- the spec as submitted (JSON)
    n_jobs      INTEGER NOT NULL,
    result      TEXT,                              -- lm_run_aggregate's JSON, once succeeded
    error       TEXT,                              -- why it failed
    token_id    INTEGER REFERENCES tokens(id),     -- who submitted it
    created_at  REAL    NOT NULL,
    updated_at  REAL    NOT NULL,
    finished_at REAL
);
CREATE INDEX experiments_by_state ON experiments(state, seq);
CREATE INDEX experiments_by_task  ON experiments(task, seq);
CREATE INDEX experiments_by_model ON experiments(model, seq);

-- One row per element of lm_run_list_jobs(spec).  A lease is a capability: a
-- worker names its lease id, never the job, so a worker whose lease was
-- handed to another worker can no longer change the job.
CREATE TABLE jobs (
    id            TEXT    PRIMARY KEY,             -- uuid
    experiment_id TEXT    NOT NULL REFERENCES experiments(id),
    idx           INTEGER NOT NULL,                -- position in the job list
    job           TEXT    NOT NULL,                -- the job object (JSON)
    seed          INTEGER,
    method        TEXT,
    state         TEXT    NOT NULL DEFAULT 'queued'
                  CHECK (state IN ('queued','running','succeeded','failed','cancelled')),
    attempts      INTEGER NOT NULL DEFAULT 0,      -- leases handed out so far
    lease_id      TEXT    UNIQUE,                  -- the latest lease (kept after expiry)
    lease_expires REAL,
    worker        TEXT,                            -- name the leasing worker gave
    progress      REAL    NOT NULL DEFAULT 0,
    stage         TEXT,
    result        TEXT,                            -- the job result (JSON)
    error         TEXT,                            -- last error text
    queued_at     REAL    NOT NULL,
    started_at    REAL,                            -- start of the latest lease
    finished_at   REAL,
    UNIQUE (experiment_id, idx)
);
CREATE INDEX jobs_queue   ON jobs(state, queued_at);
CREATE INDEX jobs_expires ON jobs(state, lease_expires);

CREATE TABLE tokens (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('user','worker')),
    hash       TEXT    NOT NULL UNIQUE,            -- hex sha256 of the token
    note       TEXT,
    created_at REAL    NOT NULL,
    revoked_at REAL
);

CREATE TABLE workers (
    name      TEXT PRIMARY KEY,
    last_seen REAL NOT NULL
);

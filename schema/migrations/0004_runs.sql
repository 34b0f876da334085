-- 0002_runs.sql - what a runs table needs: a name that can change, tags,
-- re-runs, the headline metrics of each result as columns (so that lists
-- sort and filter in SQL), partial results while seeds remain, the
-- artifacts with their shapes, and what workers say about themselves.

ALTER TABLE experiments ADD COLUMN name TEXT;          -- the spec's name, renamed at will
UPDATE experiments SET name = json_extract(spec, '$.name');
ALTER TABLE experiments ADD COLUMN rerun_of TEXT;      -- the experiment this one re-runs
ALTER TABLE experiments ADD COLUMN partial TEXT;       -- the aggregate of the finished seeds while others run
ALTER TABLE experiments ADD COLUMN seeds_total INTEGER NOT NULL DEFAULT 0;
ALTER TABLE experiments ADD COLUMN seeds_done  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE experiments ADD COLUMN headline TEXT;      -- lm_experiment_headline of result (or partial)
ALTER TABLE experiments ADD COLUMN result_rows TEXT;   -- lm_experiment_result_rows, for export
ALTER TABLE experiments ADD COLUMN kernel_test REAL;   -- headline numbers, for sorting
ALTER TABLE experiments ADD COLUMN finetune_test REAL;
ALTER TABLE experiments ADD COLUMN zero_shot_test REAL;
ALTER TABLE experiments ADD COLUMN verdict TEXT;
UPDATE experiments SET seeds_total =
    (SELECT COUNT(DISTINCT j.seed) FROM jobs j WHERE j.experiment_id = experiments.id);
UPDATE experiments SET seeds_done = seeds_total WHERE state = 'succeeded';
CREATE INDEX experiments_by_name ON experiments(name, seq);

CREATE TABLE experiment_tags (
    experiment_id TEXT NOT NULL REFERENCES experiments(id),
    tag           TEXT NOT NULL,
    PRIMARY KEY (experiment_id, tag)
) WITHOUT ROWID;
CREATE INDEX tags_by_tag ON experiment_tags(tag, experiment_id);

-- Every stored artifact file: <data>/artifacts/<experiment>/<job_idx>/<file>
-- (job_idx -1: the experiment's own, result.json).  Written once the file is
-- in place; the daemon indexes files of older versions at start-up.
CREATE TABLE artifacts (
    experiment_id TEXT    NOT NULL REFERENCES experiments(id),
    job_idx       INTEGER NOT NULL,
    file          TEXT    NOT NULL,                -- "kernel-train.npy", "finetuned-model/config.json"
    bytes         INTEGER NOT NULL,
    dtype         TEXT,                            -- .npy only: "<f8" ...
    shape         TEXT,                            -- .npy only: JSON array
    created_at    REAL    NOT NULL,
    PRIMARY KEY (experiment_id, job_idx, file)
) WITHOUT ROWID;

ALTER TABLE workers ADD COLUMN host TEXT;
ALTER TABLE workers ADD COLUMN mem_limit_bytes INTEGER;
ALTER TABLE workers ADD COLUMN first_seen REAL;
UPDATE workers SET first_seen = last_seen;

-- 0005_job_deps.sql - a job may be after other jobs of its experiment (a
-- sharded kernel's merge job is after its tile jobs, lm_experiment_jobs'
-- "after"): it is not leased until every one of them succeeded, it reads
-- their artifacts through its lease (GET /v1/leases/{lease}/inputs), and
-- it fails with the reason when one of them fails for good.
CREATE TABLE job_deps (
    job_id   TEXT NOT NULL REFERENCES jobs(id),    -- the job that waits
    after_id TEXT NOT NULL REFERENCES jobs(id),    -- the job it waits for
    PRIMARY KEY (job_id, after_id)
) WITHOUT ROWID;
CREATE INDEX job_deps_by_after ON job_deps(after_id, job_id);

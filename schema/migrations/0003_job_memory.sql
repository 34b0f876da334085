-- 0003_job_memory.sql - each job keeps the least memory it needs (bytes,
-- common/run/memory.h), estimated at submit; a worker that advertises less
-- with its lease request is not given the job.  NULL: not known (jobs from
-- before this migration, and jobs on a worker's built-in default model).
ALTER TABLE jobs ADD COLUMN mem_bytes INTEGER;

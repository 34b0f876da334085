-- 0002_ownership.sql - experiments belong to users.  A token now names the
-- user it acts for (several tokens may act for one user, e.g. while one is
-- rotated), and a third kind of token, admin, may read and cancel every
-- experiment.  Tokens made before this migration get a user of their own,
-- "token-<id>"; each experiment belongs to the user of the token that
-- submitted it (NULL when none is known: only admins see those).
--
-- The CHECK on tokens.kind changes, so the table is rebuilt (SQLite cannot
-- alter a CHECK); server/db.c runs migrations with foreign keys off and
-- checks them (PRAGMA foreign_key_check) before it commits.

CREATE TABLE tokens_v2 (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('user','worker','admin')),
    user_name  TEXT    NOT NULL,                   -- whose experiments this token's are
    hash       TEXT    NOT NULL UNIQUE,            -- hex sha256 of the token
    note       TEXT,
    created_at REAL    NOT NULL,
    revoked_at REAL
);
INSERT INTO tokens_v2(id, kind, user_name, hash, note, created_at, revoked_at)
    SELECT id, kind, 'token-' || id, hash, note, created_at, revoked_at FROM tokens;
DROP TABLE tokens;
ALTER TABLE tokens_v2 RENAME TO tokens;

ALTER TABLE experiments ADD COLUMN owner TEXT;  -- tokens.user_name of the submitter
UPDATE experiments SET owner = (SELECT t.user_name FROM tokens t WHERE t.id = experiments.token_id);
CREATE INDEX experiments_by_owner ON experiments(owner, seq);

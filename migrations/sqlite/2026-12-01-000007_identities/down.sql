DROP TABLE identity_signups;
DROP TABLE auth_pending;
DROP TABLE identities;
DELETE FROM users WHERE password_hash IS NULL;
-- Stays nullable on SQLite: restoring NOT NULL would need a table rebuild.

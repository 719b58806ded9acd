DROP TABLE identity_signups;
DROP TABLE auth_pending;
DROP TABLE identities;
DELETE FROM users WHERE password_hash IS NULL;
ALTER TABLE users ALTER COLUMN password_hash SET NOT NULL;

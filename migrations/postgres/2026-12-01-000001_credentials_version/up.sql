-- Bumped by every change of what a login proves (password set, changed or reset, account
-- deactivated). A login remembers the version it verified and starts its session only if
-- the version is still the same, so a login racing a reset cannot outlive it.
ALTER TABLE users ADD COLUMN credentials_version BIGINT NOT NULL DEFAULT 0;

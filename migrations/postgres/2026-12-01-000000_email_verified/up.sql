-- When the account's current address was confirmed by its owner; NULL: not yet.
-- Accounts from before email verification existed count as verified (their owners have
-- been receiving reset links at that address all along).
ALTER TABLE users ADD COLUMN email_verified_at TIMESTAMP;
UPDATE users SET email_verified_at = created_at;

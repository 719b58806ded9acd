-- Links emailed about an account's address, one table for their three purposes:
--   verify: confirms `email`, the address it was sent to (24 hours);
--   change: makes `email`, the new address it was sent to, the account's (1 hour);
--   revert: restores `email`, the old address it was sent to (7 days).
-- Only the SHA-256 of a token is stored. A token is bound to `email`: it acts on that
-- address and no other.
CREATE TABLE email_tokens (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT      NOT NULL CHECK (purpose IN ('verify', 'change', 'revert')),
    token_hash TEXT      NOT NULL UNIQUE,
    email      TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX email_tokens_user_idx ON email_tokens (user_id, purpose);

-- An account signed up through a provider has no password until it sets one by reset.
-- SQLite cannot drop NOT NULL in place; a new column keeps every other column (whatever
-- other migrations added) where a table rebuild would have to list them.
ALTER TABLE users ADD COLUMN password_hash_nullable TEXT;
UPDATE users SET password_hash_nullable = password_hash;
ALTER TABLE users DROP COLUMN password_hash;
ALTER TABLE users RENAME COLUMN password_hash_nullable TO password_hash;

-- Accounts linked to identity providers, keyed by (provider, subject), never by email.
CREATE TABLE identities (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    provider   TEXT      NOT NULL,
    subject    TEXT      NOT NULL,
    user_id    INTEGER   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    email      TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (provider, subject)
);
CREATE INDEX identities_user_id_idx ON identities (user_id);

-- A sign-in sent to a provider and not yet back: the SHA-256 of its `state`, bound to
-- the browser by the SHA-256 of a random value in its cookie session. Single use, 10
-- minutes; in the database so that the callback may land on any instance.
CREATE TABLE auth_pending (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    state_hash     TEXT      NOT NULL UNIQUE,
    browser_hash   TEXT      NOT NULL,
    provider       TEXT      NOT NULL,
    pkce_verifier  TEXT      NOT NULL,
    nonce          TEXT      NOT NULL,
    next_path      TEXT      NOT NULL,
    link_user_id   INTEGER   REFERENCES users (id) ON DELETE CASCADE,
    created_at     TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP NOT NULL
);
CREATE INDEX auth_pending_expires_at_idx ON auth_pending (expires_at);

-- A new identity waiting on /auth/complete for its username; bound to the browser the same
-- way (the SHA-256 of a random value in its cookie session), 10 minutes.
CREATE TABLE identity_signups (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash     TEXT      NOT NULL UNIQUE,
    provider       TEXT      NOT NULL,
    subject        TEXT      NOT NULL,
    email          TEXT      NOT NULL,
    email_verified BOOLEAN   NOT NULL,
    username_hint  TEXT      NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP NOT NULL
);

-- Passkeys (WebAuthn credentials): webauthn-rs' `Passkey` as JSON (public data only: the
-- credential id, public key and counter), one row each, the credential id unique across
-- every account. `sign_count` mirrors the counter so that an update is conditional on it.
CREATE TABLE passkeys (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id       INTEGER   NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id TEXT      NOT NULL UNIQUE,
    user_handle   TEXT      NOT NULL,
    name          TEXT      NOT NULL,
    passkey       TEXT      NOT NULL,
    sign_count    INTEGER   NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    last_used_at  TIMESTAMP
);
CREATE INDEX passkeys_user_id_idx ON passkeys (user_id);

-- A WebAuthn ceremony between its start and its finish: webauthn-rs' state (holding the
-- random challenge) as JSON, bound to the browser by the SHA-256 of a random value in its
-- cookie session. Single use (taken by a delete), 5 minutes, one per browser and purpose;
-- in the database so that a ceremony started on one instance finishes on another.
CREATE TABLE webauthn_ceremonies (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    browser_hash TEXT      NOT NULL,
    purpose      TEXT      NOT NULL,
    user_id      INTEGER   REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT      NOT NULL,
    state        TEXT      NOT NULL,
    created_at   TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    UNIQUE (browser_hash, purpose)
);
CREATE INDEX webauthn_ceremonies_expires_at_idx ON webauthn_ceremonies (expires_at);

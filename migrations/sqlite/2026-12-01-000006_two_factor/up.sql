-- Two-factor authentication (mirrors migrations/postgres). One TOTP secret per account, sealed with a key derived from
-- SECRET_KEY; `enabled_at` stays NULL until a code confirms the enrolment. `last_step` is
-- the last accepted time step: a code is accepted only for a greater one, so none is used twice.
CREATE TABLE two_factor (
    user_id       BIGINT    PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_sealed TEXT      NOT NULL,
    enabled_at    TIMESTAMP,
    last_step     BIGINT    NOT NULL DEFAULT -1,
    created_at    TIMESTAMP NOT NULL
);

-- SHA-256 of each unused recovery code (120 random bits each); using one deletes it.
CREATE TABLE recovery_codes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id   BIGINT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT      NOT NULL,
    UNIQUE (user_id, code_hash)
);

-- A right password waiting for its second factor: not a session. The browser holds a
-- random token; only its SHA-256 is stored, so every instance can finish the sign-in.
CREATE TABLE pending_sign_ins (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash          TEXT      NOT NULL UNIQUE,
    user_id             BIGINT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credentials_version BIGINT    NOT NULL,
    require_verified    BOOLEAN   NOT NULL,
    remember            BOOLEAN   NOT NULL,
    -- Begun by the JSON API (finished by POST /api/v1/auth/mfa), not by the login form.
    api                 BOOLEAN   NOT NULL,
    next_path           TEXT,
    failures            INTEGER   NOT NULL DEFAULT 0,
    expires_at          TIMESTAMP NOT NULL
);
CREATE INDEX pending_sign_ins_expires_at_idx ON pending_sign_ins (expires_at);

-- Browsers that skip the second step for 30 days (never the password): token hashes.
CREATE TABLE remembered_devices (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT      NOT NULL UNIQUE,
    user_id    BIGINT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX remembered_devices_user_id_idx ON remembered_devices (user_id);

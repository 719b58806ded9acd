-- The audit log, the email outbox, password-reset tokens and the throttling log.

-- Append-only: no foreign keys (an entry outlives the accounts it names) and a trigger
-- that refuses every UPDATE and DELETE.
CREATE TABLE audit_events (
    id         BIGSERIAL PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    action     TEXT      NOT NULL,
    actor_id   BIGINT,
    target_id  BIGINT,
    -- What the actor typed or the value acted on, e.g. an unknown username at login.
    subject    TEXT      NOT NULL DEFAULT '',
    details    TEXT      NOT NULL DEFAULT '',
    ip         TEXT      NOT NULL DEFAULT '',
    user_agent TEXT      NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, id DESC);
CREATE INDEX audit_events_target_idx ON audit_events (target_id, id DESC);

CREATE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- Written in the same transaction as what caused the email; a worker sends it.
CREATE TABLE email_outbox (
    id              BIGSERIAL PRIMARY KEY,
    created_at      TIMESTAMP NOT NULL,
    kind            TEXT      NOT NULL,
    recipient       TEXT      NOT NULL,
    subject         TEXT      NOT NULL,
    body_text       TEXT      NOT NULL,
    body_html       TEXT      NOT NULL,
    -- pending | sent | failed
    status          TEXT      NOT NULL DEFAULT 'pending',
    attempts        INTEGER   NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error      TEXT,
    sent_at         TIMESTAMP
);
CREATE INDEX email_outbox_due_idx ON email_outbox (status, next_attempt_at);

-- Only the SHA-256 of a reset token is stored.
CREATE TABLE password_reset_tokens (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash TEXT      NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX password_reset_tokens_user_idx ON password_reset_tokens (user_id);

-- One row per throttled event (a failed login, a reset request...), keyed by what it
-- counts against, e.g. 'login-ip:203.0.113.9'. Shared by every instance.
CREATE TABLE throttle_events (
    id         BIGSERIAL PRIMARY KEY,
    bucket     TEXT      NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX throttle_events_bucket_idx ON throttle_events (bucket, created_at);
CREATE INDEX throttle_events_created_idx ON throttle_events (created_at);

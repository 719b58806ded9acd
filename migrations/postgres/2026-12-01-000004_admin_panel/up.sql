-- The admin panel: indexes for its filters, sorts and overview, and a daily count of
-- refused (throttled) logins, which are otherwise only logged.

-- "Last login" sorting: most recent first with never-logged-in accounts last, or (the
-- same index backwards) never first, then the oldest.
CREATE INDEX users_last_login_idx ON users ((last_login_at IS NULL), last_login_at DESC, id DESC);
-- The rare statuses, newest first, without walking every account.
CREATE INDEX users_deactivated_idx ON users (created_at DESC, id DESC) WHERE NOT is_active;
CREATE INDEX users_unverified_idx ON users (created_at DESC, id DESC) WHERE email_verified_at IS NULL;

-- The overview's daily counts of one action, and the audit log's action and date filters.
CREATE INDEX audit_events_action_created_idx ON audit_events (action, created_at);
CREATE INDEX audit_events_created_idx ON audit_events (created_at);

-- An account's pending and failed emails on its admin page.
CREATE INDEX email_outbox_recipient_idx ON email_outbox (recipient, id);

-- One row per day and kind ('login'), bumped by every refused attempt: a bounded record
-- (throttle_events keeps a day at most, and a flood of refusals must not flood the audit log).
CREATE TABLE throttle_refusals (
    day   TEXT   NOT NULL,
    kind  TEXT   NOT NULL,
    count BIGINT NOT NULL,
    PRIMARY KEY (day, kind)
);

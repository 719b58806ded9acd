DROP TABLE throttle_events;
DROP TABLE password_reset_tokens;
DROP TABLE email_outbox;
DROP TABLE audit_events;

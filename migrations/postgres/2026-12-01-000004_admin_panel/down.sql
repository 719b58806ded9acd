DROP TABLE throttle_refusals;
DROP INDEX email_outbox_recipient_idx;
DROP INDEX audit_events_created_idx;
DROP INDEX audit_events_action_created_idx;
DROP INDEX users_unverified_idx;
DROP INDEX users_deactivated_idx;
DROP INDEX users_last_login_idx;

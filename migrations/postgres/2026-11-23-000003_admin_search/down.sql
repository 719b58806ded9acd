DROP INDEX users_email_trgm_idx;
DROP INDEX users_username_trgm_idx;
-- pg_trgm stays: it may have been there before, and other objects may use it.

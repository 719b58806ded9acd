-- The admin panel's search: a case-insensitive substring of the username or the email.
-- A leading-wildcard LIKE can't use a b-tree, so trigram GIN indexes keep it fast at
-- 100,000+ accounts. pg_trgm ships with PostgreSQL (contrib); creating it needs a role
-- allowed to (a superuser, or the database owner since PostgreSQL 13, as it is trusted).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX users_username_trgm_idx ON users USING gin (lower(username) gin_trgm_ops);
-- Emails are stored lower-case (a CHECK says so), so the column itself is indexed.
CREATE INDEX users_email_trgm_idx ON users USING gin (email gin_trgm_ops);

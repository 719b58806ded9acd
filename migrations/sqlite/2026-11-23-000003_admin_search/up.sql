-- The admin panel's search. SQLite has no trigram index, and a leading-wildcard LIKE
-- can't use a b-tree, so the search scans `users`: at 100,000 accounts that is a few
-- milliseconds. The ordering already has users_created_at_id_idx. Nothing to add here;
-- this folder mirrors migrations/postgres so the two stay in step.
SELECT 1;

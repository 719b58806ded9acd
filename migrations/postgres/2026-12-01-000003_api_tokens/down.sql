DROP TABLE personal_access_tokens;
DROP TABLE signing_keys;
DROP TABLE refresh_tokens;
ALTER TABLE sessions DROP COLUMN kind;

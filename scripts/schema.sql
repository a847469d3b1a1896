-- schema.sql: the tables login-etl loads, for a database prepared in
-- advance (psql -f schema.sql).  pg-load creates the ledger itself when
-- it may; the ledger below is exactly what `pg-load --ledger-ddl`
-- prints, and a test keeps the two the same.

-- The users' table, unchanged: the tools work against it as it is.
CREATE TABLE IF NOT EXISTS user_logins(
    user_id varchar(128), device_type varchar(32),
    masked_ip varchar(256), masked_device_id varchar(256),
    locale varchar(32), app_version integer, create_date date);

-- pg-load's ledger: one row per loaded message, written in the same
-- transaction as the message's row, so a redelivered or replayed
-- message is loaded once.  See pg-load(1).
CREATE TABLE IF NOT EXISTS login_etl_ledger(
    target text NOT NULL,
    sent_timestamp bigint NOT NULL,
    message_id text NOT NULL,
    loaded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (target, sent_timestamp, message_id));

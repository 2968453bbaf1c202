-- what the last check read from each catalog feed, for `basket feeds list`:
-- the last good read (when, products kept, records skipped) and the error of
-- the last run if that run failed (cleared by the next good read)
CREATE TABLE feed_reads (
    feed      TEXT PRIMARY KEY,
    ok_at     TEXT,
    products  INTEGER NOT NULL DEFAULT 0,
    skipped   INTEGER NOT NULL DEFAULT 0,
    error     TEXT,
    error_at  TEXT
);

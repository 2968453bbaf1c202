
    CREATE TABLE observations (
        id            INTEGER PRIMARY KEY,
        feed          TEXT NOT NULL,
        product_id    TEXT NOT NULL,
        gtin          TEXT,
        name          TEXT NOT NULL,
        price         TEXT,
        regular_price TEXT,
        currency      TEXT,
        availability  TEXT,
        observed_at   TEXT NOT NULL
    );
    CREATE INDEX observations_by_product ON observations (feed, product_id, observed_at);
    CREATE INDEX observations_by_gtin ON observations (gtin, observed_at);
    CREATE INDEX observations_by_time ON observations (observed_at);

    CREATE TABLE feed_runs (
        feed        TEXT PRIMARY KEY,
        first_ok_at TEXT NOT NULL,
        last_ok_at  TEXT NOT NULL
    );

    -- a rule that fired for a product stays latched until its condition is
    -- false for that product at some run (hysteresis)
    CREATE TABLE latches (
        rule       TEXT NOT NULL,
        feed       TEXT NOT NULL,
        product_id TEXT NOT NULL,
        since      TEXT NOT NULL,
        PRIMARY KEY (rule, feed, product_id)
    );

    CREATE TABLE rule_runs (
        rule         TEXT PRIMARY KEY,
        first_run_at TEXT NOT NULL,
        last_run_at  TEXT NOT NULL
    );
    
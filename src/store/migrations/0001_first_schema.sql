
    CREATE TABLE basket_items (
        -- seq keeps the order items were added in: an explicit INTEGER PRIMARY KEY,
        -- because VACUUM may renumber implicit rowids.
        seq          INTEGER PRIMARY KEY,
        feed         TEXT NOT NULL,
        product_id   TEXT NOT NULL,
        product_json TEXT NOT NULL,
        quantity     INTEGER NOT NULL CHECK (quantity >= 1),
        added_by     TEXT NOT NULL,
        added_at     TEXT NOT NULL,
        UNIQUE (feed, product_id)
    );

    CREATE TABLE pending (
        seq           INTEGER PRIMARY KEY,
        id            TEXT NOT NULL UNIQUE,
        proposal_json TEXT NOT NULL,
        first_seen    TEXT NOT NULL,
        last_seen     TEXT NOT NULL
    );

    CREATE TABLE decisions (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        proposal_id   TEXT NOT NULL,
        decided_at    TEXT NOT NULL,
        rule          TEXT NOT NULL,
        action        TEXT NOT NULL CHECK (action IN ('add', 'remove', 'swap')),
        feed          TEXT NOT NULL,
        product_id    TEXT NOT NULL,
        product_name  TEXT NOT NULL,
        price         TEXT,
        currency      TEXT,
        quantity      INTEGER NOT NULL,
        -- what a swap replaced: not in DecisionRecord yet, but lost forever if not kept
        replaces_feed TEXT,
        replaces_id   TEXT,
        decision      TEXT NOT NULL CHECK (decision IN ('approved', 'declined'))
    );
    CREATE INDEX decisions_by_proposal ON decisions (proposal_id, decided_at);
    CREATE INDEX decisions_by_time ON decisions (decided_at);

    -- one row per (rule, product): the last time it was notified and what it was then
    CREATE TABLE notified (
        rule         TEXT NOT NULL,
        feed         TEXT NOT NULL,
        product_id   TEXT NOT NULL,
        price        TEXT,
        availability TEXT,
        notified_at  TEXT NOT NULL,
        PRIMARY KEY (rule, feed, product_id)
    );
    

    -- one row per checked-out basket line: the product whole (as the basket
    -- held it), the price paid per unit and who added the line
    CREATE TABLE purchases (
        id            INTEGER PRIMARY KEY,
        bought_at     TEXT NOT NULL,
        feed          TEXT NOT NULL,
        product_id    TEXT NOT NULL,
        product_name  TEXT NOT NULL,
        product_json  TEXT NOT NULL,
        quantity      INTEGER NOT NULL CHECK (quantity >= 1),
        price         TEXT,
        currency      TEXT,
        regular_price TEXT,
        added_by      TEXT NOT NULL
    );
    CREATE INDEX purchases_by_time ON purchases (bought_at);
    CREATE INDEX purchases_by_product ON purchases (feed, product_id, bought_at);

    -- a basket line whose feed answered without listing it, since when; NULL
    -- while it is listed (or no check has looked since it was added)
    ALTER TABLE basket_items ADD COLUMN unlisted_since TEXT;

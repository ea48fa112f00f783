-- Silver: typed, cleaned orders with all three kinds of expectation.
CREATE OR REFRESH STREAMING TABLE silver_orders (
  CONSTRAINT valid_order_id EXPECT (order_id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT non_negative_amount EXPECT (amount >= 0) ON VIOLATION FAIL UPDATE,
  CONSTRAINT known_status EXPECT (status IN ('placed', 'shipped', 'delivered', 'returned'))
)
COMMENT 'Orders with a key, a non-negative amount and a normalised status'
AS SELECT
  CAST(order_id AS BIGINT) AS order_id,
  CAST(customer_id AS BIGINT) AS customer_id,
  CAST(order_ts AS TIMESTAMP) AS order_ts,
  CAST(amount AS DOUBLE) AS amount,
  lower(trim(status)) AS status
FROM STREAM(bronze_orders);

-- The latest record per customer.
CREATE OR REFRESH MATERIALIZED VIEW silver_customers (
  CONSTRAINT has_country EXPECT (country IS NOT NULL) ON VIOLATION DROP ROW
)
AS SELECT customer_id, name, country
FROM (
  SELECT CAST(customer_id AS BIGINT) AS customer_id, name, country,
         row_number() OVER (PARTITION BY customer_id ORDER BY updated_at DESC) AS rn
  FROM bronze_customers
)
WHERE rn = 1;

-- Change events with a key and a sequence number (malformed events are dropped here; their raw
-- values stay in bronze_customer_changes._rescued_data).
CREATE OR REFRESH STREAMING TABLE silver_customer_changes (
  CONSTRAINT valid_change EXPECT (customer_id IS NOT NULL AND seq IS NOT NULL AND op IN ('INSERT', 'UPDATE', 'DELETE')) ON VIOLATION DROP ROW
)
AS SELECT * FROM STREAM(bronze_customer_changes);

-- SCD type 2 customers dimension: one row per version, __START_AT / __END_AT from seq; the current
-- version has __END_AT NULL; events out of order (in a file or across files) resolve by seq.
CREATE OR REFRESH STREAMING TABLE customers_scd2
COMMENT 'Customer history (SCD type 2)';

CREATE FLOW customers_scd2_flow AS AUTO CDC INTO customers_scd2
FROM stream(silver_customer_changes)
KEYS (customer_id)
APPLY AS DELETE WHEN op = 'DELETE'
SEQUENCE BY seq
COLUMNS * EXCEPT (op, _rescued_data)
STORED AS SCD TYPE 2;

-- SCD type 1: the current record per customer (deleted customers are gone), in the older spelling.
CREATE OR REFRESH STREAMING TABLE customers_current
COMMENT 'Current customers (SCD type 1)';

APPLY CHANGES INTO LIVE.customers_current
FROM STREAM(LIVE.silver_customer_changes)
KEYS (customer_id)
APPLY AS DELETE WHEN op = 'DELETE'
SEQUENCE BY seq
COLUMNS * EXCEPT (op, _rescued_data)
STORED AS SCD TYPE 1;

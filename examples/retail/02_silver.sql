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

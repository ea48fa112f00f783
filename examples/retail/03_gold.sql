-- Gold: revenue per country (returned orders excluded).
CREATE OR REFRESH MATERIALIZED VIEW gold_sales_by_country
COMMENT 'Orders and revenue per customer country'
AS SELECT
  c.country,
  count(*) AS orders,
  round(sum(o.amount), 2) AS revenue
FROM silver_orders o
JOIN silver_customers c ON o.customer_id = c.customer_id
WHERE o.status <> 'returned'
GROUP BY c.country;

-- Gold over the CDC tables: current customers per country and how many versions their history holds.
CREATE OR REFRESH MATERIALIZED VIEW gold_customers_by_country
COMMENT 'Current customers per country, with the number of SCD2 versions behind them'
AS SELECT
  cur.country,
  count(*) AS customers,
  sum(h.versions) AS versions
FROM customers_current cur
JOIN (SELECT customer_id, count(*) AS versions FROM customers_scd2 GROUP BY customer_id) h ON cur.customer_id = h.customer_id
GROUP BY cur.country;

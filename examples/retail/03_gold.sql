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

-- Bronze: raw landing files, each new file loaded exactly once (Auto Loader semantics).
CREATE OR REFRESH STREAMING TABLE bronze_orders
COMMENT 'Raw orders from the landing folder'
AS SELECT * FROM STREAM read_files('${landing}/orders', format => 'csv', header => true);

CREATE OR REFRESH STREAMING TABLE bronze_customers
COMMENT 'Raw customer records from the landing folder'
AS SELECT * FROM STREAM read_files('${landing}/customers', format => 'csv', header => true);

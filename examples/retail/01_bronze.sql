-- Bronze: raw landing files, each new file loaded exactly once (Auto Loader semantics).
CREATE OR REFRESH STREAMING TABLE bronze_orders
COMMENT 'Raw orders from the landing folder'
AS SELECT * FROM STREAM read_files('${landing}/orders', format => 'csv', header => true);

CREATE OR REFRESH STREAMING TABLE bronze_customers
COMMENT 'Raw customer records from the landing folder'
AS SELECT * FROM STREAM read_files('${landing}/customers', format => 'csv', header => true);

-- The customers change feed (JSON lines). The schema is inferred from the first file and kept;
-- a later file with a new column adds it (schemaEvolutionMode addNewColumns, the default), and
-- values that don't fit (or lines that are not JSON) land in _rescued_data with the file's path.
CREATE OR REFRESH STREAMING TABLE bronze_customer_changes
COMMENT 'Raw customer change events (INSERT / UPDATE / DELETE)'
AS SELECT * FROM STREAM read_files('${landing}/customer_changes', format => 'json', schemaEvolutionMode => 'addNewColumns');

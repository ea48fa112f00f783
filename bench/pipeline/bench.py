"""bench/pipeline: see run.sh. The retail example's orders path, bronze -> silver -> gold, on N order rows:
Ingot (`ingot pipelines run` against a running server), the same SQL as a PySpark job (local[2]) and as a
DuckDB script, in one run on the same landing files. Prints wall-time medians per engine and Ingot/other
speed ratios (>1 means Ingot is faster), after checking that the three gold tables agree."""
import csv
import io
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROWS = int(os.environ.get("BENCH_ROWS", "10000000"))
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
FILES = int(os.environ.get("BENCH_FILES", "10"))
SMOKE = os.environ.get("BENCH_SMOKE") == "1"
PYSPARK = os.environ.get("BENCH_PYSPARK", "1") == "1"
INGOT = os.environ["INGOT_BIN"]
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(REPO, "examples", "retail")

# The example's bronze/silver/gold statements for orders and customers (examples/retail/0*.sql; the CDC
# datasets are left out: they scale with customers, not orders). ${landing} is the pipeline configuration.
PIPELINE_SQL = {
    "01_bronze.sql": """
CREATE OR REFRESH STREAMING TABLE bronze_orders
AS SELECT * FROM STREAM read_files('${landing}/orders', format => 'csv', header => true);

CREATE OR REFRESH STREAMING TABLE bronze_customers
AS SELECT * FROM STREAM read_files('${landing}/customers', format => 'csv', header => true);
""",
    "02_silver.sql": """
CREATE OR REFRESH STREAMING TABLE silver_orders (
  CONSTRAINT valid_order_id EXPECT (order_id IS NOT NULL) ON VIOLATION DROP ROW,
  CONSTRAINT non_negative_amount EXPECT (amount >= 0) ON VIOLATION FAIL UPDATE,
  CONSTRAINT known_status EXPECT (status IN ('placed', 'shipped', 'delivered', 'returned'))
)
AS SELECT
  CAST(order_id AS BIGINT) AS order_id,
  CAST(customer_id AS BIGINT) AS customer_id,
  CAST(order_ts AS TIMESTAMP) AS order_ts,
  CAST(amount AS DOUBLE) AS amount,
  lower(trim(status)) AS status
FROM STREAM(bronze_orders);

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
""",
    "03_gold.sql": """
CREATE OR REFRESH MATERIALIZED VIEW gold_sales_by_country
AS SELECT
  c.country,
  count(*) AS orders,
  round(sum(o.amount), 2) AS revenue
FROM silver_orders o
JOIN silver_customers c ON o.customer_id = c.customer_id
WHERE o.status <> 'returned'
GROUP BY c.country;
""",
}

# The same transformation for the engines that read the files directly. Each layer is materialized
# (Parquet), as the pipeline materializes its tables; expectations are counted in one pass over silver,
# a FAIL UPDATE violation stops the job, DROP ROW rows are filtered out.
SILVER_ORDERS = """SELECT CAST(order_id AS BIGINT) AS order_id, CAST(customer_id AS BIGINT) AS customer_id,
  CAST(order_ts AS TIMESTAMP) AS order_ts, CAST(amount AS DOUBLE) AS amount, lower(trim(status)) AS status
FROM bronze_orders"""
EXPECTATIONS = """SELECT count(*),
  sum(CASE WHEN (order_id IS NOT NULL) THEN 0 ELSE 1 END),
  sum(CASE WHEN (amount >= 0) THEN 0 ELSE 1 END),
  sum(CASE WHEN (status IN ('placed', 'shipped', 'delivered', 'returned')) THEN 0 ELSE 1 END)
FROM silver_orders_all"""
SILVER_CUSTOMERS = """SELECT customer_id, name, country FROM (
  SELECT CAST(customer_id AS BIGINT) AS customer_id, name, country,
         row_number() OVER (PARTITION BY customer_id ORDER BY updated_at DESC) AS rn
  FROM bronze_customers) WHERE rn = 1 AND country IS NOT NULL"""
GOLD = """SELECT c.country, count(*) AS orders, round(sum(o.amount), 2) AS revenue
FROM silver_orders o JOIN silver_customers c ON o.customer_id = c.customer_id
WHERE o.status <> 'returned' GROUP BY c.country"""


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def generate(landing):
    """The example's generator, FILES batches of ROWS/FILES orders each (one orders and one customers CSV per batch)."""
    per = max(1, ROWS // FILES)
    customers = max(50, ROWS // (100 * FILES))
    procs = []
    for b in range(1, FILES + 1):
        n = per if b < FILES else ROWS - per * (FILES - 1)
        procs.append(subprocess.Popen([sys.executable, os.path.join(EXAMPLE, "generate.py"), "--out", landing, "--batch", str(b),
                                       "--orders", str(n), "--customers", str(customers)]))
        if len(procs) >= 2:
            assert procs.pop(0).wait() == 0
    for p in procs:
        assert p.wait() == 0
    shutil.rmtree(os.path.join(landing, "customer_changes"), ignore_errors=True)


def gold_rows(rows):
    return sorted((str(c), int(n), float(r)) for c, n, r in rows)


def same_gold(a, b):
    return len(a) == len(b) and all(x[0] == y[0] and x[1] == y[1] and abs(x[2] - y[2]) <= 0.011 + 1e-9 * abs(x[2]) for x, y in zip(a, b))


class Ingot:
    name = "ingot"

    def __init__(self, work, landing):
        self.work, self.landing, self.k = work, landing, 0
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.data = os.path.join(work, "ingot-data")
        self.log = open(os.path.join(work, "ingot.log"), "wb")
        self.proc = subprocess.Popen([INGOT, "serve", "--port", str(self.port), "--data-dir", self.data], stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(600):
            try:
                if urllib.request.urlopen(self.url + "/health", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit("ingot serve did not start; see ingot.log")

    def run(self):
        # A new pipeline (its own schema) per run: every run loads all files into new tables.
        self.k += 1
        pdir = os.path.join(self.work, f"pipeline-{self.k}")
        os.makedirs(pdir)
        with open(os.path.join(pdir, "pipeline.yaml"), "w") as f:
            f.write(f"name: bench_{self.k}\ncatalog: main\nschema: bench_{self.k}\nconfiguration:\n  landing: {self.landing}\nengine: embedded\n")
        for name, sql in PIPELINE_SQL.items():
            with open(os.path.join(pdir, name), "w") as f:
                f.write(sql)
        p = subprocess.run([INGOT, "pipelines", "run", pdir, "--output", "json", "--server", self.url], capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit(f"ingot pipelines run failed: {p.stdout}\n{p.stderr}")
        update = json.loads(p.stdout)
        ds = {d["name"]: d for d in update["datasets"]}
        assert ds["bronze_orders"]["output_records"] == ROWS, ds["bronze_orders"]
        return pdir

    def gold(self):
        p = subprocess.run([INGOT, "sql", "--server", self.url, "--output", "csv",
                            f"SELECT country, orders, revenue FROM main.bench_{self.k}.gold_sales_by_country"], capture_output=True, text=True)
        if p.returncode != 0:
            raise SystemExit(f"ingot sql failed: {p.stderr}")
        return gold_rows(list(csv.reader(io.StringIO(p.stdout)))[1:])

    def close(self):
        self.proc.terminate()
        self.proc.wait()
        self.log.close()


class DuckDB:
    name = "duckdb"

    def __init__(self, work, landing):
        import duckdb
        self.duckdb, self.work, self.landing, self.k = duckdb, work, landing, 0

    def run(self):
        self.k += 1
        out = os.path.join(self.work, f"duckdb-{self.k}")
        os.makedirs(out)
        con = self.duckdb.connect()
        con.execute("SET threads = 2")
        t = lambda name: os.path.join(out, name + ".parquet")
        con.execute(f"COPY (SELECT * FROM read_csv('{self.landing}/orders/*.csv', header=true, all_varchar=true)) TO '{t('bronze_orders')}' (FORMAT parquet)")
        con.execute(f"COPY (SELECT * FROM read_csv('{self.landing}/customers/*.csv', header=true, all_varchar=true)) TO '{t('bronze_customers')}' (FORMAT parquet)")
        con.execute(f"CREATE VIEW bronze_orders AS SELECT * FROM '{t('bronze_orders')}'")
        con.execute(f"CREATE VIEW bronze_customers AS SELECT * FROM '{t('bronze_customers')}'")
        con.execute(f"CREATE VIEW silver_orders_all AS {SILVER_ORDERS}")
        n, _, failed, _ = con.execute(EXPECTATIONS).fetchone()
        if failed:
            raise SystemExit("non_negative_amount failed")
        con.execute(f"COPY (SELECT * FROM silver_orders_all WHERE (order_id IS NOT NULL)) TO '{t('silver_orders')}' (FORMAT parquet)")
        con.execute(f"COPY ({SILVER_CUSTOMERS}) TO '{t('silver_customers')}' (FORMAT parquet)")
        con.execute(f"CREATE VIEW silver_orders AS SELECT * FROM '{t('silver_orders')}'")
        con.execute(f"CREATE VIEW silver_customers AS SELECT * FROM '{t('silver_customers')}'")
        con.execute(f"COPY ({GOLD}) TO '{t('gold')}' (FORMAT parquet)")
        assert n == ROWS
        self.con, self.out = con, out

    def gold(self):
        return gold_rows(self.con.execute(f"SELECT * FROM '{os.path.join(self.out, 'gold.parquet')}'").fetchall())

    def close(self):
        pass


class PySpark:
    name = "pyspark"

    def __init__(self, work, landing):
        from pyspark.sql import SparkSession
        self.work, self.landing, self.k = work, landing, 0
        # Started once, outside the timed runs (as the Ingot server is).
        self.spark = (SparkSession.builder.master("local[2]").appName("bench-pipeline")
                      .config("spark.driver.memory", os.environ.get("BENCH_SPARK_MEMORY", "4g"))
                      .config("spark.sql.shuffle.partitions", "8")
                      .config("spark.ui.enabled", "false")
                      .config("spark.ui.showConsoleProgress", "false")
                      .config("spark.sql.session.timeZone", "UTC")
                      .getOrCreate())
        self.spark.sparkContext.setLogLevel("ERROR")

    def run(self):
        self.k += 1
        spark, out = self.spark, os.path.join(self.work, f"spark-{self.k}")
        t = lambda name: os.path.join(out, name)
        for name in ("orders", "customers"):
            spark.read.csv(os.path.join(self.landing, name), header=True).write.parquet(t("bronze_" + name))
            spark.read.parquet(t("bronze_" + name)).createOrReplaceTempView("bronze_" + name)
        spark.sql(SILVER_ORDERS).createOrReplaceTempView("silver_orders_all")
        n, _, failed, _ = spark.sql(EXPECTATIONS).collect()[0]
        if failed:
            raise SystemExit("non_negative_amount failed")
        spark.sql("SELECT * FROM silver_orders_all WHERE (order_id IS NOT NULL)").write.parquet(t("silver_orders"))
        spark.sql(SILVER_CUSTOMERS).write.parquet(t("silver_customers"))
        spark.read.parquet(t("silver_orders")).createOrReplaceTempView("silver_orders")
        spark.read.parquet(t("silver_customers")).createOrReplaceTempView("silver_customers")
        spark.sql(GOLD).write.parquet(t("gold"))
        assert n == ROWS
        self.out = out

    def gold(self):
        return gold_rows([tuple(r) for r in self.spark.read.parquet(os.path.join(self.out, "gold")).collect()])

    def close(self):
        self.spark.stop()


def main():
    work = tempfile.mkdtemp(prefix="bench-pipeline-")
    landing = os.path.join(work, "landing")
    try:
        t = time.perf_counter()
        generate(landing)
        size = sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(landing) for f in fs)
        print(f"bench/pipeline: {ROWS:,} order rows in {FILES} CSV files ({size / 1e6:.0f} MB), generated in {time.perf_counter() - t:.1f}s; "
              f"{RUNS} run(s) per engine, medians; each run loads every file into new tables (Ingot: a new pipeline; "
              f"the server and the Spark session are started once, outside the timings)")
        engines = [Ingot, DuckDB] + ([PySpark] if PYSPARK else [])
        if not PYSPARK:
            print("  PySpark SKIPPED (BENCH_PYSPARK=0; the CI smoke run skips it, a full run includes it)")
        times, golds = {}, {}
        for cls in engines:
            e = cls(work, landing)
            try:
                times[e.name] = []
                for _ in range(RUNS):
                    t = time.perf_counter()
                    e.run()
                    times[e.name].append(time.perf_counter() - t)
                golds[e.name] = e.gold()
            finally:
                e.close()
        ref = golds["duckdb"]
        for name, g in golds.items():
            if not same_gold(g, ref):
                raise SystemExit(f"gold of {name} differs from DuckDB's:\n{g}\n{ref}")
        print(f"  gold_sales_by_country agrees across {', '.join(golds)} ({len(ref)} countries, {sum(r[1] for r in ref):,} orders)")
        med = {k: statistics.median(v) for k, v in times.items()}
        for name, m in med.items():
            print(f"  {name:8s} wall {m:8.2f}s  ({ROWS / m:,.0f} order rows/s)  runs: {', '.join(f'{x:.2f}' for x in times[name])}")
        for name in med:
            if name != "ingot":
                print(f"  ingot/{name} speed ratio: {med[name] / med['ingot']:.2f}  (>1 = Ingot faster)")
    finally:
        if os.environ.get("BENCH_KEEP") == "1":
            print(f"  work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

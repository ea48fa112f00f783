"""The embedded SQL engine (`ingot admin sql`) against DuckDB on the same Parquet data.

A small orders/customers dataset (ints, doubles, decimals, strings, ISO timestamp strings, nulls) is
written with pyarrow, loaded into Ingot tables with `ingot admin table create`, and every query runs
through Ingot (Spark dialect) and DuckDB (its own dialect where they differ); answers must match.
"""
import datetime as dt
import decimal
import json
import math
import random
import subprocess

import deltalake
import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ingot_harness import ingot_binary

pytestmark = pytest.mark.timeout(600)


def ingot(*args, check=True):
    p = subprocess.run([ingot_binary(), *map(str, args)], capture_output=True, text=True, timeout=120)
    if check and p.returncode != 0:
        raise AssertionError(f"ingot {' '.join(map(str, args))} failed ({p.returncode}): {p.stderr}")
    return p


def make_data():
    rng = random.Random(7)
    n_customers = 12
    customers = pa.table({
        "customer_id": pa.array(list(range(1, n_customers + 1)), pa.int32()),
        "name": pa.array(["Alice", "Bob", "Carol", "Dave", "Erin", "Frank", "Grace", "Heidi", "Ivan", "Judy", "Mallory", "Niaj"], pa.string()),
        "country": pa.array([None if i % 5 == 0 else ["FR", "US", "DE"][i % 3] for i in range(n_customers)], pa.string()),
    })
    base = dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    ids, cust, amount, price, qty, status, created, created_ts, day = [], [], [], [], [], [], [], [], []
    for i in range(1, 201):
        ids.append(i)
        cust.append(rng.randint(1, n_customers + 2))  # some orders point at no customer
        cents = rng.randint(0, 25000)
        amount.append(cents / 100)
        price.append(decimal.Decimal(cents) / 100)
        qty.append(None if i % 9 == 0 else rng.randint(1, 7))
        status.append(None if i % 13 == 0 else rng.choice(["new", "paid", "shipped", "cancelled"]))
        t = base + dt.timedelta(minutes=rng.randint(0, 60 * 24 * 20), microseconds=rng.choice([0, 0, 123456]))
        created_ts.append(t)
        day.append(t.date())
        form = i % 6
        if form == 0:
            created.append(t.strftime("%Y-%m-%dT%H:%M:%SZ"))
        elif form == 1:
            created.append(t.strftime("%Y-%m-%d %H:%M:%S"))
        elif form == 2:
            created.append(t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
        elif form == 3:
            created.append((t + dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S+02:00"))
        elif form == 4:
            created.append(None)
        else:
            created.append("not a timestamp" if i % 4 == 1 else t.strftime("%Y-%m-%dT%H:%M:%SZ"))
    orders = pa.table({
        "order_id": pa.array(ids, pa.int64()),
        "customer_id": pa.array(cust, pa.int32()),
        "amount": pa.array(amount, pa.float64()),
        "price": pa.array(price, pa.decimal128(10, 2)),
        "qty": pa.array(qty, pa.int32()),
        "status": pa.array(status, pa.string()),
        "created": pa.array(created, pa.string()),
        "created_ts": pa.array(created_ts, pa.timestamp("us", tz="UTC")),
        "day": pa.array(day, pa.date32()),
    })
    return orders, customers


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("sql")
    root = tmp / "data"
    orders, customers = make_data()
    files = {}
    for name, table in (("orders", orders), ("customers", customers)):
        path = tmp / f"{name}.parquet"
        pq.write_table(table, path, row_group_size=64)
        files[name] = path
        ingot("admin", "table", "create", "--root", root, "--table", f"main.default.{name}", path)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    for name, path in files.items():
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")
    return {"root": str(root), "duck": con}


def run_ingot(env, sql):
    out = ingot("admin", "sql", "--root", env["root"], "--output", "json", sql).stdout
    return json.loads(out.splitlines()[-1])


def norm_value(v, typ=None):
    if v is None:
        return None
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, dt.datetime):
        if v.tzinfo is not None:
            v = v.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, str) and typ is not None:
        if typ.startswith("decimal"):
            return float(v)
        if typ.startswith("timestamp"):
            return v.replace("T", " ").rstrip("Z")
    if isinstance(v, float) and math.isnan(v):
        return "NaN"
    return v


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)):
            return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        return False
    return a == b


def compare(env, ingot_sql, duck_sql=None, ordered=True):
    got = run_ingot(env, ingot_sql)
    types = [c["type"] for c in got["columns"]]
    ours = [tuple(norm_value(v, t) for v, t in zip(row, types)) for row in got["rows"]]
    theirs = [tuple(norm_value(v) for v in row) for row in env["duck"].execute(duck_sql or ingot_sql).fetchall()]
    if not ordered:
        ours = sorted(ours, key=repr)
        theirs = sorted(theirs, key=repr)
    assert len(ours) == len(theirs), f"{len(ours)} rows vs DuckDB {len(theirs)}\n{ingot_sql}\n{ours[:5]}\n{theirs[:5]}"
    for r, (x, y) in enumerate(zip(ours, theirs)):
        assert len(x) == len(y) and all(same(p, q) for p, q in zip(x, y)), f"row {r}: ingot {x} != duckdb {y}\n{ingot_sql}"
    return got


# (id, Ingot/Spark SQL, DuckDB SQL or None when identical, ordered)
QUERIES = [
    ("filter", "SELECT order_id, amount, price, qty FROM orders WHERE amount > 120 AND qty IS NOT NULL ORDER BY order_id", None, True),
    ("three_part_names", "SELECT count(*), sum(qty) FROM main.default.orders", "SELECT count(*), sum(qty) FROM orders", True),
    ("group_by",
     "SELECT status, count(*) AS n, sum(amount) AS s, avg(amount) AS a, min(price) AS lo, max(price) AS hi, sum(price) AS sp "
     "FROM orders GROUP BY status ORDER BY status NULLS FIRST", None, True),
    ("join",
     "SELECT c.name, count(o.order_id) AS n, sum(o.amount) AS total FROM customers c LEFT JOIN orders o "
     "ON o.customer_id = c.customer_id GROUP BY c.name ORDER BY c.name", None, True),
    ("inner_join_unmatched",
     "SELECT o.order_id, c.name, c.country FROM orders o JOIN customers c ON o.customer_id = c.customer_id WHERE o.order_id < 60", None, False),
    ("anti_join", "SELECT order_id FROM orders o WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.customer_id = o.customer_id) ORDER BY order_id",
     None, True),
    ("window",
     "SELECT order_id, customer_id, amount, row_number() OVER (PARTITION BY customer_id ORDER BY amount DESC, order_id) AS rn, "
     "sum(amount) OVER (PARTITION BY customer_id) AS cust_total, "
     "lag(amount) OVER (PARTITION BY customer_id ORDER BY order_id) AS prev FROM orders ORDER BY order_id", None, True),
    ("cte",
     "WITH big AS (SELECT customer_id, sum(amount) AS s FROM orders GROUP BY customer_id HAVING sum(amount) > 1500) "
     "SELECT c.name, b.s FROM big b JOIN customers c ON c.customer_id = b.customer_id ORDER BY b.s DESC", None, True),
    ("case",
     "SELECT order_id, CASE WHEN amount >= 150 THEN 'big' WHEN amount >= 50 THEN 'mid' ELSE 'small' END AS bucket, "
     "CASE status WHEN 'paid' THEN 1 WHEN 'shipped' THEN 2 END AS code FROM orders ORDER BY order_id", None, True),
    ("cast_iso_timestamps",
     "SELECT order_id, created, CAST(created AS TIMESTAMP) AS ts FROM orders ORDER BY order_id",
     "SELECT order_id, created, TRY_CAST(created AS TIMESTAMPTZ) AS ts FROM orders ORDER BY order_id", True),
    ("timestamp_group",
     "SELECT date_trunc('day', CAST(created AS TIMESTAMP)) AS d, count(*) AS n FROM orders "
     "WHERE CAST(created AS TIMESTAMP) IS NOT NULL GROUP BY 1 ORDER BY 1",
     "SELECT date_trunc('day', TRY_CAST(created AS TIMESTAMPTZ)) AS d, count(*) AS n FROM orders "
     "WHERE TRY_CAST(created AS TIMESTAMPTZ) IS NOT NULL GROUP BY 1 ORDER BY 1", True),
    ("timestamp_compare",
     "SELECT order_id FROM orders WHERE created_ts >= TIMESTAMP '2026-03-10 00:00:00' AND created_ts < '2026-03-12' ORDER BY order_id",
     "SELECT order_id FROM orders WHERE created_ts >= TIMESTAMPTZ '2026-03-10 00:00:00' AND created_ts < TIMESTAMPTZ '2026-03-12' ORDER BY order_id",
     True),
    ("integer_division",
     "SELECT order_id, qty / 2 AS half, qty div 2 AS idiv, order_id % 7 AS m, 7 / 2 AS c, -7 div 2 AS n FROM orders ORDER BY order_id",
     "SELECT order_id, qty / 2 AS half, qty // 2 AS idiv, order_id % 7 AS m, 7 / 2 AS c, trunc(-7 / 2)::BIGINT AS n FROM orders ORDER BY order_id",
     True),
    ("decimal_arithmetic",
     "SELECT order_id, price / 3 AS p3, price * qty AS total, price + 1 AS p1, CAST(amount AS DECIMAL(12, 1)) AS d1 FROM orders ORDER BY order_id",
     "SELECT order_id, price / 3 AS p3, price * qty AS total, price + 1 AS p1, CAST(CAST(amount AS DECIMAL(12, 2)) AS DECIMAL(12, 1)) AS d1 "
     "FROM orders ORDER BY order_id", True),
    ("string_functions",
     "SELECT order_id, upper(status), lower(status), length(status), concat(status, '-', CAST(qty AS STRING)), status || '!', "
     "coalesce(status, 'none'), substring(status, 2, 3), trim('  x  '), replace(status, 'a', 'A'), nvl(status, '?') FROM orders ORDER BY order_id",
     "SELECT order_id, upper(status), lower(status), length(status), status || '-' || CAST(qty AS VARCHAR), status || '!', "
     "coalesce(status, 'none'), substring(status, 2, 3), trim('  x  '), replace(status, 'a', 'A'), ifnull(status, '?') FROM orders ORDER BY order_id",
     True),
    ("date_functions",
     "SELECT order_id, year(created_ts), month(created_ts), day(created_ts), hour(created_ts), minute(created_ts), "
     "datediff(day, DATE '2026-03-01'), date_add(day, 3), date_sub(day, 1), to_date(created_ts), "
     "date_format(created_ts, 'yyyy-MM-dd HH:mm') FROM orders ORDER BY order_id",
     "SELECT order_id, year(created_ts), month(created_ts), day(created_ts), hour(created_ts), minute(created_ts), "
     "datediff('day', DATE '2026-03-01', day), day + 3, day - 1, CAST(created_ts AS DATE), "
     "strftime(created_ts, '%Y-%m-%d %H:%M') FROM orders ORDER BY order_id", True),
    ("regex_functions",
     "SELECT name, regexp_extract(name, '([A-Z])([a-z]+)', 2), regexp_replace(name, '[aeiou]', '*'), name RLIKE '^[A-D]', "
     "split(name, 'a') FROM customers ORDER BY name",
     "SELECT name, regexp_extract(name, '([A-Z])([a-z]+)', 2), regexp_replace(name, '[aeiou]', '*', 'g'), regexp_matches(name, '^[A-D]'), "
     "CAST(to_json(string_split_regex(name, 'a')) AS VARCHAR) FROM customers ORDER BY name", True),
    ("hashes", "SELECT name, md5(name), sha2(name, 256) FROM customers ORDER BY name",
     "SELECT name, md5(name), sha256(name) FROM customers ORDER BY name", True),
    ("round_half_up",
     "SELECT order_id, round(amount, 1), round(amount), round(price, 1), round(qty * 1.5) FROM orders ORDER BY order_id",
     "SELECT order_id, round(CAST(amount AS DECIMAL(12, 2)), 1), round(CAST(amount AS DECIMAL(12, 2))), round(price, 1), round(qty * 1.5) "
     "FROM orders ORDER BY order_id", True),
    ("null_semantics",
     "SELECT count(*), count(qty), count(status), sum(CASE WHEN status IS NULL THEN 1 ELSE 0 END), avg(qty), max(created) FROM orders", None, True),
    ("not_in_with_nulls", "SELECT order_id FROM orders WHERE qty NOT IN (1, 2) ORDER BY order_id", None, True),
    ("greatest_least_nullif",
     "SELECT order_id, greatest(qty, 3), least(qty, 3), nullif(qty, 1), if(qty > 3, 'hi', 'lo') FROM orders ORDER BY order_id",
     "SELECT order_id, greatest(qty, 3), least(qty, 3), nullif(qty, 1), CASE WHEN qty > 3 THEN 'hi' ELSE 'lo' END FROM orders ORDER BY order_id", True),
    ("union_distinct", "SELECT customer_id FROM orders UNION SELECT customer_id FROM customers ORDER BY 1", None, True),
    ("in_subquery_limit",
     "SELECT order_id, amount FROM orders WHERE customer_id IN (SELECT customer_id FROM customers WHERE country = 'FR') "
     "ORDER BY amount DESC, order_id LIMIT 7", None, True),
    ("string_casts",
     "SELECT order_id, CAST(amount AS STRING), CAST(qty AS DOUBLE), CAST(CAST(order_id AS STRING) AS INT) + 1 FROM orders "
     "WHERE amount = floor(amount) OR order_id < 10 ORDER BY order_id",
     "SELECT order_id, CASE WHEN amount >= 1e7 OR amount < 1e-3 THEN NULL ELSE CAST(amount AS VARCHAR) END, CAST(qty AS DOUBLE), "
     "CAST(CAST(order_id AS VARCHAR) AS INT) + 1 FROM orders WHERE amount = floor(amount) OR order_id < 10 ORDER BY order_id", True),
]


@pytest.mark.parametrize("name,ingot_sql,duck_sql,ordered", QUERIES, ids=[q[0] for q in QUERIES])
def test_query_matches_duckdb(env, name, ingot_sql, duck_sql, ordered):
    compare(env, ingot_sql, duck_sql, ordered)


def test_result_types_are_spark_types(env):
    got = run_ingot(env, "SELECT order_id, customer_id, amount, price, status, created_ts, day, CAST(created AS TIMESTAMP) AS c, "
                         "count(*) OVER () AS n, qty > 2 AS flag FROM orders LIMIT 1")
    assert [c["type"] for c in got["columns"]] == ["bigint", "int", "double", "decimal(10,2)", "string", "timestamp", "date", "timestamp", "bigint", "boolean"]


def test_limit_reads_one_row_group(env):
    got = run_ingot(env, "SELECT * FROM orders LIMIT 5")
    assert got["rowCount"] == 5
    assert got["scan"]["batches"] == 1


def test_ctas_insert_and_outside_readers(env):
    root = env["root"]
    ingot("admin", "sql", "--root", root,
          "CREATE TABLE main.default.by_customer AS SELECT customer_id, sum(price) AS total, count(*) AS n, "
          "max(created_ts) AS last_ts, min(day) AS first_day FROM orders GROUP BY customer_id")
    ingot("admin", "sql", "--root", root, "INSERT INTO by_customer VALUES (999, 1.005, 1, '2026-04-01T00:00:00Z', DATE '2026-04-01')")
    compare(env, "SELECT customer_id, total, n, last_ts, first_day FROM by_customer ORDER BY customer_id",
            "SELECT * FROM (SELECT customer_id, sum(price) AS total, count(*) AS n, max(created_ts) AS last_ts, min(day) AS first_day "
            "FROM orders GROUP BY customer_id UNION ALL SELECT 999, 1.01, 1, TIMESTAMPTZ '2026-04-01 00:00:00', DATE '2026-04-01') ORDER BY customer_id")
    # The Delta table is readable by deltalake with Spark's types.
    dtable = deltalake.DeltaTable(f"{root}/warehouse/main/default/by_customer")
    data = dtable.to_pyarrow_table()
    types = {f.name: str(f.type) for f in data.schema}
    assert types["customer_id"] == "int32"
    assert types["total"] == "decimal128(20, 2)"
    assert types["n"] == "int64"
    assert types["last_ts"].startswith("timestamp[us")
    assert types["first_day"] == "date32[day]"
    assert data.num_rows == run_ingot(env, "SELECT count(*) FROM by_customer")["rows"][0][0]
    assert decimal.Decimal("1.01") in data.column("total").to_pylist()
    assert dtable.version() == 1
    # INSERT OVERWRITE and time travel.
    ingot("admin", "sql", "--root", root, "INSERT OVERWRITE by_customer SELECT * FROM by_customer WHERE customer_id = 999")
    assert run_ingot(env, "SELECT count(*) FROM by_customer")["rows"] == [[1]]
    assert run_ingot(env, "SELECT count(*) FROM by_customer VERSION AS OF 1")["rows"][0][0] > 1


def test_show_describe_and_errors(env):
    tables = [r[1] for r in run_ingot(env, "SHOW TABLES IN main.default")["rows"]]
    assert {"orders", "customers"} <= set(tables) and tables == sorted(tables)
    assert run_ingot(env, "SHOW CATALOGS")["rows"] == [["main"]]
    desc = run_ingot(env, "DESCRIBE TABLE main.default.orders")["rows"]
    assert desc[:4] == [["order_id", "bigint", None], ["customer_id", "int", None], ["amount", "double", None], ["price", "decimal(10,2)", None]]
    hist = run_ingot(env, "DESCRIBE HISTORY main.default.orders")["rows"]
    assert hist[0][0] == 0 and hist[0][2] == "CREATE TABLE AS SELECT"
    p = ingot("admin", "sql", "--root", env["root"], "SELECT * FROM main.default.missing", check=False)
    assert p.returncode != 0 and "not found" in p.stderr


def test_dml_matches_duckdb(env, tmp_path):
    """DELETE / UPDATE / MERGE through Ingot end in the same rows as the same DML in DuckDB."""
    root = env["root"]
    con = env["duck"]
    ingot("admin", "sql", "--root", root, "CREATE TABLE main.default.o2 PARTITIONED BY (status) AS SELECT order_id, customer_id, amount, price, qty, "
          "coalesce(status, 'none') AS status, created_ts FROM orders")
    con.execute("CREATE TABLE o2 AS SELECT order_id, customer_id, amount, price, qty, coalesce(status, 'none') AS status, created_ts FROM orders")
    steps = [
        ("DELETE FROM o2 WHERE amount < 20 OR qty IS NULL", None),
        ("UPDATE o2 SET amount = round(amount * 1.1, 2), qty = qty + 1 WHERE status IN ('paid', 'new') AND customer_id % 2 = 0",
         "UPDATE o2 SET amount = round(CAST(amount * 1.1 AS DECIMAL(18, 6)), 2), qty = qty + 1 WHERE status IN ('paid', 'new') AND customer_id % 2 = 0"),
        ("DELETE FROM o2 WHERE created_ts >= TIMESTAMP '2026-03-15 00:00:00'", "DELETE FROM o2 WHERE created_ts >= TIMESTAMPTZ '2026-03-15 00:00:00'"),
        ("MERGE INTO o2 t USING (SELECT order_id, customer_id, amount + 1000 AS amount, price, qty, 'merged' AS status, created_ts FROM orders "
         "WHERE order_id % 10 = 0) s ON t.order_id = s.order_id WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *",
         "INSERT OR REPLACE INTO o2 SELECT order_id, customer_id, amount + 1000, price, qty, 'merged', created_ts FROM orders WHERE order_id % 10 = 0"),
    ]
    con.execute("CREATE UNIQUE INDEX o2_pk ON o2 (order_id)")
    for ours, theirs in steps:
        ingot("admin", "sql", "--root", root, ours)
        con.execute(theirs or ours)
    compare(env, "SELECT * FROM o2 ORDER BY order_id", "SELECT * FROM o2 ORDER BY order_id")
    hist = [r[2] for r in run_ingot(env, "DESCRIBE HISTORY o2")["rows"]]
    assert hist[:4] == ["MERGE", "DELETE", "UPDATE", "DELETE"]

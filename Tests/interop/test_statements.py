"""SQL over REST: Databricks' statement-execution API driven by the official `databricks-sdk` client,
raw REST for async submit/poll/cancel and chunked results, named parameters, and `ingot sql`."""
import csv
import io
import json
import subprocess
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.service.sql import StatementParameterListItem, StatementState

from ingot_harness import ingot_binary

pytestmark = pytest.mark.timeout(600)
API = "/api/2.0/sql/statements"


def cli(server, *args, check=True):
    p = subprocess.run([ingot_binary(), *map(str, args), "--server", server.url], capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"ingot {' '.join(map(str, args))} failed ({p.returncode}): {p.stderr}")
    return p


@pytest.fixture(scope="module")
def sales(ingot_server, tmp_path_factory):
    """main.stmt.sales: 25,000 rows loaded through the ingest API."""
    requests.post(ingot_server.url + "/api/2.1/unity-catalog/schemas", json={"name": "stmt", "catalog_name": "main"})
    n = 25_000
    table = pa.table({
        "id": pa.array(range(n), pa.int64()),
        "region": pa.array([["eu", "us", "apac"][i % 3] for i in range(n)]),
        "amount": pa.array([i * 0.5 for i in range(n)], pa.float64()),
        "note": pa.array([None if i % 10 == 0 else f"n{i}" for i in range(n)]),
    })
    path = tmp_path_factory.mktemp("stmt") / "sales.parquet"
    pq.write_table(table, path)
    cli(ingot_server, "tables", "ingest", path, "main.stmt.sales")
    return ingot_server


def test_databricks_sdk_executes_statements(sales):
    w = WorkspaceClient(host=sales.url, token="dapi-ignored-when-auth-is-off")
    r = w.statement_execution.execute_statement(
        statement="SELECT region, COUNT(*) AS n, SUM(amount) AS total FROM stmt.sales GROUP BY region ORDER BY region",
        warehouse_id="ignored", catalog="main", wait_timeout="30s")
    assert r.status.state == StatementState.SUCCEEDED
    assert [c.name for c in r.manifest.schema.columns] == ["region", "n", "total"]
    assert r.manifest.schema.columns[1].type_name.value == "LONG"
    assert r.result.data_array[0][0] == "apac"
    assert int(r.result.data_array[0][1]) == 8333
    assert r.manifest.total_row_count == 3

    # Named parameters, typed.
    r = w.statement_execution.execute_statement(
        statement="SELECT COUNT(*) AS n FROM main.stmt.sales WHERE region = :region AND amount > :min",
        warehouse_id="x", wait_timeout="30s",
        parameters=[StatementParameterListItem(name="region", value="eu"),
                    StatementParameterListItem(name="min", value="100", type="DOUBLE")])
    assert r.status.state == StatementState.SUCCEEDED
    assert int(r.result.data_array[0][0]) == len([i for i in range(0, 25_000, 3) if i * 0.5 > 100])

    # A bad statement is a FAILED statement with an error, not an HTTP error.
    r = w.statement_execution.execute_statement(statement="SELECT nope FROM main.stmt.sales", warehouse_id="x", wait_timeout="30s")
    assert r.status.state == StatementState.FAILED
    assert r.status.error.message

    # Result chunks beyond the first.
    r = w.statement_execution.execute_statement(statement="SELECT id FROM main.stmt.sales ORDER BY id", warehouse_id="x", wait_timeout="30s")
    assert r.manifest.total_row_count == 25_000 and r.manifest.total_chunk_count == 3
    ids = [int(row[0]) for row in r.result.data_array]
    chunk = r.result.next_chunk_index
    while chunk is not None:
        data = w.statement_execution.get_statement_result_chunk_n(r.statement_id, chunk)
        ids += [int(row[0]) for row in data.data_array]
        chunk = data.next_chunk_index
    assert ids == list(range(25_000))


def test_async_submit_poll_and_cancel(sales):
    url = sales.url + API
    r = requests.post(url, json={"statement": "SELECT COUNT(*) FROM main.stmt.sales", "wait_timeout": "0s"})
    assert r.status_code == 200
    sid = r.json()["statement_id"]
    assert r.json()["status"]["state"] in ("PENDING", "RUNNING", "SUCCEEDED")
    for _ in range(200):
        body = requests.get(f"{url}/{sid}").json()
        if body["status"]["state"] not in ("PENDING", "RUNNING"):
            break
        time.sleep(0.05)
    assert body["status"]["state"] == "SUCCEEDED"
    assert body["result"]["data_array"] == [["25000"]]

    # A long query (a large cross join) is cancelled.
    slow = "SELECT COUNT(*) FROM main.stmt.sales a CROSS JOIN main.stmt.sales b WHERE a.amount + b.amount < 0"
    sid = requests.post(url, json={"statement": slow, "wait_timeout": "0s"}).json()["statement_id"]
    time.sleep(0.5)
    assert requests.post(f"{url}/{sid}/cancel").status_code == 200
    for _ in range(200):
        state = requests.get(f"{url}/{sid}").json()["status"]["state"]
        if state not in ("PENDING", "RUNNING"):
            break
        time.sleep(0.05)
    assert state == "CANCELED"

    # on_wait_timeout=CANCEL cancels a statement that outlives wait_timeout.
    r = requests.post(url, json={"statement": slow, "wait_timeout": "5s", "on_wait_timeout": "CANCEL"}).json()
    assert r["status"]["state"] == "CANCELED"

    # Bad requests are the API's error shape.
    r = requests.post(url, json={"statement": "SELECT 1", "wait_timeout": "3s"})
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    r = requests.get(f"{url}/no-such-statement")
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    r = requests.post(url, json={"statement": "SELECT :missing"})
    assert r.status_code == 400
    # Parameters are values, never SQL.
    r = requests.post(url, json={"statement": "SELECT :v AS v", "parameters": [{"name": "v", "value": "x'); DROP TABLE t; --"}]}).json()
    assert r["status"]["state"] == "SUCCEEDED" and r["result"]["data_array"] == [["x'); DROP TABLE t; --"]]


def test_ingot_sql_cli(sales):
    out = cli(sales, "sql", "SELECT region, COUNT(*) AS n FROM stmt.sales GROUP BY region ORDER BY region", "--output", "json").stdout
    assert json.loads(out) == [{"region": "apac", "n": 8333}, {"region": "eu", "n": 8334}, {"region": "us", "n": 8333}]
    out = cli(sales, "sql", "SELECT id, note FROM main.stmt.sales WHERE id < 3 ORDER BY id", "--output", "csv").stdout
    assert list(csv.reader(io.StringIO(out))) == [["id", "note"], ["0", ""], ["1", "n1"], ["2", "n2"]]
    p = cli(sales, "sql", "SELEC 1", check=False)
    assert p.returncode != 0 and len(p.stderr.strip().splitlines()) == 1
    # CREATE TABLE AS SELECT registers the table in the namespace.
    cli(sales, "sql", "CREATE TABLE main.stmt.eu AS SELECT * FROM main.stmt.sales WHERE region = 'eu'")
    info = requests.get(sales.url + "/api/2.1/unity-catalog/tables/main.stmt.eu").json()
    assert info["delta_version"] == 0
    out = cli(sales, "sql", "SELECT COUNT(*) AS n FROM main.stmt.eu", "--output", "json").stdout
    assert json.loads(out) == [{"n": 8334}]

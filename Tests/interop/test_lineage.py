"""Lineage (issue 10, item 5): one graph from a landing file to a served prediction.

The retail example pipeline (landing CSV → bronze → silver → gold), a LightGBM model trained on the
gold table with the `mlflow` client logging that table as its input dataset, registered and served
(the native LightGBM path: no Python worker), then the graph walked upstream from the endpoint back
to the landing file; SQL writes with column lineage (Databricks table and column lineage APIs);
OpenLineage events from the `openlineage-python` client over its HTTP transport; the CLI."""
import json
import shutil
import subprocess
import sys
import time
import uuid

import lightgbm
import mlflow
import pandas as pd
import pytest
import requests

from ingot_harness import REPO, ingot_binary

pytestmark = pytest.mark.timeout(120)
EXAMPLE = REPO / "examples" / "retail"


def uniq(prefix):
    return f"{prefix}_{uuid.uuid4().hex[:6]}"


def cli(server, *args):
    p = subprocess.run([ingot_binary(), *map(str, args), "--server", server.url], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, f"ingot {' '.join(map(str, args))} failed: {p.stdout}\n{p.stderr}"
    return p


def sql(server, statement):
    r = requests.post(server.url + "/api/2.0/sql/statements", json={"statement": statement, "wait_timeout": "30s"}, timeout=60)
    assert r.status_code == 200, r.text
    body = r.json()
    while body["status"]["state"] in ("PENDING", "RUNNING"):
        time.sleep(0.1)
        body = requests.get(f"{server.url}/api/2.0/sql/statements/{body['statement_id']}", timeout=10).json()
    assert body["status"]["state"] == "SUCCEEDED", body
    return body


def create_schema(server, schema):
    r = requests.post(server.url + "/api/2.1/unity-catalog/schemas", json={"name": schema, "catalog_name": "main"}, timeout=10)
    assert r.status_code == 200, r.text


def lineage(server, node_type, name, direction="both", depth=3, expect=200):
    r = requests.get(server.url + "/api/2.0/ingot/lineage",
                     params={"node_type": node_type, "name": name, "direction": direction, "depth": depth}, timeout=30)
    assert r.status_code == expect, r.text
    return r.json()


def names(graph):
    return {n["id"]: n for n in graph["nodes"]}


def test_landing_file_to_served_endpoint(ingot_server, tmp_path):
    server = ingot_server
    schema = uniq("lin")
    pdir = tmp_path / "retail"
    shutil.copytree(EXAMPLE, pdir, ignore=shutil.ignore_patterns("landing", "__pycache__"))
    yaml = (pdir / "pipeline.yaml").read_text().replace("name: retail", f"name: {schema}").replace("schema: retail", f"schema: {schema}")
    (pdir / "pipeline.yaml").write_text(yaml)
    subprocess.run([sys.executable, str(pdir / "generate.py"), "--out", str(pdir / "landing"), "--batch", "1", "--orders", "60"], check=True)
    cli(server, "pipelines", "run", pdir)
    gold = f"main.{schema}.gold_sales_by_country"

    # Train on the gold table; log it as the run's input dataset (source: the table's name).
    rows = sql(server, f"SELECT orders, revenue FROM {gold}")["result"]["data_array"]
    df = pd.DataFrame([[float(a), float(b)] for a, b in rows], columns=["orders", "revenue"])
    mlflow.set_tracking_uri(server.url)
    mlflow.set_registry_uri(server.url)
    try:
        mlflow.set_experiment(uniq("lineage"))
        model_name = uniq("revenue")
        with mlflow.start_run() as run:
            mlflow.log_input(mlflow.data.from_pandas(df, source=gold, name="gold_sales"), context="training")
            params = {"objective": "regression", "verbose": -1, "min_data_in_leaf": 1, "min_data_in_bin": 1, "num_leaves": 4}
            model = lightgbm.train(params, lightgbm.Dataset(df[["orders"]], df["revenue"]), 5)
            sig = mlflow.models.infer_signature(df[["orders"]], model.predict(df[["orders"]]))
            mlflow.lightgbm.log_model(model, name="model", signature=sig, input_example=df[["orders"]].head(2), registered_model_name=model_name)
    finally:
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)
    endpoint = uniq("revenue-ep").replace("_", "-")
    r = requests.post(server.url + "/api/2.0/serving-endpoints", timeout=30,
                      json={"name": endpoint, "config": {"served_entities": [{"entity_name": model_name, "entity_version": "1"}]}})
    assert r.status_code == 200, r.text
    deadline = time.time() + 60
    while requests.get(f"{server.url}/api/2.0/serving-endpoints/{endpoint}", timeout=10).json()["state"]["config_update"] == "IN_PROGRESS":
        assert time.time() < deadline
        time.sleep(0.2)
    scored = requests.post(f"{server.url}/serving-endpoints/{endpoint}/invocations", json={"dataframe_records": [{"orders": 3.0}]}, timeout=30)
    assert scored.status_code == 200, scored.text

    # Upstream from the endpoint: model version ← run ← gold ← silver ← bronze ← landing file.
    g = lineage(server, "serving_endpoint", endpoint, direction="upstream", depth=10)
    nodes = names(g)
    assert g["root"] == f"serving_endpoint:{endpoint}"
    by_target = {}
    for e in g["edges"]:
        by_target.setdefault(e["target"], []).append(e)
    assert [e["source"] for e in by_target[g["root"]]] == [f"model_version:{model_name}/1"]
    assert [e["source"] for e in by_target[f"model_version:{model_name}/1"]] == [f"mlflow_run:{run.info.run_id}"]
    assert [e["source"] for e in by_target[f"mlflow_run:{run.info.run_id}"]] == [f"table:{gold}"]
    assert {e["source"] for e in by_target[f"table:{gold}"]} == {f"table:main.{schema}.silver_orders", f"table:main.{schema}.silver_customers"}
    assert f"table:main.{schema}.bronze_orders" in {e["source"] for e in by_target[f"table:main.{schema}.silver_orders"]}
    landing = [e["source"] for e in by_target[f"table:main.{schema}.bronze_orders"]]
    assert len(landing) == 1 and landing[0].startswith("file:") and landing[0].endswith(".csv")
    assert str(pdir / "landing" / "orders") in nodes[landing[0]]["name"]
    pipeline_edge = by_target[f"table:main.{schema}.bronze_orders"][0]
    assert nodes[pipeline_edge["via"]]["type"] == "pipeline" and nodes[pipeline_edge["via"]]["display_name"] == schema

    # Downstream from the landing file reaches the endpoint.
    down = lineage(server, "file", nodes[landing[0]]["name"], direction="downstream", depth=10)
    assert f"serving_endpoint:{endpoint}" in names(down)

    # Databricks' table lineage of the gold table, with entity lineage: the run downstream.
    tl = requests.get(server.url + "/api/2.0/lineage-tracking/table-lineage", params={"table_name": gold, "include_entity_lineage": "true"}, timeout=30).json()
    assert sorted(u["tableInfo"]["name"] for u in tl["upstreams"]) == ["silver_customers", "silver_orders"]
    assert all(u["pipelineInfos"][0]["dataset_name"] == "gold_sales_by_country" for u in tl["upstreams"])
    assert [d["mlflowRunInfo"]["run_id"] for d in tl["downstreams"]] == [run.info.run_id]

    # Column lineage of the pipeline's silver SELECT back to bronze columns (graph edge and Databricks API).
    silver_edge = next(e for e in by_target[f"table:main.{schema}.silver_orders"] if e["source"] == f"table:main.{schema}.bronze_orders")
    assert {"target": "status", "sources": ["status"]} in silver_edge["columns"]
    for column in ("status", "amount"):
        cl = requests.get(server.url + "/api/2.0/lineage-tracking/column-lineage",
                          params={"table_name": f"main.{schema}.silver_orders", "column_name": column}, timeout=30).json()
        assert [(c["table_name"], c["name"]) for c in cl["upstream_cols"]] == [("bronze_orders", column)]

    # A job that runs the pipeline: it shows in Databricks' jobInfos, and its graph reaches the tables.
    statuses = requests.get(server.url + "/api/2.0/pipelines", timeout=10).json()["statuses"]
    pid = next(p["pipeline_id"] for p in statuses if p["name"] == schema)
    r = requests.post(server.url + "/api/2.2/jobs/create", timeout=10,
                      json={"name": f"refresh-{schema}", "tasks": [{"task_key": "refresh", "pipeline_task": {"pipeline_id": pid}}]})
    assert r.status_code == 200, r.text
    job_id = r.json()["job_id"]
    tl = requests.get(server.url + "/api/2.0/lineage-tracking/table-lineage", params={"table_name": gold}, timeout=30).json()
    assert {j["job_id"] for u in tl["upstreams"] for j in u.get("jobInfos", [])} == {job_id}
    jg = lineage(server, "job", str(job_id), direction="downstream", depth=3)
    assert names(jg)[jg["root"]]["display_name"] == f"refresh-{schema}"
    assert f"table:{gold}" in names(jg) and f"pipeline:{pid}" in names(jg)

    # The CLI walks the same graph.
    p = cli(server, "lineage", "show", f"serving_endpoint:{endpoint}", "--upstream", "--depth", "10", "--output", "json")
    assert json.loads(p.stdout)["edges"] == g["edges"]
    p = cli(server, "lineage", "show", gold, "--upstream", "--depth", "1")
    assert f"main.{schema}.silver_orders" in p.stdout and "pipeline:" in p.stdout


def test_sql_writes_record_table_and_column_lineage(ingot_server):
    server = ingot_server
    schema = uniq("linsql")
    create_schema(server, schema)
    sql(server, f"CREATE TABLE main.{schema}.orders (id INT, customer_id INT, amount DOUBLE, qty INT)")
    sql(server, f"INSERT INTO main.{schema}.orders VALUES (1, 10, 2.5, 2), (2, 11, 4.0, 1)")
    sql(server, f"CREATE TABLE main.{schema}.customers (customer_id INT, country STRING)")
    sql(server, f"INSERT INTO main.{schema}.customers VALUES (10, 'FR'), (11, 'DE')")
    sql(server, f"""CREATE TABLE main.{schema}.revenue AS
                    SELECT c.country, o.amount * o.qty AS revenue, id FROM main.{schema}.orders o JOIN main.{schema}.customers c ON o.customer_id = c.customer_id""")
    sql(server, f"CREATE TABLE main.{schema}.copy (country STRING, total DOUBLE)")
    statement = sql(server, f"INSERT INTO main.{schema}.copy SELECT country, revenue FROM main.{schema}.revenue")

    g = lineage(server, "table", f"main.{schema}.revenue", depth=1)
    edges = {(e["source"], e["target"]): e for e in g["edges"]}
    orders = edges[(f"table:main.{schema}.orders", f"table:main.{schema}.revenue")]
    assert sorted((c["target"], sorted(c["sources"])) for c in orders["columns"]) == [("id", ["id"]), ("revenue", ["amount", "qty"])]
    customers = edges[(f"table:main.{schema}.customers", f"table:main.{schema}.revenue")]
    assert customers["columns"] == [{"target": "country", "sources": ["country"]}]
    assert names(g)[orders["via"]]["type"] == "sql_statement"
    down = edges[(f"table:main.{schema}.revenue", f"table:main.{schema}.copy")]
    # INSERT without a column list maps the SELECT list onto the table's columns by position.
    assert sorted((c["target"], c["sources"]) for c in down["columns"]) == [("country", ["country"]), ("total", ["revenue"])]
    assert down["via"] == f"sql_statement:{statement['statement_id']}"

    cl = requests.get(server.url + "/api/2.0/lineage-tracking/column-lineage",
                      params={"table_name": f"main.{schema}.revenue", "column_name": "revenue"}, timeout=30).json()
    assert sorted((c["table_name"], c["name"]) for c in cl["upstream_cols"]) == [("orders", "amount"), ("orders", "qty")]
    assert [(c["table_name"], c["name"]) for c in cl["downstream_cols"]] == [("copy", "total")]
    tl = requests.get(server.url + "/api/2.0/lineage-tracking/table-lineage", params={"table_name": f"main.{schema}.copy"}, timeout=30).json()
    assert [(u["tableInfo"]["name"], u["queryInfos"][0]["query_id"]) for u in tl["upstreams"]] == [("revenue", statement["statement_id"])]

    r = requests.get(server.url + "/api/2.0/ingot/lineage", params={"node_type": "table", "name": f"main.{schema}.nope"}, timeout=10)
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    r = requests.get(server.url + "/api/2.0/ingot/lineage", params={"node_type": "planet", "name": "x"}, timeout=10)
    assert r.status_code == 400 and r.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_openlineage_client_events_join_the_graph(ingot_server):
    from openlineage.client import OpenLineageClient
    from openlineage.client.event_v2 import Dataset, DatasetEvent, InputDataset, Job, OutputDataset, Run, RunEvent, RunState, StaticDataset
    from openlineage.client.facet_v2 import column_lineage_dataset, schema_dataset
    from openlineage.client.transport.http import HttpConfig, HttpTransport
    from openlineage.client.uuid import generate_new_uuid

    server = ingot_server
    schema = uniq("linol")
    create_schema(server, schema)
    sql(server, f"CREATE TABLE main.{schema}.scores (user_id INT, score DOUBLE)")
    client = OpenLineageClient(transport=HttpTransport(HttpConfig(url=server.url, endpoint="api/v1/lineage", timeout=10)))
    producer = "https://github.com/ingot/tests"
    src = InputDataset(namespace="postgres://crm:5432", name=f"public.users_{schema}")
    out = OutputDataset(
        namespace="ingot", name=f"main.{schema}.scores",
        facets={
            "schema": schema_dataset.SchemaDatasetFacet(fields=[schema_dataset.SchemaDatasetFacetFields(name="user_id", type="INT")]),
            "columnLineage": column_lineage_dataset.ColumnLineageDatasetFacet(fields={
                "score": column_lineage_dataset.Fields(
                    inputFields=[column_lineage_dataset.InputField(namespace="postgres://crm:5432", name=f"public.users_{schema}", field="visits")],
                    transformationType="", transformationDescription=""),
            }),
        })
    run = Run(runId=str(generate_new_uuid()))
    job = Job(namespace="airflow", name=f"score_users_{schema}")
    for state in (RunState.START, RunState.COMPLETE):
        client.emit(RunEvent(eventType=state, eventTime="2026-11-26T09:00:00.000Z", run=run, job=job, producer=producer, inputs=[src], outputs=[out]))
    client.emit(DatasetEvent(eventTime="2026-11-26T09:00:01Z", producer=producer, dataset=StaticDataset(namespace="s3://bucket", name=f"raw_{schema}")))

    g = lineage(server, "table", f"main.{schema}.scores", direction="upstream", depth=2)
    [edge] = g["edges"]
    assert edge["source"] == f"external_dataset:postgres://crm:5432/public.users_{schema}"
    assert edge["via"] == f"external_job:airflow/score_users_{schema}" and edge["origin"] == "openlineage"
    assert edge["columns"] == [{"target": "score", "sources": ["visits"]}]
    ext = lineage(server, "external_dataset", f"postgres://crm:5432/public.users_{schema}", direction="downstream", depth=1)
    assert f"table:main.{schema}.scores" in names(ext)
    job_graph = lineage(server, "external_job", f"airflow/score_users_{schema}", direction="downstream", depth=1)
    assert names(job_graph)[job_graph["root"]]["attributes"]["last_event_type"] == "COMPLETE"

    # Validation errors use the standard error body.
    for body, field in [({"producer": producer, "schemaURL": "x"}, "eventTime"),
                        ({"eventTime": "2026-11-26T09:00:00Z", "producer": producer, "run": {"runId": "not-a-uuid"}, "job": {"namespace": "a", "name": "b"}}, "run.runId"),
                        ({"eventTime": "2026-11-26T09:00:00Z", "producer": producer, "job": {"namespace": "a"}}, "job.name"),
                        ({"eventTime": "yesterday", "producer": producer, "job": {"namespace": "a", "name": "b"}}, "eventTime")]:
        r = requests.post(server.url + "/api/v1/lineage", json=body, timeout=10)
        assert r.status_code == 400, r.text
        assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE" and field in r.json()["message"]

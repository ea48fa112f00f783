"""Inference tables: an endpoint with Databricks' `auto_capture_config` appends every request and
response to `<catalog>.<schema>.<prefix>_payload`, which delta-rs, `ingot sql` and the statement
API all read back with the rows that were sent."""
import json
import os
import subprocess
import time

import pytest
import requests
from deltalake import DeltaTable

from ingot_harness import ingot_binary
from test_serving import API, invoke, log_custom, server, uniq, wait_done  # noqa: F401  (server is a fixture)

pytestmark = pytest.mark.timeout(600)


def sql(server, statement):
    r = requests.post(server.url + "/api/2.0/sql/statements", json={"statement": statement, "wait_timeout": "30s"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"]["state"] == "SUCCEEDED", body
    return body["result"].get("data_array", [])


def wait_rows(server, full_name, n, timeout=30):
    deadline = time.time() + timeout
    seen = None
    while time.time() < deadline:
        r = requests.post(
            server.url + "/api/2.0/sql/statements", json={"statement": f"SELECT COUNT(*) FROM {full_name}", "wait_timeout": "30s"}).json()
        if r.get("status", {}).get("state") == "SUCCEEDED":
            seen = int(r["result"]["data_array"][0][0])
            if seen >= n:
                return seen
        time.sleep(0.3)
    raise AssertionError(f"{full_name} has {seen} rows, expected {n}")


def test_inference_table_rows_match_the_requests(server, tmp_path):
    model = uniq("captured")
    log_custom(model, scale=2.0, tmp=tmp_path)
    schema = "inference_" + uniq("s").replace("-", "_")
    r = requests.post(server.url + "/api/2.1/unity-catalog/schemas", json={"name": schema, "catalog_name": "main"})
    assert r.status_code == 200, r.text

    name = uniq("logged")
    config = {
        "served_entities": [{"name": "affine", "entity_name": model, "entity_version": "1"}],
        "auto_capture_config": {"catalog_name": "main", "schema_name": schema, "table_name_prefix": "affine", "enabled": True},
    }
    r = requests.post(server.url + API, json={"name": name, "config": config})
    assert r.status_code == 200, r.text
    ep = wait_done(server, name)
    assert ep["state"]["ready"] == "READY", ep
    capture = ep["config"]["auto_capture_config"]
    assert capture["catalog_name"] == "main" and capture["schema_name"] == schema and capture["enabled"] is True
    assert capture["state"]["payload_table"]["name"] == "affine_payload"

    n = 40
    sent = {}
    for i in range(n):
        body = {"dataframe_split": {"columns": ["a", "b"], "data": [[float(i), i * 10]]}, "client_request_id": f"client-{i}"}
        if i % 10 == 9:
            body = {"dataframe_split": {"columns": ["a", "nope"], "data": [[1.0, 2]]}, "client_request_id": f"client-{i}"}
        resp = invoke(server, name, body)
        sent[f"client-{i}"] = (body, resp.status_code, resp.text)
    assert sum(1 for _, s, _ in sent.values() if s == 200) == 36

    full = f"main.{schema}.affine_payload"
    assert wait_rows(server, full, n) == n

    # delta-rs reads the table where the catalog keeps it.
    path = os.path.join(server.data_dir, "warehouse", "main", schema, "affine_payload")
    rows = DeltaTable(path).to_pyarrow_table().to_pylist()
    assert len(rows) == n
    by_client = {r["client_request_id"]: r for r in rows}
    assert set(by_client) == set(sent)
    assert len({r["request_id"] for r in rows}) == n
    for cid, (body, status, text) in sent.items():
        row = by_client[cid]
        assert row["status_code"] == status, (cid, row)
        assert row["served_entity_id"] == "affine" and row["endpoint_name"] == name
        assert row["shadow"] is False and row["request_truncated"] is False and row["response_truncated"] is False
        assert not row["logging_error_codes"]
        logged = json.loads(row["request"])
        assert logged["client_request_id"] == cid
        assert logged["dataframe_split"] == body["dataframe_split"]
        assert row["execution_duration_ms"] >= 0
        assert row["request_date"] is not None and row["request_time"] is not None
        if status == 200:
            assert json.loads(row["response"]) == json.loads(text)
            assert row["served_entity_version"] == 1
        else:
            assert row["response"] is None and row["error_message"]

    # The statement API and `ingot sql` see the same rows.
    data = sql(server, f"SELECT status_code, COUNT(*) AS n FROM {full} GROUP BY status_code ORDER BY status_code")
    assert [[int(a), int(b)] for a, b in data] == [[200, 36], [400, 4]]
    p = subprocess.run(
        [ingot_binary(), "sql", f"SELECT client_request_id, status_code FROM {full} WHERE client_request_id = 'client-3'", "--output", "json",
         "--server", server.url], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == [{"client_request_id": "client-3", "status_code": 200}]

    # A config update that leaves auto_capture_config out keeps logging to the same table.
    r = requests.put(f"{server.url}{API}/{name}/config", json={"served_entities": [{"name": "affine", "entity_name": model, "entity_version": "1", "workload_size": "Medium"}]})
    assert r.status_code == 200, r.text
    ep = wait_done(server, name)
    assert ep["config"]["auto_capture_config"]["table_name_prefix"] == "affine"
    assert invoke(server, name, {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 1]]}, "client_request_id": "after"}).status_code == 200
    assert wait_rows(server, full, n + 1) == n + 1

    # Disabled capture logs nothing more.
    r = requests.put(f"{server.url}{API}/{name}/config", json={
        "served_entities": [{"name": "affine", "entity_name": model, "entity_version": "1"}],
        "auto_capture_config": {"catalog_name": "main", "schema_name": schema, "table_name_prefix": "affine", "enabled": False}})
    assert r.status_code == 200, r.text
    wait_done(server, name)
    time.sleep(1.5)
    for i in range(5):
        assert invoke(server, name, {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 1]]}}).status_code == 200
    time.sleep(2.5)
    assert int(sql(server, f"SELECT COUNT(*) FROM {full}")[0][0]) == n + 1


def test_auto_capture_config_is_validated(server):
    r = requests.post(server.url + API, json={"name": uniq("bad"), "config": {
        "served_entities": [{"entity_name": "m", "entity_version": "1"}],
        "auto_capture_config": {"schema_name": "s"}}})
    assert r.status_code == 400 and "catalog_name" in r.text

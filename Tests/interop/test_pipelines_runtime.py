"""Pipeline update runtime (issue 7): stop mid-run (every table at a committed version, the next run
exact), continuous mode (a dropped file reaches silver and gold within seconds), the event log as a
Delta table (SQL, `ingot sql`, delta-rs), lineage over REST, and the CLI's names and exit codes."""
import json
import os
import subprocess
import time

import deltalake
import pytest
import requests

from ingot_harness import ingot_binary

pytestmark = pytest.mark.timeout(300)
API = "/api/2.0/pipelines"


def cli(server, *args, check=True, timeout=240):
    p = subprocess.run([ingot_binary(), *map(str, args), "--server", server.url], capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"ingot {' '.join(map(str, args))} failed ({p.returncode}): {p.stdout}\n{p.stderr}")
    return p


def sql_rows(server, text):
    out = requests.post(server.url + "/api/2.0/sql/statements", json={"statement": text, "wait_timeout": "30s"}).json()
    assert out["status"]["state"] == "SUCCEEDED", out
    return out["result"].get("data_array", [])


def make_pipeline(root, name, schema, extra_yaml="", mv_extra=""):
    (root / "landing").mkdir(parents=True, exist_ok=True)
    (root / "pipeline.yaml").write_text(f"name: {name}\ncatalog: main\nschema: {schema}\n{extra_yaml}")
    (root / "bronze.sql").write_text(
        "CREATE OR REFRESH STREAMING TABLE bronze AS SELECT * FROM STREAM read_files('landing', format => 'csv');\n")
    (root / "silver.sql").write_text(
        "CREATE OR REFRESH STREAMING TABLE silver (CONSTRAINT pos EXPECT (v > 0) ON VIOLATION FAIL UPDATE)\n"
        "AS SELECT id, v, id % 10 AS k FROM STREAM(bronze);\n")
    (root / "gold.sql").write_text(
        "CREATE OR REFRESH MATERIALIZED VIEW gold AS SELECT k, count(*) AS n, sum(v) AS s FROM silver GROUP BY k;\n" + mv_extra)
    return root


def write_file(root, name, start, count, bad=False):
    lines = ["id,v"] + [f"{i},{-1 if bad else i % 7 + 1}" for i in range(start, start + count)]
    tmp = root / "landing" / ("." + name)
    tmp.write_text("\n".join(lines) + "\n")
    tmp.rename(root / "landing" / name)  # appear whole


def pipeline_id(server, name):
    return next(s["pipeline_id"] for s in requests.get(server.url + API).json()["statuses"] if s["name"] == name)


def update(server, pid, uid):
    return requests.get(f"{server.url}{API}/{pid}/updates/{uid}").json()["update"]


def wait_state(server, pid, uid, states, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        u = update(server, pid, uid)
        if u["state"] in states:
            return u
        time.sleep(0.05)
    raise AssertionError(f"update {uid} never reached {states}: {u}")


def table_rows(server, schema, table):
    path = os.path.join(server.data_dir, "warehouse", "main", schema, table)
    if not os.path.exists(os.path.join(path, "_delta_log")):
        return 0
    try:
        return deltalake.DeltaTable(path).to_pyarrow_table().num_rows
    except deltalake.exceptions.TableNotFoundError:  # the log folder exists, its first commit not yet
        return 0


def test_stop_mid_run_leaves_committed_tables_and_next_run_is_exact(ingot_server, tmp_path):
    server = ingot_server
    # One dataset at a time, and after the ingest a view that spins (a recursive CTE of `spin` rows,
    # ~10 s at SQLite's speed) so that the stop lands mid-run; the rerun sets spin to 1.
    heavy = ("CREATE OR REFRESH MATERIALIZED VIEW heavy AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < ${spin}) "
             "SELECT (SELECT count(*) FROM silver) AS silver_rows, count(*) AS spins FROM r;\n")
    root = make_pipeline(tmp_path / "p", "rt_cancel", "rt_cancel", "max_parallel_datasets: 1\nconfiguration: {spin: 20000000}\n", mv_extra=heavy)
    files, rows = 20, 2000
    for k in range(files):
        write_file(root, f"f{k:03d}.csv", k * rows, rows)
    out = json.loads(cli(server, "pipelines", "run", root, "--no-wait", "--output", "json").stdout)
    pid, uid = out["pipeline_id"], out["update_id"]
    wait_state(server, pid, uid, {"RUNNING"})
    time.sleep(0.5)
    assert update(server, pid, uid)["state"] == "RUNNING", "the update ended before the stop: make the input bigger"
    p = cli(server, "pipelines", "stop", "rt_cancel", "--output", "json")
    assert json.loads(p.stdout)["state"] == "CANCELED"
    u = update(server, pid, uid)
    assert u["state"] == "CANCELED" and "end_time" in u
    states = {d["name"]: d["state"] for d in u["datasets"]}
    assert "CANCELED" in states.values() or len(states) < 4, states
    # Every table is at a committed version: whole files only.
    assert table_rows(server, "rt_cancel", "bronze") % rows == 0
    assert table_rows(server, "rt_cancel", "silver") % rows == 0
    events = requests.get(f"{server.url}{API}/{pid}/events", params={"update_id": uid}).json()["events"]
    assert any("CANCELED" in e["message"] for e in events)
    assert requests.get(f"{server.url}{API}/{pid}").json()["state"] == "IDLE"

    # The next run completes and loads every file exactly once.
    (root / "pipeline.yaml").write_text("name: rt_cancel\ncatalog: main\nschema: rt_cancel\nmax_parallel_datasets: 1\nconfiguration: {spin: 1}\n")
    p = cli(server, "pipelines", "run", root, "--output", "json")
    assert json.loads(p.stdout)["state"] == "COMPLETED"
    assert table_rows(server, "rt_cancel", "bronze") == files * rows
    assert table_rows(server, "rt_cancel", "silver") == files * rows
    gold = sql_rows(server, "SELECT sum(n) FROM main.rt_cancel.gold")
    assert int(gold[0][0]) == files * rows
    assert sql_rows(server, "SELECT silver_rows, spins FROM main.rt_cancel.heavy") == [[str(files * rows), "1"]]
    # Stopping a pipeline with no running update is not an error.
    assert requests.post(f"{server.url}{API}/{pid}/stop").status_code == 200


def test_continuous_update_processes_dropped_files_within_seconds(ingot_server, tmp_path):
    server = ingot_server
    root = make_pipeline(tmp_path / "c", "rt_continuous", "rt_cont",
                         "continuous: true\nconfiguration:\n  pipelines.trigger.interval: 500 ms\n")
    write_file(root, "a.csv", 0, 10)
    out = json.loads(cli(server, "pipelines", "run", root, "--no-wait", "--output", "json").stdout)
    pid, uid = out["pipeline_id"], out["update_id"]
    spec = requests.get(f"{server.url}{API}/{pid}").json()["spec"]
    assert spec["continuous"] is True

    def gold_count():
        try:
            rows = sql_rows(server, "SELECT sum(n) FROM main.rt_cont.gold")
            return int(rows[0][0]) if rows and rows[0][0] is not None else 0
        except AssertionError:
            return 0

    deadline = time.time() + 30
    while gold_count() != 10 and time.time() < deadline:
        time.sleep(0.2)
    assert gold_count() == 10
    assert update(server, pid, uid)["state"] == "RUNNING"

    write_file(root, "b.csv", 10, 5)
    dropped = time.time()
    while time.time() - dropped < 10 and not (gold_count() == 15 and table_rows(server, "rt_cont", "silver") == 15):
        time.sleep(0.2)
    assert table_rows(server, "rt_cont", "silver") == 15 and gold_count() == 15, "the dropped file did not arrive within 10 s"
    u = update(server, pid, uid)
    assert u["state"] == "RUNNING" and u["progress"]["micro_batches"] >= 1

    r = requests.post(f"{server.url}{API}/{pid}/stop")
    assert r.status_code == 200
    u = wait_state(server, pid, uid, {"CANCELED", "COMPLETED", "FAILED"}, timeout=30)
    assert u["state"] == "CANCELED"
    assert requests.get(f"{server.url}{API}/{pid}").json()["state"] == "IDLE"
    # Nothing was loaded twice.
    assert table_rows(server, "rt_cont", "bronze") == 15


def test_event_log_is_a_table(ingot_server, tmp_path):
    server = ingot_server
    root = make_pipeline(tmp_path / "e", "rt-events", "rt_events")
    write_file(root, "a.csv", 0, 20)
    cli(server, "pipelines", "run", root)
    write_file(root, "b.csv", 20, 5)
    cli(server, "pipelines", "run", "rt-events")
    pid = pipeline_id(server, "rt-events")
    assert requests.get(f"{server.url}{API}/{pid}").json()["spec"]["event_log"] == {"catalog": "main", "schema": "rt_events", "name": "event_log_rt_events"}

    rest = requests.get(f"{server.url}{API}/{pid}/events", params={"max_results": 1000}).json()["events"]
    rows = sql_rows(server, "SELECT event_type, level, count(*) FROM main.rt_events.event_log_rt_events GROUP BY event_type, level ORDER BY 1, 2")
    counts = {(r[0], r[1]): int(r[2]) for r in rows}
    assert sum(counts.values()) == len(rest)
    assert counts[("create_update", "INFO")] == 2 and counts[("update_progress", "INFO")] == 6
    assert counts[("flow_progress", "METRICS")] == 6

    # delta-rs reads it: DLT's fields, origin as a struct; one append per update (not per event).
    t = deltalake.DeltaTable(os.path.join(server.data_dir, "warehouse", "main", "rt_events", "event_log_rt_events"))
    assert t.version() == 2
    d = t.to_pyarrow_table().to_pylist()
    assert {"id", "timestamp", "level", "event_type", "origin", "message", "details", "error"} <= set(d[0])
    metrics = [r for r in d if r["event_type"] == "flow_progress" and r["level"] == "METRICS" and r["origin"]["dataset_name"] == "silver"]
    assert len(metrics) == 2 and {r["origin"]["pipeline_name"] for r in metrics} == {"rt-events"}
    assert {r["origin"]["update_id"] for r in d} == {u["update_id"] for u in requests.get(f"{server.url}{API}/{pid}/updates").json()["updates"]}
    flow = json.loads(metrics[0]["details"])["flow_progress"]
    assert flow["data_quality"]["expectations"][0]["name"] == "pos"
    assert {r["id"] for r in d} == {e["id"] for e in rest}

    p = cli(server, "sql", "SELECT count(*) AS n FROM main.rt_events.event_log_rt_events WHERE level = 'METRICS'", "--output", "json")
    assert "6" in p.stdout

    # A configured event_log table.
    root2 = make_pipeline(tmp_path / "e2", "rt_events2", "rt_events2", "event_log:\n  name: my_events\n  schema: rt_events\n")
    write_file(root2, "a.csv", 0, 3)
    cli(server, "pipelines", "run", root2)
    n = sql_rows(server, "SELECT count(*) FROM main.rt_events.my_events WHERE json_extract(origin, '$.pipeline_name') = 'rt_events2'")
    assert int(n[0][0]) > 0


def test_lineage_over_rest(ingot_server, tmp_path):
    server = ingot_server
    root = make_pipeline(tmp_path / "l", "rt_lineage", "rt_lineage")
    write_file(root, "a.csv", 0, 4)
    cli(server, "pipelines", "run", root)
    pid = pipeline_id(server, "rt_lineage")
    out = requests.get(f"{server.url}/api/2.0/ingot/pipelines/{pid}/lineage").json()
    ds = {d["dataset"]: d for d in out["datasets"]}
    assert ds["bronze"]["source_files"] == [str((root / "landing" / "a.csv").resolve())]
    assert ds["bronze"]["target"]["name"] == "main.rt_lineage.bronze"
    assert [t["name"] for t in ds["silver"]["upstream_tables"]] == ["main.rt_lineage.bronze"]
    assert [t["name"] for t in ds["gold"]["upstream_tables"]] == ["main.rt_lineage.silver"]
    assert ds["gold"]["target"]["version"] >= 0

    tl = requests.get(server.url + "/api/2.0/lineage-tracking/table-lineage", params={"table_name": "main.rt_lineage.silver"}).json()
    assert [u["tableInfo"]["name"] for u in tl["upstreams"]] == ["bronze"]
    assert [u["tableInfo"]["name"] for u in tl["downstreams"]] == ["gold"]
    tl = requests.get(server.url + "/api/2.0/lineage-tracking/table-lineage", params={"table_name": "main.rt_lineage.bronze"}).json()
    assert [u["fileInfo"]["path"] for u in tl["upstreams"]] == [str((root / "landing" / "a.csv").resolve())]
    p = cli(server, "pipelines", "lineage", "rt_lineage")
    assert "main.rt_lineage.bronze" in p.stdout


def test_cli_names_and_exit_codes(ingot_server, tmp_path):
    server = ingot_server
    root = make_pipeline(tmp_path / "x", "rt_cli", "rt_cli")
    out = json.loads(cli(server, "pipelines", "create", root, "--output", "json").stdout)
    assert out["created"] is True
    assert json.loads(cli(server, "pipelines", "create", root, "--output", "json").stdout) == {"pipeline_id": out["pipeline_id"], "created": False}
    assert json.loads(cli(server, "pipelines", "runs", "rt_cli", "--output", "json").stdout) == []

    write_file(root, "a.csv", 0, 50)
    p = cli(server, "pipelines", "run", "rt_cli")
    assert p.returncode == 0 and "COMPLETED" in p.stdout
    assert "datasets" in p.stderr  # progress: datasets done/total, rows/s

    write_file(root, "bad.csv", 50, 3, bad=True)
    p = cli(server, "pipelines", "run", "rt_cli", "--output", "json", check=False)
    assert p.returncode == 1 and json.loads(p.stdout)["state"] == "FAILED"
    runs = json.loads(cli(server, "pipelines", "runs", "rt_cli", "--output", "json").stdout)
    assert [r["state"] for r in runs] == ["FAILED", "COMPLETED"]
    assert json.loads(cli(server, "pipelines", "updates", "rt_cli", "--output", "json").stdout) == runs  # the old name still works
    assert cli(server, "pipelines", "run", "no_such_pipeline", check=False).returncode != 0
    p = cli(server, "pipelines", "stop", "rt_cli")
    assert "no running update" in p.stdout


def test_continuous_pipeline_restarts_with_the_server(start_ingot, tmp_path):
    server = start_ingot()
    root = make_pipeline(tmp_path / "r", "rt_restart", "rt_restart", "continuous: true\nconfiguration:\n  pipelines.trigger.interval: 300 ms\n")
    write_file(root, "a.csv", 0, 4)
    out = json.loads(cli(server, "pipelines", "run", root, "--no-wait", "--output", "json").stdout)
    pid, first = out["pipeline_id"], out["update_id"]
    deadline = time.time() + 30
    while table_rows(server, "rt_restart", "silver") != 4 and time.time() < deadline:
        time.sleep(0.1)
    assert table_rows(server, "rt_restart", "silver") == 4
    data_dir = server.data_dir
    server.stop()

    server = start_ingot(data_dir=data_dir)
    updates = requests.get(f"{server.url}{API}/{pid}/updates").json()["updates"]
    assert updates[-1]["update_id"] == first and updates[-1]["state"] == "FAILED"
    assert updates[0]["cause"] == "RETRY_ON_FAILURE" and updates[0]["state"] in ("QUEUED", "INITIALIZING", "RUNNING")
    write_file(root, "b.csv", 4, 3)
    deadline = time.time() + 15
    while table_rows(server, "rt_restart", "silver") != 7 and time.time() < deadline:
        time.sleep(0.1)
    assert table_rows(server, "rt_restart", "silver") == 7
    assert json.loads(cli(server, "pipelines", "stop", "rt_restart", "--output", "json").stdout)["state"] == "CANCELED"
    assert table_rows(server, "rt_restart", "bronze") == 7


def test_databricks_sdk_starts_and_stops_a_continuous_pipeline(ingot_server, tmp_path):
    from databricks.sdk import WorkspaceClient
    from databricks.sdk.service import pipelines as dp

    server = ingot_server
    root = make_pipeline(tmp_path / "s", "rt_sdk", "rt_sdk", "continuous: true\nconfiguration:\n  pipelines.trigger.interval: 300 ms\n")
    write_file(root, "a.csv", 0, 3)
    w = WorkspaceClient(host=server.url, token="unused")
    pid = requests.post(server.url + API, json={"name": "rt_sdk", "root_path": str(root)}).json()["pipeline_id"]
    uid = w.pipelines.start_update(pid).update_id
    deadline = time.time() + 30
    while w.pipelines.get_update(pid, uid).update.state != dp.UpdateInfoState.RUNNING and time.time() < deadline:
        time.sleep(0.1)
    assert w.pipelines.get(pid).spec.continuous is True
    assert w.pipelines.get(pid).state == dp.PipelineState.RUNNING
    got = w.pipelines.stop(pid).result(timeout=__import__("datetime").timedelta(seconds=30))
    assert got.state == dp.PipelineState.IDLE
    assert w.pipelines.get_update(pid, uid).update.state == dp.UpdateInfoState.CANCELED
    events = list(w.pipelines.list_pipeline_events(pid, max_results=100))
    assert any(e.event_type == "update_progress" and "CANCELED" in e.message for e in events)


def test_cancelling_a_job_run_stops_its_pipeline_update(ingot_server, tmp_path):
    server = ingot_server
    heavy = "CREATE OR REFRESH MATERIALIZED VIEW heavy AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 50000000) SELECT count(*) AS n FROM r;\n"
    root = make_pipeline(tmp_path / "j", "rt_job", "rt_job", mv_extra=heavy)
    write_file(root, "a.csv", 0, 5)
    pid = requests.post(server.url + API, json={"root_path": str(root)}).json()["pipeline_id"]
    job = requests.post(server.url + "/api/2.2/jobs/create", json={
        "name": "rt-job-pipeline", "tasks": [{"task_key": "refresh", "pipeline_task": {"pipeline_id": pid}}]}).json()
    run_id = requests.post(server.url + "/api/2.2/jobs/run-now", json={"job_id": job["job_id"]}).json()["run_id"]
    deadline = time.time() + 30
    while time.time() < deadline:
        updates = requests.get(f"{server.url}{API}/{pid}/updates").json()["updates"]
        if updates and updates[0]["state"] == "RUNNING":
            break
        time.sleep(0.1)
    assert updates[0]["cause"] == "JOB_TASK"
    assert requests.post(server.url + "/api/2.2/jobs/runs/cancel", json={"run_id": run_id}).status_code == 200
    u = wait_state(server, pid, updates[0]["update_id"], {"COMPLETED", "FAILED", "CANCELED"}, timeout=30)
    assert u["state"] == "CANCELED"
    assert table_rows(server, "rt_job", "bronze") == 5

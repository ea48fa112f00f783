"""Read-only routes behind the pipelines / jobs web pages: the pipeline graph
(`/api/2.0/ingot/pipelines/{id}/graph`: datasets with kind, AUTO CDC flow, expectations, file sources,
edges and dependency depth, per-dataset state and counts of an update) and the job schedule preview
(`/api/2.0/ingot/jobs/{id}/schedule`: next fire times, none while paused)."""
import datetime
import json
import shutil
import subprocess
import sys
import time

import requests

from ingot_harness import REPO, ingot_binary

EXAMPLE = REPO / "examples" / "retail"


def get(server, path, params=None, status=200):
    r = requests.get(server.url + path, params=params, timeout=30)
    assert r.status_code == status, f"GET {path}: {r.status_code} {r.text}"
    return r.json()


def test_pipeline_graph(ingot_server, tmp_path):
    pdir = tmp_path / "retail"
    shutil.copytree(EXAMPLE, pdir, ignore=shutil.ignore_patterns("landing", "__pycache__"))
    (pdir / "pipeline.yaml").write_text((pdir / "pipeline.yaml").read_text().replace("schema: retail", "schema: retail_graph").replace("name: retail", "name: retail_graph"))
    subprocess.run([sys.executable, str(pdir / "generate.py"), "--out", str(pdir / "landing"), "--orders", "80"], check=True)
    validated = json.loads(subprocess.run([ingot_binary(), "pipelines", "validate", str(pdir), "--output", "json"],
                                          capture_output=True, text=True, check=True).stdout)
    want = {d["name"]: d for d in validated["datasets"]}
    r = requests.post(ingot_server.url + "/api/2.0/pipelines", json={"root_path": str(pdir)}, timeout=30)
    assert r.status_code == 200, r.text
    pid = r.json()["pipeline_id"]

    g = get(ingot_server, f"/api/2.0/ingot/pipelines/{pid}/graph")
    assert g["catalog"] == "main" and g["schema"] == "retail_graph" and "update" not in g
    ds = {d["name"]: d for d in g["datasets"]}
    assert set(ds) == set(want)
    assert all(d["state"] == "NOT_RUN" and "output_records" not in d for d in ds.values())
    assert sorted((e["from"], e["to"]) for e in g["edges"]) == sorted((dep, n) for n, d in want.items() for dep in d["depends_on"])
    for name, d in ds.items():
        assert d["depth"] == (max((ds[p]["depth"] for p in want[name]["depends_on"]), default=-1) + 1)
        assert d["type"] == want[name]["type"]
    assert ds["bronze_orders"]["sources"] == ["landing/orders"] and ds["bronze_orders"]["depth"] == 0
    assert ds["customers_scd2"]["flow"]["type"] == "AUTO_CDC" and ds["customers_scd2"]["flow"]["scd_type"] == 2
    assert {e["name"]: e["action"] for e in ds["silver_orders"]["expectations"]} == {"valid_order_id": "drop", "non_negative_amount": "fail", "known_status": "warn"}

    uid = requests.post(f"{ingot_server.url}/api/2.0/pipelines/{pid}/updates", json={}, timeout=30).json()["update_id"]
    deadline = time.time() + 120
    while get(ingot_server, f"/api/2.0/pipelines/{pid}/updates/{uid}")["update"]["state"] not in ("COMPLETED", "FAILED", "CANCELED"):
        assert time.time() < deadline
        time.sleep(0.2)
    update = get(ingot_server, f"/api/2.0/pipelines/{pid}/updates/{uid}")["update"]
    assert update["state"] == "COMPLETED", update
    g = get(ingot_server, f"/api/2.0/ingot/pipelines/{pid}/graph")
    assert g["update"]["update_id"] == uid and g["update"]["state"] == "COMPLETED"
    ds = {d["name"]: d for d in g["datasets"]}
    for m in update["datasets"]:
        d = ds[m["name"]]
        assert d["state"] == "COMPLETED"
        assert (d["input_records"], d["output_records"], d["dropped_records"]) == (m["input_records"], m["output_records"], m["dropped_records"])
    assert ds["bronze_orders"]["output_records"] == 80
    results = {e["name"]: e for e in ds["silver_orders"]["expectation_results"]}
    assert results["valid_order_id"]["failed_records"] == ds["silver_orders"]["dropped_records"] > 0
    # The same update by id; an unknown update is a 404.
    assert get(ingot_server, f"/api/2.0/ingot/pipelines/{pid}/graph", {"update_id": uid})["update"]["update_id"] == uid
    get(ingot_server, f"/api/2.0/ingot/pipelines/{pid}/graph", {"update_id": "nope"}, status=404)
    get(ingot_server, "/api/2.0/ingot/pipelines/no-such-pipeline/graph", status=404)

    # A folder that no longer loads: datasets come from the update's metrics, with the reason.
    (pdir / "pipeline.yaml").unlink()
    g = get(ingot_server, f"/api/2.0/ingot/pipelines/{pid}/graph")
    assert "pipeline.yaml" in g["definition_error"]
    assert {d["name"] for d in g["datasets"]} == set(want) and g["edges"] == []
    assert requests.delete(f"{ingot_server.url}/api/2.0/pipelines/{pid}", timeout=30).status_code == 200  # shared server: leave nothing behind


def test_job_schedule_preview(ingot_server):
    r = requests.post(ingot_server.url + "/api/2.2/jobs/create", json={
        "name": "preview", "schedule": {"quartz_cron_expression": "0 30 6 ? * MON-FRI", "timezone_id": "Europe/Berlin"},
        "tasks": [{"task_key": "t", "shell_command_task": {"command": "true"}}]}, timeout=30)
    job_id = r.json()["job_id"]
    s = get(ingot_server, f"/api/2.0/ingot/jobs/{job_id}/schedule", {"count": 7})
    assert s["scheduled"] and s["pause_status"] == "UNPAUSED" and s["timezone_id"] == "Europe/Berlin"
    runs = [datetime.datetime.fromtimestamp(ms / 1000, datetime.timezone.utc) for ms in s["next_runs"]]
    assert len(runs) == 7 and runs == sorted(runs) and runs[0] > datetime.datetime.now(datetime.timezone.utc)
    from zoneinfo import ZoneInfo
    local = [t.astimezone(ZoneInfo("Europe/Berlin")) for t in runs]
    assert all((t.hour, t.minute, t.second) == (6, 30, 0) and t.weekday() < 5 for t in local)
    assert len({t.date() for t in local}) == 7

    requests.post(ingot_server.url + "/api/2.2/jobs/update", json={"job_id": job_id, "new_settings": {
        "schedule": {"quartz_cron_expression": "0 30 6 ? * MON-FRI", "timezone_id": "Europe/Berlin", "pause_status": "PAUSED"}}}, timeout=30)
    s = get(ingot_server, f"/api/2.0/ingot/jobs/{job_id}/schedule")
    assert s["pause_status"] == "PAUSED" and s["next_runs"] == []

    manual = requests.post(ingot_server.url + "/api/2.2/jobs/create", json={"name": "manual", "tasks": [{"task_key": "t", "shell_command_task": {"command": "true"}}]}, timeout=30).json()["job_id"]
    assert get(ingot_server, f"/api/2.0/ingot/jobs/{manual}/schedule") == {"job_id": manual, "scheduled": False, "next_runs": []}
    get(ingot_server, "/api/2.0/ingot/jobs/999999/schedule", status=404)
    for j in (job_id, manual):  # shared server: leave nothing behind
        assert requests.post(ingot_server.url + "/api/2.2/jobs/delete", json={"job_id": j}, timeout=30).status_code == 200

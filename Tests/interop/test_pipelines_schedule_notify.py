"""Pipeline `schedule`, `notifications` and `engine` acted on (issue 7): a cron schedule starts
updates on time (cause SCHEDULED) and stops when paused; webhook notifications reach a tiny local
HTTP receiver on success and on a failed update (with the flow failure naming the dataset); an
unknown engine is refused by `validate` and at create."""
import json
import subprocess
import time

import pytest
import requests

from ingot_harness import WebhookReceiver, ingot_binary

pytestmark = pytest.mark.timeout(90)
API = "/api/2.0/pipelines"


def cli(*args, server=None, check=True):
    cmd = [ingot_binary(), *map(str, args)] + (["--server", server.url] if server else [])
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if check and p.returncode != 0:
        raise AssertionError(f"ingot {' '.join(map(str, args))} failed ({p.returncode}): {p.stdout}\n{p.stderr}")
    return p


def write(pdir, yaml, sql="CREATE OR REFRESH MATERIALIZED VIEW one (CONSTRAINT ok EXPECT (x > ${min}) ON VIOLATION FAIL UPDATE) AS SELECT 1 AS x;"):
    pdir.mkdir(exist_ok=True)
    (pdir / "pipeline.yaml").write_text(yaml)
    (pdir / "p.sql").write_text(sql)


def wait(pred, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_schedule_and_webhook_notifications(ingot_server, tmp_path):
    rx = WebhookReceiver(failures=1, fail_status=503)
    try:
        pdir = tmp_path / "sched"
        yaml = f"""name: sched_notify
schema: sched_notify
configuration: {{min: '0'}}
schedule: {{quartz_cron_expression: '0/2 * * * * ?', timezone_id: UTC}}
notifications:
  - webhook_urls: ['{rx.url}']
    email_recipients: [ops@example.com]
    alerts: [on-update-success, on-update-fatal-failure, on-flow-failure]
"""
        write(pdir, yaml)
        pid = json.loads(cli("pipelines", "create", pdir, "--output", "json", server=ingot_server).stdout)["pipeline_id"]
        # The schedule starts updates by itself; the first success reaches the receiver (after a 503 retry).
        first = wait(lambda: [b for b in rx.delivered if b["alert"] == "on-update-success"])[0]
        assert first["pipeline_id"] == pid and first["pipeline_name"] == "sched_notify" and first["state"] == "COMPLETED"
        assert rx.calls >= 2
        u = requests.get(f"{ingot_server.url}{API}/{pid}/updates/{first['update_id']}").json()["update"]
        assert u["cause"] == "SCHEDULED"
        spec = requests.get(f"{ingot_server.url}{API}/{pid}").json()["spec"]
        assert spec["schedule"] == "0/2 * * * * ?" and spec["schedule_settings"]["pause_status"] == "UNPAUSED"
        assert spec["notifications"] == [{"webhook_urls": [rx.url], "email_recipients": ["ops@example.com"],
                                          "alerts": ["on-update-success", "on-update-fatal-failure", "on-flow-failure"]}]
        # The databricks-sdk decodes the spec (notifications in its shape).
        from databricks.sdk import WorkspaceClient
        w = WorkspaceClient(host=ingot_server.url, token="unused")
        got = w.pipelines.get(pid)
        assert got.spec.notifications[0].alerts == ["on-update-success", "on-update-fatal-failure", "on-flow-failure"]
        assert got.spec.notifications[0].email_recipients == ["ops@example.com"]

        # Paused: no new scheduled updates.
        write(pdir, yaml.replace("timezone_id: UTC", "timezone_id: UTC, pause_status: PAUSED"))
        cli("pipelines", "create", pdir, server=ingot_server)
        time.sleep(0.5)
        wait(lambda: all(x["state"] in ("COMPLETED", "FAILED", "CANCELED") for x in requests.get(f"{ingot_server.url}{API}/{pid}/updates").json()["updates"]))
        before = len(requests.get(f"{ingot_server.url}{API}/{pid}/updates").json()["updates"])
        time.sleep(4.5)
        assert len(requests.get(f"{ingot_server.url}{API}/{pid}/updates").json()["updates"]) == before

        # A failing update (manual run): fatal failure + flow failure naming the dataset.
        write(pdir, yaml.replace("min: '0'", "min: '5'").replace("timezone_id: UTC", "timezone_id: UTC, pause_status: PAUSED"))
        p = cli("pipelines", "run", pdir, "--output", "json", server=ingot_server, check=False)
        assert p.returncode == 1
        bad = json.loads(p.stdout)["update_id"]
        got = wait(lambda: {b["alert"]: b for b in rx.delivered if b["update_id"] == bad} if len([b for b in rx.delivered if b["update_id"] == bad]) >= 2 else None)
        assert set(got) == {"on-update-fatal-failure", "on-flow-failure"}
        assert got["on-flow-failure"]["dataset"] == "one" and "Expectation 'ok'" in got["on-flow-failure"]["error"]
        events = requests.get(f"{ingot_server.url}{API}/{pid}/events", params={"max_results": 200}).json()["events"]
        notes = [e for e in events if e["event_type"] == "notification"]
        assert any("not configured" in e["message"] for e in notes)
        assert any("delivered" in e["message"] for e in notes)
    finally:
        rx.close()


def test_unknown_engine_is_refused(ingot_server, tmp_path):
    pdir = tmp_path / "eng"
    write(pdir, "name: eng_spark\nschema: eng\nengine: spark\n", sql="CREATE OR REFRESH MATERIALIZED VIEW one AS SELECT 1 AS x;")
    p = cli("pipelines", "validate", pdir, check=False)
    assert p.returncode != 0 and "'engine'" in p.stderr and "known engines: embedded" in p.stderr
    r = requests.post(ingot_server.url + API, json={"name": "eng_spark", "root_path": str(pdir)})
    assert r.status_code == 400 and "unknown engine 'spark'" in r.json()["message"]
    write(pdir, "name: eng_ok\nschema: eng\nengine: embedded\n", sql="CREATE OR REFRESH MATERIALIZED VIEW one AS SELECT 1 AS x;")
    assert "valid" in cli("pipelines", "validate", pdir).stdout


def test_jobs_run_progress_on_stderr(ingot_server, tmp_path):
    """`ingot jobs run` writes live progress (tasks done/total, the running task and its pipeline
    update's datasets and rows/s) to stderr; stdout keeps the result (pure JSON with --output json)."""
    pdir = tmp_path / "jobprog"
    write(pdir, "name: job_progress\nschema: job_progress\n",
          sql="CREATE OR REFRESH MATERIALIZED VIEW a AS SELECT 1 AS x;\nCREATE OR REFRESH MATERIALIZED VIEW b AS SELECT x + 1 AS y FROM a;")
    pid = json.loads(cli("pipelines", "create", pdir, "--output", "json", server=ingot_server).stdout)["pipeline_id"]
    spec = tmp_path / "job.json"
    spec.write_text(json.dumps({"name": "job-progress", "tasks": [
        {"task_key": "refresh", "pipeline_task": {"pipeline_id": pid}},
        {"task_key": "after", "depends_on": [{"task_key": "refresh"}], "shell_command_task": {"command": "sleep 0.5"}}]}))
    cli("jobs", "create", spec, server=ingot_server)
    p = cli("jobs", "run", "job-progress", "--output", "json", server=ingot_server)
    run = json.loads(p.stdout)
    assert run["state"]["result_state"] == "SUCCESS"
    lines = p.stderr.splitlines()
    assert any("0/2 tasks done" in x for x in lines) or any("1/2 tasks done" in x for x in lines)
    assert "TERMINATED: 2/2 tasks done" in lines[-1]
    assert any("running: after" in x for x in lines)
    # --no-wait returns at once with the run id.
    p = cli("jobs", "run", "job-progress", "--no-wait", "--output", "json", server=ingot_server)
    assert "run_id" in json.loads(p.stdout) and p.stderr == ""

"""Jobs (Databricks Jobs API 2.2) against a real `ingot serve`: a 3-task DAG (shell → python writing a
table through the SQL statements API → SQL task), retries with their interval and UPSTREAM_FAILED
dependents, repair, cron schedules across a server restart (no double run, missed-time policy, crash
marking), the official databricks-sdk client, and the `ingot jobs` CLI."""
import json
import subprocess
import sys
import time

import pytest
import requests
from databricks.sdk import WorkspaceClient
from databricks.sdk.service import jobs as dj

from ingot_harness import ingot_binary

pytestmark = pytest.mark.timeout(600)
API = "/api/2.2/jobs"

WRITER = r'''
import json, os, sys, urllib.request
url = os.environ["INGOT_URL"] + "/api/2.0/sql/statements"
def sql(text):
    req = urllib.request.Request(url, data=json.dumps({"statement": text, "wait_timeout": "30s"}).encode(),
                                 headers={"Content-Type": "application/json"})
    out = json.load(urllib.request.urlopen(req))
    assert out["status"]["state"] == "SUCCEEDED", out
    return out
table = sys.argv[1]
sql(f"CREATE TABLE {table} AS SELECT {int(sys.argv[2])} AS n, '{os.environ['INGOT_TASK_KEY']}' AS task, {os.environ['INGOT_RUN_ID']} AS run_id")
print("wrote", table, "for job", os.environ["INGOT_JOB_ID"], "tracking", os.environ["MLFLOW_TRACKING_URI"])
'''


def call(server, method, path, body=None, params=None, status=200):
    r = requests.request(method, server.url + path, json=body, params=params, timeout=30)
    assert r.status_code == status, f"{method} {path}: {r.status_code} {r.text}"
    return r.json()


def wait_run(server, run_id, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        run = call(server, "GET", API + "/runs/get", params={"run_id": run_id})
        if run["state"]["life_cycle_state"] in ("TERMINATED", "SKIPPED", "INTERNAL_ERROR"):
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish")


def sql_rows(server, text):
    out = call(server, "POST", "/api/2.0/sql/statements", {"statement": text, "wait_timeout": "30s"})
    assert out["status"]["state"] == "SUCCEEDED", out
    return out["result"].get("data_array", [])


def cli(server, *args):
    return subprocess.run([ingot_binary(), *map(str, args), "--server", server.url], capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def schema(ingot_server):
    requests.post(ingot_server.url + "/api/2.1/unity-catalog/schemas", json={"name": "jobs_it", "catalog_name": "main"})
    return "main.jobs_it"


def test_three_task_dag_runs_to_success(ingot_server, schema, tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    marker = tmp_path / "shell.txt"
    job = call(ingot_server, "POST", API + "/create", {
        "name": "it-dag", "parameters": [{"name": "n", "default": "1"}],
        "tasks": [
            {"task_key": "prepare", "shell_command_task": {"command": f"echo job=$INGOT_JOB_ID n=$INGOT_PARAM_N > {marker}"}},
            {"task_key": "write", "depends_on": [{"task_key": "prepare"}],
             "python_task": {"python_file": str(script), "parameters": [f"{schema}.dag_out", "{{job.parameters.n}}"]}},
            {"task_key": "append", "depends_on": [{"task_key": "write"}],
             "sql_task": {"statement": f"INSERT INTO {schema}.dag_out VALUES ({{{{job.parameters.n}}}} + 1, 'sql', {{{{job.run_id}}}})"}},
        ],
    })
    started = call(ingot_server, "POST", API + "/run-now", {"job_id": job["job_id"], "job_parameters": {"n": "41"}})
    run = wait_run(ingot_server, started["run_id"])
    assert run["state"]["result_state"] == "SUCCESS", run
    assert [t["task_key"] for t in run["tasks"]] == ["prepare", "write", "append"]
    assert all(t["state"]["result_state"] == "SUCCESS" for t in run["tasks"])
    # Dependencies ran in order.
    ends = {t["task_key"]: (t["start_time"], t["end_time"]) for t in run["tasks"]}
    assert ends["prepare"][1] <= ends["write"][0] and ends["write"][1] <= ends["append"][0]
    assert marker.read_text().strip() == f"job={job['job_id']} n=41"
    rows = sql_rows(ingot_server, f"SELECT n, task, run_id FROM {schema}.dag_out ORDER BY n")
    assert rows == [["41", "write", str(started["run_id"])], ["42", "sql", str(started["run_id"])]]
    # The python task's captured output.
    write_run = run["tasks"][1]["run_id"]
    out = call(ingot_server, "GET", API + "/runs/get-output", params={"run_id": write_run})
    assert f"wrote {schema}.dag_out for job {job['job_id']} tracking {ingot_server.url}" in out["logs"]


def test_retries_honour_interval_dependents_upstream_failed_and_repair(ingot_server, tmp_path):
    fixed = tmp_path / "fixed"
    counter = tmp_path / "count"
    job = call(ingot_server, "POST", API + "/create", {
        "name": "it-retry",
        "tasks": [
            {"task_key": "ok", "shell_command_task": {"command": f"echo run >> {counter}"}},
            {"task_key": "flaky", "depends_on": [{"task_key": "ok"}], "max_retries": 2, "min_retry_interval_millis": 1500,
             "shell_command_task": {"command": f"echo attempt $INGOT_ATTEMPT; test -f {fixed}"}},
            {"task_key": "downstream", "depends_on": [{"task_key": "flaky"}], "shell_command_task": {"command": "true"}},
            {"task_key": "cleanup", "depends_on": [{"task_key": "flaky"}], "run_if": "ALL_DONE", "shell_command_task": {"command": "true"}},
        ],
    })
    run_id = call(ingot_server, "POST", API + "/run-now", {"job_id": job["job_id"]})["run_id"]
    run = wait_run(ingot_server, run_id)
    assert run["state"]["result_state"] == "FAILED"
    tasks = {t["task_key"]: t for t in run["tasks"]}
    flaky = tasks["flaky"]
    assert flaky["state"]["result_state"] == "FAILED" and flaky["attempt_number"] == 2
    attempts = flaky["attempts"]
    assert len(attempts) == 3
    for a, b in zip(attempts, attempts[1:]):
        assert b["start_time"] - a["end_time"] >= 1500, attempts
    assert tasks["downstream"]["state"] == {**tasks["downstream"]["state"], "life_cycle_state": "SKIPPED", "result_state": "UPSTREAM_FAILED"}
    assert tasks["cleanup"]["state"]["result_state"] == "SUCCESS"
    log = call(ingot_server, "GET", API + "/runs/get-output", params={"run_id": flaky["run_id"]})["logs"]
    assert "attempt 0" in log and "attempt 2" in log

    # Repair: only the failed task and its dependents run again; "ok" keeps its result and does not re-run.
    fixed.write_text("")
    repair = call(ingot_server, "POST", API + "/runs/repair", {"run_id": run_id, "rerun_all_failed_tasks": True})
    assert isinstance(repair["repair_id"], int)
    repaired = wait_run(ingot_server, run_id)
    assert repaired["state"]["result_state"] == "SUCCESS"
    rtasks = {t["task_key"]: t for t in repaired["tasks"]}
    assert rtasks["ok"]["run_id"] == tasks["ok"]["run_id"]
    assert rtasks["cleanup"]["run_id"] != tasks["cleanup"]["run_id"]  # a dependent of the failed task: re-run too
    assert rtasks["flaky"]["run_id"] != flaky["run_id"] and rtasks["flaky"]["attempt_number"] == 0
    assert rtasks["downstream"]["state"]["result_state"] == "SUCCESS"
    assert counter.read_text() == "run\n"
    history = repaired["repair_history"]
    assert [h["type"] for h in history] == ["ORIGINAL", "REPAIR"]
    assert set(history[1]["task_run_ids"]) == {rtasks[k]["run_id"] for k in ("flaky", "downstream", "cleanup")}


def test_databricks_sdk_drives_jobs(ingot_server, tmp_path):
    w = WorkspaceClient(host=ingot_server.url, token="unused")
    script = tmp_path / "hello.py"
    script.write_text("import os, sys; print('hello', sys.argv[1:], os.environ['INGOT_PARAM_WHO'])")
    created = w.jobs.create(
        name="it-sdk", parameters=[dj.JobParameterDefinition(name="who", default="nobody")],
        tasks=[dj.Task(task_key="py", spark_python_task=dj.SparkPythonTask(python_file=str(script), parameters=["a", "b"])),
               dj.Task(task_key="after", depends_on=[dj.TaskDependency(task_key="py")],
                       run_if=dj.RunIf.ALL_SUCCESS, sql_task=None, notebook_task=None,
                       **{"spark_python_task": dj.SparkPythonTask(python_file=str(script))})],
        schedule=dj.CronSchedule(quartz_cron_expression="0 0 5 * * ?", timezone_id="Europe/Berlin", pause_status=dj.PauseStatus.PAUSED),
        max_concurrent_runs=2, tags={"team": "it"})
    assert created.job_id > 0
    got = w.jobs.get(job_id=created.job_id)
    assert got.settings.name == "it-sdk" and got.settings.schedule.timezone_id == "Europe/Berlin"
    assert [t.task_key for t in got.settings.tasks] == ["py", "after"]
    assert created.job_id in [j.job_id for j in w.jobs.list(name="it-sdk")]

    run = w.jobs.run_now(job_id=created.job_id, job_parameters={"who": "sdk"}).result(timeout=__import__("datetime").timedelta(seconds=60))
    assert run.state.result_state == dj.RunResultState.SUCCESS
    assert run.status.state == dj.RunLifecycleStateV2State.TERMINATED
    fetched = w.jobs.get_run(run_id=run.run_id)
    assert [t.state.result_state for t in fetched.tasks] == [dj.RunResultState.SUCCESS] * 2
    output = w.jobs.get_run_output(run_id=fetched.tasks[0].run_id)
    assert "hello ['a', 'b'] sdk" in output.logs
    assert run.run_id in [r.run_id for r in w.jobs.list_runs(job_id=created.job_id)]

    w.jobs.update(job_id=created.job_id, new_settings=dj.JobSettings(name="it-sdk-renamed"))
    assert w.jobs.get(job_id=created.job_id).settings.name == "it-sdk-renamed"

    # Cancel a long one-time run, repair a run.
    slow = w.jobs.submit(run_name="slow", tasks=[dj.SubmitTask(task_key="s", spark_python_task=dj.SparkPythonTask(
        python_file=str(tmp_path / "sleep.py")))])
    (tmp_path / "sleep.py").write_text("import time; time.sleep(60)")
    time.sleep(0.5)
    canceled = w.jobs.cancel_run(run_id=slow.response.run_id).result()
    assert canceled.state.result_state == dj.RunResultState.CANCELED
    repaired = w.jobs.repair_run(run_id=run.run_id, rerun_tasks=["after"]).result()
    assert repaired.state.result_state == dj.RunResultState.SUCCESS and len(repaired.repair_history) == 2

    w.jobs.delete_run(run_id=run.run_id)
    w.jobs.delete(job_id=created.job_id)
    with pytest.raises(Exception) as e:
        w.jobs.get(job_id=created.job_id)
    assert "does not exist" in str(e.value)


def test_cli_create_run_runs_pause(ingot_server, tmp_path):
    spec = tmp_path / "job.yaml"
    spec.write_text(
        "name: it-cli\n"
        "schedule: {quartz_cron_expression: '0 0 4 * * ?', timezone_id: UTC}\n"
        "tasks:\n"
        "  - task_key: a\n    shell_command_task: {command: 'echo {{job.parameters.x}}'}\n"
        "  - task_key: b\n    depends_on: [{task_key: a}]\n    shell_command_task: {command: 'exit 3'}\n"
        "parameters: [{name: x, default: '1'}]\n")
    p = cli(ingot_server, "jobs", "create", spec)
    assert p.returncode == 0, p.stderr
    p = cli(ingot_server, "jobs", "run", "it-cli", "--param", "x=7")
    assert p.returncode == 1 and "b: TERMINATED FAILED" in p.stdout and "a: TERMINATED SUCCESS" in p.stdout
    runs = json.loads(cli(ingot_server, "jobs", "runs", "it-cli", "--output", "json").stdout)
    assert len(runs) == 1 and runs[0]["state"]["result_state"] == "FAILED"
    assert cli(ingot_server, "jobs", "pause", "it-cli").returncode == 0
    listed = json.loads(cli(ingot_server, "jobs", "list", "--output", "json").stdout)
    assert [j["settings"]["schedule"]["pause_status"] for j in listed if j["settings"]["name"] == "it-cli"] == ["PAUSED"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "x", "tasks": [{"task_key": "a", "depends_on": [{"task_key": "zz"}], "shell_command_task": {"command": "true"}}]}))
    p = cli(ingot_server, "jobs", "create", bad)
    assert p.returncode != 0 and "task 'a' depends on unknown task 'zz'" in p.stderr


def test_cron_schedules_across_restart(start_ingot, tmp_path):
    """`*/5 * * * * ?` and `0 * * * * ?` fire on time; a stop/start on the same data dir neither runs a
    scheduled time twice nor replays a backlog (only the latest missed time runs once); a run cut off by
    the stop is marked INTERNAL_ERROR."""
    data = tmp_path / "data"
    data.mkdir()
    a = start_ingot(data_dir=str(data))
    log = tmp_path / "fires"
    fast = call(a, "POST", API + "/create", {
        "name": "every5s", "schedule": {"quartz_cron_expression": "*/5 * * * * ?", "timezone_id": "UTC"},
        "tasks": [{"task_key": "t", "shell_command_task": {"command": f"echo 5s $INGOT_RUN_ID >> {log}"}}]})["job_id"]
    minute = call(a, "POST", API + "/create", {
        "name": "every-minute", "schedule": {"quartz_cron_expression": "0 * * * * ?", "timezone_id": "UTC"},
        "tasks": [{"task_key": "t", "shell_command_task": {"command": f"echo min $INGOT_RUN_ID >> {log}"}}]})["job_id"]
    long_job = call(a, "POST", API + "/create", {"name": "long", "tasks": [{"task_key": "s", "shell_command_task": {"command": "sleep 120"}}]})["job_id"]

    def runs(server, job):
        return call(server, "GET", API + "/runs/list", params={"job_id": job, "limit": 1000})["runs"]

    # Wait for the every-minute job's first fire (at most ~61 s).
    deadline = time.time() + 75
    while time.time() < deadline and not runs(a, minute):
        time.sleep(0.25)
    first = runs(a, minute)
    assert len(first) == 1, first
    m = first[0]
    assert m["trigger"] == "PERIODIC" and m["scheduled_time"] % 60_000 == 0
    assert 0 <= m["start_time"] - m["scheduled_time"] < 2000, m  # on time
    deadline = time.time() + 20
    while time.time() < deadline and len(runs(a, fast)) < 3:
        time.sleep(0.25)
    fast_before = runs(a, fast)
    assert len(fast_before) >= 3
    for r in fast_before:
        assert r["scheduled_time"] % 5000 == 0 and 0 <= r["start_time"] - r["scheduled_time"] < 2000, r
    wait_run(a, m["run_id"])

    # A run in flight when the server stops.
    cut = call(a, "POST", API + "/run-now", {"job_id": long_job})["run_id"]
    time.sleep(0.5)
    stopped_at = time.time() * 1000
    a.stop()
    time.sleep(7)  # at least one */5 fire time is missed
    b = start_ingot(data_dir=str(data))
    started_at = time.time() * 1000
    time.sleep(4)

    after_min = runs(b, minute)
    sched = [r["scheduled_time"] for r in after_min]
    assert len(sched) == len(set(sched)), sched
    assert sched.count(m["scheduled_time"]) == 1  # the fired minute is not run again after the restart

    fast_all = runs(b, fast)
    fs = [r["scheduled_time"] for r in fast_all]
    assert len(fs) == len(set(fs)), fs
    missed = [r for r in fast_all if stopped_at < r["scheduled_time"] < started_at - 100]
    assert len(missed) == 1, (stopped_at, started_at, [r["scheduled_time"] for r in fast_all])  # the latest missed time, once
    newest_missed = max(t for t in range(int(stopped_at) // 5000 * 5000, int(started_at), 5000) if stopped_at < t < started_at - 100)
    assert missed[0]["scheduled_time"] in (newest_missed, newest_missed - 5000)
    assert any(r["scheduled_time"] > started_at for r in fast_all)  # and the schedule carries on

    cut_run = call(b, "GET", API + "/runs/get", params={"run_id": cut})
    assert cut_run["state"]["life_cycle_state"] == "INTERNAL_ERROR"
    assert cut_run["state"]["result_state"] == "FAILED"
    assert cut_run["state"]["state_message"] == "the server stopped during the run"

    # Pausing stops the fires.
    call(b, "POST", API + "/update", {"job_id": fast, "new_settings": {"schedule": {"quartz_cron_expression": "*/5 * * * * ?", "timezone_id": "UTC", "pause_status": "PAUSED"}}})
    n = len(runs(b, fast))
    time.sleep(6)
    assert len(runs(b, fast)) == n


def test_pipeline_task_runs_an_update(ingot_server, tmp_path):
    folder = tmp_path / "pl"
    folder.mkdir()
    (folder / "pipeline.yaml").write_text("name: it-jobs-pipeline\ncatalog: main\nschema: jobs_pl\n")
    (folder / "mv.sql").write_text("CREATE OR REFRESH MATERIALIZED VIEW answer AS SELECT 42 AS x\n")
    pipeline_id = call(ingot_server, "POST", "/api/2.0/pipelines", {"root_path": str(folder)})["pipeline_id"]
    job = call(ingot_server, "POST", API + "/create", {
        "name": "it-pipeline-task",
        "tasks": [{"task_key": "refresh", "pipeline_task": {"pipeline_id": pipeline_id, "full_refresh": True}},
                  {"task_key": "check", "depends_on": [{"task_key": "refresh"}], "sql_task": {"statement": "SELECT x FROM main.jobs_pl.answer"}}]})
    run = wait_run(ingot_server, call(ingot_server, "POST", API + "/run-now", {"job_id": job["job_id"]})["run_id"], timeout=120)
    assert run["state"]["result_state"] == "SUCCESS", run
    assert sql_rows(ingot_server, "SELECT x FROM main.jobs_pl.answer") == [["42"]]
    updates = call(ingot_server, "GET", f"/api/2.0/pipelines/{pipeline_id}/updates")["updates"]
    assert updates and updates[0]["state"] == "COMPLETED"

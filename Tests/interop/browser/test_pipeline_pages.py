"""Pipelines and jobs pages (issue 7): the retail example pipeline's DAG page renders one node per
dataset (names and dependency layers as `ingot pipelines validate` reports them), "Start update" runs
it and every node then shows the counts the update recorded; the updates, event log and data-quality
tabs; the pipelines list; a scheduled two-task job (shell → pipeline update) on the jobs list, paused
and unpaused from its page, run with "Run now", its run in the timeline (run bar, per-task cells and
the task Gantt chart) and a task's logs.

Runs its own server with `--web-root web/` so the pages under test are the files in the tree.
"""

import json
import shutil
import subprocess
import sys
import time

import pytest
import requests
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

import browser_helpers
from browser_helpers import output_dir, severe_entries
from ingot_harness import REPO, ingot_binary

EXAMPLE = REPO / "examples" / "retail"
PIPELINES = "/api/2.0/pipelines"
JOBS = "/api/2.2/jobs"


@pytest.fixture(scope="module")
def web_server():
    yield from browser_helpers.web_server("pipelines-web")


@pytest.fixture(scope="module")
def retail(tmp_path_factory):
    """A copy of examples/retail with one small batch of landing files, and its validated definition."""
    pdir = tmp_path_factory.mktemp("retail-web") / "retail"
    shutil.copytree(EXAMPLE, pdir, ignore=shutil.ignore_patterns("landing", "__pycache__"))
    subprocess.run([sys.executable, str(pdir / "generate.py"), "--out", str(pdir / "landing"), "--batch", "1", "--orders", "120"], check=True)
    p = subprocess.run([ingot_binary(), "pipelines", "validate", str(pdir), "--output", "json"], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    return pdir, json.loads(p.stdout)


def wait(driver, timeout=20):
    # Pages redraw sections when they poll: elements found mid-redraw may go stale.
    return WebDriverWait(driver, timeout, poll_frequency=0.2, ignored_exceptions=[StaleElementReferenceException, NoSuchElementException])


def call(server, method, path, body=None, params=None):
    r = requests.request(method, server.url + path, json=body, params=params, timeout=30)
    assert r.status_code == 200, f"{method} {path}: {r.status_code} {r.text}"
    return r.json()


def nodes(driver):
    """Dataset nodes of the DAG as {name: attributes} (read in one script call: the graph redraws while polling)."""
    return driver.execute_script("""
        const out = {};
        for (const g of document.querySelectorAll("svg.dag g.dag-node[data-kind='dataset']")) {
          const box = g.getBoundingClientRect();
          out[g.dataset.name] = {state: g.dataset.state, type: g.dataset.type, input: g.dataset.input, output: g.dataset.output,
            dropped: g.dataset.dropped, counts: g.querySelector("[data-role='counts']").textContent, x: box.left};
        }
        out.__count = document.querySelectorAll("svg.dag g.dag-node[data-kind='dataset']").length;
        return out;""")


def wait_update(server, pid, update_id, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        u = call(server, "GET", f"{PIPELINES}/{pid}/updates/{update_id}")["update"]
        if u["state"] in ("COMPLETED", "FAILED", "CANCELED"):
            return u
        time.sleep(0.2)
    raise AssertionError(f"update {update_id} did not finish")


def wait_run(server, run_id, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        run = call(server, "GET", JOBS + "/runs/get", params={"run_id": run_id})
        if run["state"]["life_cycle_state"] in ("TERMINATED", "SKIPPED", "INTERNAL_ERROR"):
            return run
        time.sleep(0.2)
    raise AssertionError(f"run {run_id} did not finish")


def test_pipeline_dag_page_and_job_timeline(web_server, driver, retail):
    pdir, definition = retail
    datasets = {d["name"]: d for d in definition["datasets"]}
    assert {"bronze_orders", "silver_orders", "customers_scd2", "gold_sales_by_country"} <= set(datasets)
    severe_entries(driver)

    # Create it from the list page; a folder that is not a pipeline gets the API's validation message.
    driver.get(f"{web_server.url}/ui/pipelines")
    wait(driver).until(EC.element_to_be_clickable((By.ID, "create-pipeline"))).click()
    path = wait(driver).until(EC.visibility_of_element_located((By.ID, "new-pipeline-path")))
    path.send_keys(str(pdir / "nowhere"))
    driver.find_element(By.CSS_SELECTOR, "dialog button[type='submit']").click()
    wait(driver).until(lambda d: "is not a directory" in d.find_element(By.CSS_SELECTOR, "[data-role='create-error']").text)
    # Chromium logs the refused POST itself; nothing else may be logged.
    assert [e["message"] for e in severe_entries(driver) if f"{PIPELINES} - Failed to load resource" not in e["message"]] == []
    path.clear()
    path.send_keys(str(pdir))
    driver.find_element(By.CSS_SELECTOR, "dialog button[type='submit']").click()
    wait(driver).until(lambda d: "/ui/pipelines/" in d.current_url)
    pid = driver.current_url.rstrip("/").split("/")[-1].split("?")[0]
    assert call(web_server, "GET", f"{PIPELINES}/{pid}")["name"] == "retail"
    assert driver.find_elements(By.CSS_SELECTOR, "dialog[open]") == []

    # Before any run: one node per dataset, no counts yet, laid out by dependency depth.
    wait(driver).until(lambda d: nodes(d)["__count"] == len(datasets))
    before = nodes(driver)
    assert set(before) - {"__count"} == set(datasets)
    assert all(before[n]["state"] == "NOT_RUN" and before[n]["output"] == "" for n in datasets)
    assert before["bronze_orders"]["type"] == "STREAMING_TABLE" and before["gold_sales_by_country"]["type"] == "MATERIALIZED_VIEW"
    for name, d in datasets.items():
        for dep in d["depends_on"]:
            assert before[dep]["x"] < before[name]["x"], f"{dep} should be left of {name}"
    edges = driver.find_elements(By.CSS_SELECTOR, "svg.dag path.dag-edge:not(.from-source)")
    assert len(edges) == sum(len(d["depends_on"]) for d in datasets.values())
    assert len(driver.find_elements(By.CSS_SELECTOR, "svg.dag g.dag-source")) == 3  # the three landing folders
    assert "AUTO CDC" in driver.find_element(By.CSS_SELECTOR, "g.dag-node[data-name='customers_scd2'] [data-role='type']").text

    # Start update from the page; the update's recorded counts appear on every node.
    driver.find_element(By.ID, "start-update").click()
    update_id = wait(driver).until(lambda d: call(web_server, "GET", f"{PIPELINES}/{pid}")["latest_updates"][0]["update_id"]
                                   if call(web_server, "GET", f"{PIPELINES}/{pid}")["latest_updates"] else False)
    update = wait_update(web_server, pid, update_id)
    assert update["state"] == "COMPLETED", update
    recorded = {d["name"]: d for d in update["datasets"]}
    assert set(recorded) == set(datasets)
    wait(driver).until(lambda d: all(v["state"] == "COMPLETED" for k, v in nodes(d).items() if k != "__count"))
    after = nodes(driver)
    assert after["__count"] == len(datasets)
    for name, d in recorded.items():
        node = after[name]
        assert node["output"] == str(d["output_records"]) and node["input"] == str(d["input_records"]), (name, node, d)
        assert f"out {d['output_records']:,}" in node["counts"], (name, node["counts"])
    assert recorded["bronze_orders"]["output_records"] == 120
    assert recorded["silver_orders"]["dropped_records"] > 0 and "dropped" in after["silver_orders"]["counts"]
    assert driver.find_element(By.CSS_SELECTOR, "[data-role='update-summary']").get_attribute("data-state") == "COMPLETED"
    assert driver.find_element(By.ID, "start-update").is_enabled() and not driver.find_element(By.ID, "stop-update").is_enabled()

    # Dataset details: expectation results of silver_orders.
    driver.find_element(By.CSS_SELECTOR, "g.dag-node[data-name='silver_orders']").click()
    row = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-role='dataset-expectations'] tr[data-expectation='valid_order_id']")))
    exp = {e["name"]: e for e in recorded["silver_orders"]["expectations"]}["valid_order_id"]
    assert row.find_elements(By.CSS_SELECTOR, "td.num")[1].text == f"{exp['failed_records']:,}"
    driver.save_screenshot(str(output_dir() / "pipeline-graph.png"))

    # Updates, event log, data quality.
    driver.find_element(By.CSS_SELECTOR, "[data-tab='updates']").click()
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, f"[data-panel='updates'] tr[data-row-key='{update_id}'] [data-role='update-state']")
                       .get_attribute("data-status") == "COMPLETED")
    driver.find_element(By.CSS_SELECTOR, "[data-tab='events']").click()
    wait(driver).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-role='event-log'] tbody tr[data-row-key]")) >= len(datasets))
    assert "COMPLETED" in driver.find_element(By.CSS_SELECTOR, "[data-role='event-log']").text
    driver.find_element(By.CSS_SELECTOR, "[data-tab='quality']").click()
    chart = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-chart='silver_orders.valid_order_id'] svg.chart")))
    assert len(chart.find_elements(By.CSS_SELECTOR, "path.series")) == 2
    summary = driver.find_element(By.CSS_SELECTOR, "[data-role='quality-summary'] tr[data-expectation='silver_orders.known_status']").text
    assert "Warn" in summary
    driver.save_screenshot(str(output_dir() / "pipeline-quality.png"))

    # Pipelines list: the pipeline with its latest update.
    driver.get(f"{web_server.url}/ui/pipelines")
    link = wait(driver).until(EC.element_to_be_clickable((By.LINK_TEXT, "retail")))
    row = link.find_element(By.XPATH, "./ancestor::tr")
    assert row.find_element(By.CSS_SELECTOR, "[data-role='latest-state']").get_attribute("data-status") == "COMPLETED"
    assert row.find_element(By.CSS_SELECTOR, "[data-role='mode']").get_attribute("data-mode") == "triggered"

    # A scheduled job: shell task → pipeline update.
    job_id = call(web_server, "POST", JOBS + "/create", {
        "name": "retail-nightly",
        "schedule": {"quartz_cron_expression": "0 0 3 * * ?", "timezone_id": "UTC", "pause_status": "UNPAUSED"},
        "parameters": [{"name": "note", "default": "from-default"}],
        "tasks": [
            {"task_key": "extract", "shell_command_task": {"command": "echo hello-from-extract note=$INGOT_PARAM_NOTE"}},
            {"task_key": "refresh", "depends_on": [{"task_key": "extract"}], "pipeline_task": {"pipeline_id": pid}},
        ],
    })["job_id"]
    driver.get(f"{web_server.url}/ui/jobs")
    link = wait(driver).until(EC.element_to_be_clickable((By.LINK_TEXT, "retail-nightly")))
    row = link.find_element(By.XPATH, "./ancestor::tr")
    assert "0 0 3 * * ?" in row.find_element(By.CSS_SELECTOR, "[data-role='schedule']").text
    assert row.find_element(By.CSS_SELECTOR, "[data-role='pause-status']").get_attribute("data-status") == "UNPAUSED"
    assert row.find_element(By.CSS_SELECTOR, "[data-role='last-run-state']").text == "Never run"
    link.click()

    # Job page: schedule with its next fire times; pause and unpause.
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-role='next-runs'] .tag-chip")))
    assert len(driver.find_elements(By.CSS_SELECTOR, "[data-role='next-runs'] .tag-chip")) == 5
    assert driver.find_element(By.CSS_SELECTOR, "[data-role='no-runs']")
    driver.find_element(By.ID, "toggle-pause").click()
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-role='pause-status']").get_attribute("data-status") == "PAUSED")
    assert call(web_server, "GET", JOBS + "/get", params={"job_id": job_id})["settings"]["schedule"]["pause_status"] == "PAUSED"
    driver.find_element(By.ID, "toggle-pause").click()
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-role='pause-status']").get_attribute("data-status") == "UNPAUSED")
    assert call(web_server, "GET", JOBS + "/get", params={"job_id": job_id})["settings"]["schedule"]["pause_status"] == "UNPAUSED"

    # Run with a parameter: the run shows in the timeline with both tasks; the shell task's logs.
    driver.find_element(By.ID, "run-with-parameters").click()
    note = wait(driver).until(EC.visibility_of_element_located((By.ID, "param-note")))
    assert note.get_attribute("value") == "from-default"
    note.clear()
    note.send_keys("from-the-page")
    driver.find_element(By.ID, "run-params-submit").click()
    run_id = wait(driver).until(lambda d: (call(web_server, "GET", JOBS + "/runs/list", params={"job_id": job_id})["runs"] or [{}])[0].get("run_id"))
    run = wait_run(web_server, run_id)
    assert run["state"]["result_state"] == "SUCCESS", run
    bar = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, f"[data-role='run-matrix'] rect.tl-bar[data-run-id='{run_id}']:not([data-task])")
                             if d.find_element(By.CSS_SELECTOR, f"[data-role='run-matrix'] rect.tl-bar[data-run-id='{run_id}']:not([data-task])")
                             .get_attribute("data-state") == "SUCCESS" else False)
    assert int(bar.get_attribute("data-duration")) >= 0
    cells = driver.find_elements(By.CSS_SELECTOR, f"[data-role='run-matrix'] rect[data-task][data-run-id='{run_id}']")
    assert sorted(c.get_attribute("data-task") for c in cells) == ["extract", "refresh"]
    assert all(c.get_attribute("data-state") == "SUCCESS" for c in cells)
    gantt = {b.get_attribute("data-task"): b for b in driver.find_elements(By.CSS_SELECTOR, f"[data-role='task-gantt'][data-run-id='{run_id}'] [data-role='gantt-bar']")}
    assert set(gantt) == {"extract", "refresh"}
    assert float(gantt["extract"].get_attribute("x")) <= float(gantt["refresh"].get_attribute("x"))
    gantt["extract"].click()
    logs = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-role='task-logs']")))
    assert "hello-from-extract note=from-the-page" in logs.text
    assert driver.find_element(By.CSS_SELECTOR, "[data-role='output-task']").get_attribute("data-task") == "extract"
    driver.save_screenshot(str(output_dir() / "job-timeline.png"))

    # The job's pipeline task ran a second update: the pipeline page follows it.
    driver.get(f"{web_server.url}/ui/pipelines/{pid}?tab=updates")
    wait(driver).until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "[data-panel='updates'] [data-role='update-state']")) == 2)

    assert severe_entries(driver) == []


def write_csv(landing, name, start, count):
    tmp = landing / ("." + name)
    tmp.write_text("id,v\n" + "".join(f"{i},{i % 7 + 1}\n" for i in range(start, start + count)))
    tmp.rename(landing / name)  # appear whole


def test_continuous_update_refreshes_live_and_stops(web_server, driver, tmp_path):
    """A continuous update never ends by itself: the page follows it while RUNNING (a dropped file's
    micro-batch shows up on the nodes without a reload) and its Stop button cancels it."""
    root = tmp_path / "live"
    (root / "landing").mkdir(parents=True)
    (root / "pipeline.yaml").write_text(
        "name: web_live\ncatalog: main\nschema: web_live\ncontinuous: true\nconfiguration:\n  pipelines.trigger.interval: 300 ms\n")
    (root / "bronze.sql").write_text("CREATE OR REFRESH STREAMING TABLE raw AS SELECT * FROM STREAM read_files('landing', format => 'csv');\n")
    (root / "gold.sql").write_text("CREATE OR REFRESH MATERIALIZED VIEW totals AS SELECT count(*) AS n, sum(v) AS s FROM raw;\n")
    write_csv(root / "landing", "a.csv", 0, 10)
    pid = call(web_server, "POST", PIPELINES, {"root_path": str(root)})["pipeline_id"]
    severe_entries(driver)

    driver.get(f"{web_server.url}/ui/pipelines/{pid}")
    wait(driver).until(lambda d: nodes(d)["__count"] == 2)
    assert driver.find_element(By.CSS_SELECTOR, "[data-role='pipeline-mode']").text.endswith("Continuous")
    driver.find_element(By.ID, "start-update").click()
    # First pass: both datasets done while the update keeps RUNNING.
    wait(driver, 30).until(lambda d: (lambda n: n["raw"]["output"] == "10" and n["totals"]["output"] == "1")(nodes(d)))
    summary = driver.find_element(By.CSS_SELECTOR, "[data-role='update-summary']")
    assert summary.get_attribute("data-state") == "RUNNING"
    update_id = summary.get_attribute("data-update")
    assert driver.find_element(By.ID, "stop-update").is_enabled() and not driver.find_element(By.ID, "start-update").is_enabled()

    # A new file: its micro-batch's counts reach the nodes with no reload.
    driver.execute_script("window.__liveMarker = 7;")
    write_csv(root / "landing", "b.csv", 10, 5)
    wait(driver, 30).until(lambda d: (lambda n: n["raw"]["output"] == "5" and n["raw"]["state"] == "COMPLETED")(nodes(d)))
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-role='progress-batches']").text.endswith("1"))
    assert driver.execute_script("return window.__liveMarker") == 7
    assert call(web_server, "GET", f"{PIPELINES}/{pid}/updates/{update_id}")["update"]["state"] == "RUNNING"
    driver.save_screenshot(str(output_dir() / "pipeline-continuous.png"))

    # Stop: the update ends CANCELED and the buttons follow.
    driver.find_element(By.ID, "stop-update").click()
    wait(driver, 30).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-role='update-summary']").get_attribute("data-state") == "CANCELED")
    assert call(web_server, "GET", f"{PIPELINES}/{pid}/updates/{update_id}")["update"]["state"] == "CANCELED"
    wait(driver).until(lambda d: d.find_element(By.ID, "start-update").is_enabled())
    assert not driver.find_element(By.ID, "stop-update").is_enabled()
    assert severe_entries(driver) == []


def test_failed_job_run_shows_error_and_repairs(web_server, driver, tmp_path):
    """A failed task's error and stderr on the job page; Repair re-runs it and its dependent."""
    marker = tmp_path / "second-attempt"
    job_id = call(web_server, "POST", JOBS + "/create", {"name": "flaky-web", "tasks": [
        {"task_key": "load", "shell_command_task": {"command": "echo loading"}},
        {"task_key": "check", "depends_on": [{"task_key": "load"}],
         "shell_command_task": {"command": f"test -f {marker} || {{ touch {marker}; echo first-try-fails >&2; exit 3; }}"}},
        {"task_key": "publish", "depends_on": [{"task_key": "check"}], "shell_command_task": {"command": "echo published"}},
    ]})["job_id"]
    severe_entries(driver)
    driver.get(f"{web_server.url}/ui/jobs/{job_id}")
    wait(driver).until(EC.element_to_be_clickable((By.ID, "run-now"))).click()
    run_id = wait(driver).until(lambda d: (call(web_server, "GET", JOBS + "/runs/list", params={"job_id": job_id})["runs"] or [{}])[0].get("run_id"))
    run = wait_run(web_server, run_id)
    assert run["state"]["result_state"] == "FAILED"

    # Opened on the run (?run=): the failed task's output shows by itself.
    driver.get(f"{web_server.url}/ui/jobs/{job_id}?run={run_id}")
    states = lambda d: {c.get_attribute("data-task"): c.get_attribute("data-state")  # noqa: E731
                        for c in d.find_elements(By.CSS_SELECTOR, f"[data-role='run-matrix'] rect[data-task][data-run-id='{run_id}']")}
    wait(driver).until(lambda d: states(d) == {"load": "SUCCESS", "check": "FAILED", "publish": "UPSTREAM_FAILED"})
    # The failed task's output opens by itself: its error and its stderr.
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-role='output-task']").get_attribute("data-task") == "check")
    assert "first-try-fails" in driver.find_element(By.CSS_SELECTOR, "[data-role='task-logs']").text
    assert driver.find_element(By.CSS_SELECTOR, "[data-role='task-error']").text

    driver.find_element(By.ID, "repair-run").click()
    wait(driver, 30).until(lambda d: states(d) == {"load": "SUCCESS", "check": "SUCCESS", "publish": "SUCCESS"})
    run = call(web_server, "GET", JOBS + "/runs/get", params={"run_id": run_id})
    assert run["state"]["result_state"] == "SUCCESS" and len(run["repair_history"]) == 2
    wait(driver).until(lambda d: d.find_element(By.ID, "repair-run").get_attribute("hidden") is not None)
    assert severe_entries(driver) == []

"""Security checks with authentication on (the session's shared auth-on server, one user for the
module): Bearer brute force throttled per client address, expired and deleted tokens refused at once, path traversal refused on artifact
and table routes, filtered lists that still fill their pages, Iceberg lists filtered to what the
caller may use, job SQL tasks checked against the run's principal, and no credential ever written
to the server log or the audit log. (Session fixation and CSRF: test_identity_sessions.py.)"""
import http.client
import json
import os
import time
import uuid

import pytest
import requests

API = "/api/2.0/mlflow"
SCIM = "/api/2.0/preview/scim/v2"
ME = "/api/2.0/ingot/me"


@pytest.fixture(scope="module")
def sec(secured_server):
    """The shared auth-on server, its administrator, a fresh user (unique name) with a token, and the
    secrets the module used (checked against the logs last)."""
    server = secured_server
    user = server.new_user("ana", comment="security")
    secrets = [server.root_token, user.token, user.password]
    return server, server.root, user, secrets


def raw(server, method, target, headers=None, body=None, source="127.0.0.1"):
    """One request sent exactly as written (no client-side path normalisation), from `source`."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10, source_address=(source, 0))
    try:
        conn.request(method, target, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read().decode(errors="replace")
    finally:
        conn.close()


def test_bearer_brute_force_is_throttled_per_address(sec):
    server, root, user, secrets = sec
    ana = user.headers
    guesses = [f"ingot_{uuid.uuid4().hex}{uuid.uuid4().hex}" for _ in range(21)]
    secrets.extend(guesses)
    attacker = "127.0.0.3"
    for guess in guesses[:20]:
        status, _, _ = raw(server, "GET", ME, {"Authorization": f"Bearer {guess}", "X-Ingot-Client": "web"}, source=attacker)
        assert status == 401
    status, headers, body = raw(server, "GET", ME, {"Authorization": f"Bearer {guesses[20]}"}, source=attacker)
    assert status == 429 and json.loads(body)["error_code"] == "REQUEST_LIMIT_EXCEEDED"
    assert 1 <= int(headers["Retry-After"]) <= 60
    # While throttled the address gets 429 even for a valid token: the answer no longer tells a hit from a miss.
    status, _, _ = raw(server, "GET", ME, {"Authorization": ana["Authorization"]}, source=attacker)
    assert status == 429
    # Other clients are not slowed: valid tokens answer at once.
    start = time.monotonic()
    for _ in range(5):
        status, _, body = raw(server, "GET", ME, {"Authorization": ana["Authorization"]}, source="127.0.0.1")
        assert status == 200 and json.loads(body)["user_name"] == user.name
    assert time.monotonic() - start < 2.0
    assert requests.get(server.url + ME, headers=root, timeout=5).status_code == 200


def test_expired_and_deleted_tokens_stop_at_once(sec):
    server, root, user, secrets = sec
    ana = user.headers
    r = requests.post(server.url + "/api/2.0/token/create", json={"comment": "short", "lifetime_seconds": 1}, headers=ana, timeout=10)
    assert r.status_code == 200, r.text
    short = r.json()["token_value"]
    secrets.append(short)
    assert requests.get(server.url + ME, headers={"Authorization": f"Bearer {short}"}, timeout=5).status_code == 200
    time.sleep(1.3)
    assert requests.get(server.url + ME, headers={"Authorization": f"Bearer {short}"}, timeout=5).status_code == 401

    r = requests.post(server.url + "/api/2.0/token/create", json={"comment": "to delete"}, headers=ana, timeout=10)
    doomed, doomed_id = r.json()["token_value"], r.json()["token_info"]["token_id"]
    secrets.append(doomed)
    bearer = {"Authorization": f"Bearer {doomed}"}
    assert requests.get(server.url + ME, headers=bearer, timeout=5).status_code == 200
    assert requests.post(server.url + "/api/2.0/token/delete", json={"token_id": doomed_id}, headers=ana, timeout=5).status_code == 200
    assert requests.get(server.url + ME, headers=bearer, timeout=5).status_code == 401
    # Also through HTTP Basic with the token as the password (how MLFLOW_TRACKING_PASSWORD carries one).
    assert requests.get(server.url + ME, auth=(user.name, doomed), timeout=5).status_code == 401


def test_path_traversal_is_refused(sec):
    server, root, user, _ = sec
    ana = user.headers
    exp = requests.post(server.url + f"{API}/experiments/create", json={"name": f"trav-{uuid.uuid4().hex[:6]}"}, headers=root, timeout=10).json()["experiment_id"]
    run = requests.post(server.url + f"{API}/runs/create", json={"experiment_id": exp}, headers=root, timeout=10).json()["run"]["info"]
    base = f"/api/2.0/mlflow-artifacts/artifacts/{exp}/{run['run_id']}/artifacts"
    status, _, _ = raw(server, "PUT", f"{base}/ok.txt", {**root, "Content-Type": "text/plain"}, body=b"fine")
    assert status == 200
    status, _, body = raw(server, "GET", f"{base}/ok.txt", root)
    assert status == 200 and body == "fine"
    escapes = ["../../../../../../etc/passwd", "..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd", "%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
               "sub/../../../../../../../etc/passwd"]
    # As an administrator (no permission check stands in the way): the stores themselves refuse.
    for escape in escapes:
        status, _, body = raw(server, "GET", f"{base}/{escape}", root)
        assert status in (400, 403, 404), (escape, status)
        assert "root:" not in body
        status, _, _ = raw(server, "PUT", f"{base}/{escape}-written", {**root, "Content-Type": "text/plain"}, body=b"x")
        assert status in (400, 403, 404), (escape, status)
    assert not os.path.exists("/etc/passwd-written")
    for query in [f"run_id={run['run_id']}&path=../../../../../../etc/passwd", f"run_id={run['run_id']}&path=..%2F..%2F..%2F..%2Fetc"]:
        for route in ("/get-artifact", f"{API}/artifacts/list"):
            status, _, body = raw(server, "GET", f"{route}?{query}", root)
            assert status in (400, 403, 404), (route, query, status)
            assert "root:" not in body
    # Table routes: names that try to climb out of the warehouse are not tables.
    for name in ["main.default.%2E%2E%2F%2E%2E%2Fetc", "..%2F..%2F..%2Fetc.passwd.x", "main.default..."]:
        for route in (f"/api/2.1/unity-catalog/tables/{name}", f"/api/2.0/ingot/tables/{name}/history", f"/api/2.0/ingot/tables/{name}/preview"):
            status, _, body = raw(server, "GET", route, root)
            assert status in (400, 403, 404), (route, status)
    # Volumes: a user allowed to read one volume cannot climb into another through dot segments.
    for volume in ("pub", "secret"):
        r = requests.post(server.url + "/api/2.1/unity-catalog/volumes", headers=root, timeout=10,
                          json={"catalog_name": "main", "schema_name": "default", "name": volume, "volume_type": "MANAGED"})
        assert r.status_code == 200, r.text
    assert requests.put(server.url + "/api/2.0/fs/files/Volumes/main/default/secret/x.txt", data=b"secret", headers=root, timeout=10).status_code in (200, 204)
    grant(server, root, user, "catalog", "main", "USE_CATALOG")
    grant(server, root, user, "schema", "main.default", "USE_SCHEMA")
    grant(server, root, user, "volume", "main.default.pub", "READ_VOLUME")
    assert requests.get(server.url + "/api/2.0/fs/files/Volumes/main/default/secret/x.txt", headers=ana, timeout=10).status_code in (403, 404)
    for escape in ("/Volumes/main/default/pub/../secret/x.txt", "/Volumes/main/default/pub/%2e%2e/secret/x.txt",
                   "/Volumes/main/default/pub/..%2Fsecret%2Fx.txt", "/Volumes/main/default/pub/../../../../../../etc/passwd"):
        for headers in (ana, root):
            status, _, body = raw(server, "GET", "/api/2.0/fs/files" + escape, headers)
            assert status in (400, 403, 404), (escape, status)
            assert "secret" != body and "root:" not in body

    r = requests.post(server.url + "/api/2.1/unity-catalog/tables", headers=root, timeout=10, json={
        "catalog_name": "main", "schema_name": "default", "name": "../../escape", "table_type": "MANAGED", "data_source_format": "DELTA",
        "columns": [{"name": "x", "type_name": "INT", "type_text": "int", "type_json": "\"integer\"", "position": 0, "nullable": True}]})
    assert r.status_code in (400, 403, 404), r.text


def sql(server, headers, statement):
    r = requests.post(server.url + "/api/2.0/sql/statements", json={"statement": statement, "wait_timeout": "30s"}, headers=headers, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def grant(server, root, user, securable, name, *privileges):
    r = requests.patch(f"{server.url}/api/2.1/unity-catalog/permissions/{securable}/{name}", headers=root, timeout=10,
                       json={"changes": [{"principal": user.name, "add": list(privileges)}]})
    assert r.status_code == 200, r.text


def test_filtered_lists_fill_their_pages(sec):
    server, root, user, _ = sec
    ana = user.headers
    tag = uuid.uuid4().hex[:6]
    ids = [requests.post(server.url + f"{API}/experiments/create", json={"name": f"page-{tag}-{i}"}, headers=root, timeout=10).json()["experiment_id"]
           for i in range(7)]
    granted = {ids[0], ids[3], ids[6]}
    for exp in granted:
        r = requests.patch(f"{server.url}/api/2.0/permissions/experiments/{exp}", headers=root, timeout=10,
                           json={"access_control_list": [{"user_name": user.name, "permission_level": "CAN_READ"}]})
        assert r.status_code == 200, r.text
    seen, token, pages = [], None, 0
    while True:
        body = {"max_results": 1, "filter": f"name LIKE 'page-{tag}-%'"}
        if token:
            body["page_token"] = token
        page = requests.post(server.url + f"{API}/experiments/search", json=body, headers=ana, timeout=10).json()
        pages += 1
        got = [e["experiment_id"] for e in page.get("experiments", [])]
        token = page.get("next_page_token")
        # Every page is full (one item) except possibly the last; never an empty page with a token.
        assert len(got) == 1 or (not got and not token), page
        seen += got
        if not token:
            break
        assert pages < 10
    assert sorted(seen) == sorted(granted) and len(seen) == len(set(seen))
    both = requests.get(server.url + f"{API}/experiments/search", params={"max_results": 2, "filter": f"name LIKE 'page-{tag}-%'"},
                        headers=ana, timeout=10).json()
    assert len(both["experiments"]) == 2 and both["next_page_token"]
    # The default experiment is the administrators' unless granted.
    everything = requests.get(server.url + f"{API}/experiments/search", params={"max_results": 1000}, headers=ana, timeout=10).json()
    assert "0" not in {e["experiment_id"] for e in everything["experiments"]}
    assert requests.get(server.url + f"{API}/experiments/get", params={"experiment_id": "0"}, headers=ana, timeout=10).status_code == 404

    # Registered models the same way (GET, max_results).
    models = [f"pm-{tag}-{i}" for i in range(5)]
    for name in models:
        assert requests.post(server.url + f"{API}/registered-models/create", json={"name": name}, headers=root, timeout=10).status_code == 200
    for name in (models[1], models[4]):
        requests.patch(f"{server.url}/api/2.0/permissions/registered-models/{name}", headers=root, timeout=10,
                       json={"access_control_list": [{"user_name": user.name, "permission_level": "CAN_READ"}]})
    page = requests.get(server.url + f"{API}/registered-models/search", params={"max_results": 2, "filter": f"name LIKE 'pm-{tag}-%'"},
                        headers=ana, timeout=10).json()
    assert sorted(m["name"] for m in page["registered_models"]) == [models[1], models[4]]


def test_iceberg_lists_and_job_sql_follow_grants(sec):
    server, root, user, _ = sec
    ana = user.headers
    for schema in ("sec_vis", "sec_hid"):
        r = requests.post(server.url + "/api/2.1/unity-catalog/schemas", json={"catalog_name": "main", "name": schema}, headers=root, timeout=10)
        assert r.status_code == 200, r.text
    for statement in ("CREATE TABLE main.sec_vis.t_ok (x INT)", "CREATE TABLE main.sec_vis.t_no (x INT)", "CREATE TABLE main.sec_hid.t (x INT)",
                      "INSERT INTO main.sec_vis.t_ok VALUES (1)"):
        st = sql(server, root, statement)
        assert st["status"]["state"] == "SUCCEEDED", st
    grant(server, root, user, "catalog", "main", "USE_CATALOG")
    grant(server, root, user, "schema", "main.sec_vis", "USE_SCHEMA")
    grant(server, root, user, "table", "main.sec_vis.t_ok", "SELECT")
    r = requests.get(server.url + "/iceberg/v1/main/namespaces", headers=ana, timeout=10)
    assert r.status_code == 200, r.text
    # `default` is usable since the volume test granted USE SCHEMA on it; sec_hid is not listed.
    assert sorted(r.json()["namespaces"]) == [["default"], ["sec_vis"]]
    assert len(requests.get(server.url + "/iceberg/v1/main/namespaces", headers=root, timeout=10).json()["namespaces"]) >= 3
    r = requests.get(server.url + "/iceberg/v1/main/namespaces/sec_vis/tables", headers=ana, timeout=10)
    assert r.status_code == 200 and r.json()["identifiers"] == [{"namespace": ["sec_vis"], "name": "t_ok"}], r.text
    assert requests.get(server.url + "/iceberg/v1/main/namespaces/sec_hid/tables", headers=ana, timeout=10).status_code == 403

    # One-time runs are the administrators'.
    submit = requests.post(server.url + "/api/2.1/jobs/runs/submit", headers=ana, timeout=10,
                           json={"run_name": "x", "tasks": [{"task_key": "q", "sql_task": {"statement": "SELECT 1"}}]})
    assert submit.status_code == 403
    # A job's SQL task runs with the privileges of the job's owner, whoever starts the run.
    def run_job(statement, starter=ana):
        job = requests.post(server.url + "/api/2.1/jobs/create", headers=ana, timeout=10,
                            json={"name": f"sec-{uuid.uuid4().hex[:6]}", "tasks": [{"task_key": "q", "sql_task": {"statement": statement}}]})
        assert job.status_code == 200, job.text
        run_id = requests.post(server.url + "/api/2.1/jobs/run-now", json={"job_id": job.json()["job_id"]}, headers=starter, timeout=10).json()["run_id"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            run = requests.get(server.url + "/api/2.1/jobs/runs/get", params={"run_id": run_id}, headers=ana, timeout=10).json()
            if run["state"].get("life_cycle_state") in ("TERMINATED", "INTERNAL_ERROR", "SKIPPED"):
                return run
            time.sleep(0.2)
        raise AssertionError(f"run {run_id} did not finish")
    ok = run_job("SELECT x FROM main.sec_vis.t_ok")
    assert ok["state"]["result_state"] == "SUCCESS", ok["state"]
    refused = run_job("SELECT x FROM main.sec_hid.t")
    assert refused["state"]["result_state"] == "FAILED", refused["state"]
    message = json.dumps(refused["tasks"][0]["state"]) + json.dumps(refused["state"])
    assert "SELECT" in message and "main.sec_hid.t" in message, refused
    # An administrator starting ana's job does not lend it the administrator's privileges.
    by_admin = run_job("SELECT x FROM main.sec_hid.t", starter=root)
    assert by_admin["state"]["result_state"] == "FAILED", by_admin["state"]


def test_pipeline_updates_run_with_the_owners_privileges(sec, tmp_path):
    server, root, user, _ = sec
    ana = user.headers
    def pipeline(name, sql_text, extra=""):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "pipeline.yaml").write_text(f"name: {name}\ncatalog: main\nschema: sec_pl\n{extra}")
        (folder / "mv.sql").write_text(sql_text)
        r = requests.post(server.url + "/api/2.0/pipelines", json={"root_path": str(folder)}, headers=ana, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()["pipeline_id"]
    # ana reads a table she may not see: the update is refused before it starts, even when an admin starts it.
    hidden = pipeline("sec-pl-hidden", "CREATE OR REFRESH MATERIALIZED VIEW pl_out AS SELECT x FROM main.sec_hid.t\n")
    for who in (ana, root):
        r = requests.post(server.url + f"/api/2.0/pipelines/{hidden}/updates", json={}, headers=who, timeout=10)
        assert r.status_code == 403 and "SELECT on main.sec_hid.t" in r.json()["message"], r.text
    # Reading what she may read, but writing into a schema without CREATE TABLE: refused too.
    no_create = pipeline("sec-pl-nocreate", "CREATE OR REFRESH MATERIALIZED VIEW pl_out AS SELECT x FROM main.sec_vis.t_ok\n")
    r = requests.post(server.url + f"/api/2.0/pipelines/{no_create}/updates", json={}, headers=ana, timeout=10)
    assert r.status_code == 403 and "CREATE TABLE on main.sec_pl" in r.json()["message"], r.text
    # The pipeline's own schedule goes through the same check: the scheduled update ends FAILED, refused.
    scheduled = pipeline("sec-pl-scheduled", "CREATE OR REFRESH MATERIALIZED VIEW pl_sched AS SELECT x FROM main.sec_hid.t\n",
                         extra="schedule: {quartz_cron_expression: '0/1 * * * * ?', timezone_id: UTC}\n")
    deadline, refused = time.monotonic() + 20, None
    while time.monotonic() < deadline and not refused:
        updates = requests.get(server.url + f"/api/2.0/pipelines/{scheduled}/updates", headers=root, timeout=10).json()["updates"]
        refused = next((u for u in updates if u["cause"] == "SCHEDULED" and u["state"] == "FAILED"), None)
        time.sleep(0.2)
    assert refused, updates
    events = requests.get(server.url + f"/api/2.0/pipelines/{scheduled}/events", headers=root, timeout=10).json()["events"]
    assert any("refused" in e["message"] and "SELECT on main.sec_hid.t" in e["message"] for e in events), events
    requests.delete(server.url + f"/api/2.0/pipelines/{scheduled}", headers=root, timeout=10)

    grant(server, root, user, "catalog", "main", "CREATE_TABLE")
    r = requests.post(server.url + f"/api/2.0/pipelines/{no_create}/updates", json={}, headers=ana, timeout=10)
    assert r.status_code == 200, r.text


def test_credentials_never_reach_the_logs(sec):
    """Runs last: every token, guess and password the module used is absent from both logs."""
    server, root, user, secrets = sec
    ana = user.headers
    dump = requests.get(server.url + "/api/2.0/ingot/audit", params={"limit": 10000}, headers=root, timeout=10).text
    assert '"events"' in dump
    log = server.log_text()
    for secret in secrets:
        assert secret not in dump and secret not in log

"""Authorization end to end (auth on): experiment ACLs through the mlflow client, filtered search,
catalog privileges on SQL statements, and who may change permissions."""
import os
import subprocess
import sys
import textwrap
import uuid

import pytest
import requests

API = "/api/2.0/mlflow"


@pytest.fixture
def secured(secured_server):
    """The shared auth-on server, its administrator, and a fresh user (unique name) with a token."""
    ana = secured_server.new_user("ana")
    return secured_server, secured_server.root, ana


def mlflow_as(server_url, token, body):
    """Runs mlflow client code in a fresh interpreter as the token's principal (no global client state here)."""
    code = "import mlflow\nmlflow.set_tracking_uri(%r)\n" % server_url + textwrap.dedent(body)
    env = dict(os.environ)
    for key in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        env.pop(key, None)
    env["MLFLOW_TRACKING_TOKEN"] = token
    env["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)


def set_acl(server, headers, exp_id, level, user, expect=200):
    r = requests.patch(f"{server.url}/api/2.0/permissions/experiments/{exp_id}", headers=headers, timeout=10,
                       json={"access_control_list": [{"user_name": user, "permission_level": level}]})
    assert r.status_code == expect, r.text
    return r


def test_experiment_levels_through_the_mlflow_client(secured):
    server, root, user = secured
    ana, ana_token = user.headers, user.token
    name = f"perm-{uuid.uuid4().hex[:8]}"
    exp_id = requests.post(server.url + f"{API}/experiments/create", json={"name": name}, headers=root, timeout=10).json()["experiment_id"]
    hidden = requests.post(server.url + f"{API}/experiments/create", json={"name": name + "-hidden"}, headers=root, timeout=10).json()["experiment_id"]
    run = requests.post(server.url + f"{API}/runs/create", json={"experiment_id": exp_id}, headers=root, timeout=10).json()["run"]["info"]["run_id"]
    requests.post(server.url + f"{API}/runs/log-metric", json={"run_id": run, "key": "m", "value": 1.0, "timestamp": 1, "step": 0},
                  headers=root, timeout=10).raise_for_status()

    # Without any level the experiment looks missing.
    r = requests.get(server.url + f"{API}/experiments/get", params={"experiment_id": exp_id}, headers=ana, timeout=10)
    assert r.status_code == 404 and r.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
    # Ana cannot grant herself anything.
    set_acl(server, ana, exp_id, "CAN_MANAGE", user.name, expect=404)

    set_acl(server, root, exp_id, "CAN_READ", user.name)
    script = f"""
        from mlflow.exceptions import MlflowException
        runs = mlflow.search_runs(experiment_ids=[{exp_id!r}])
        print("RUNS", len(runs))
        try:
            mlflow.MlflowClient().log_metric({run!r}, "m", 2.0)
            print("LOGGED")
        except MlflowException as e:
            print("REFUSED", e.error_code, str(e)[:200])
        print("NAMES", sorted(e.name for e in mlflow.search_experiments()))
    """
    out = mlflow_as(server.url, ana_token, script)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "RUNS 1" in out.stdout
    assert "REFUSED PERMISSION_DENIED" in out.stdout and "CAN_EDIT" in out.stdout, out.stdout
    assert f"NAMES ['{name}']" in out.stdout, out.stdout  # the hidden experiment is filtered out
    assert "LOGGED" not in out.stdout

    set_acl(server, root, exp_id, "CAN_EDIT", user.name)
    out = mlflow_as(server.url, ana_token, script)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "LOGGED" in out.stdout, out.stdout
    # CAN_EDIT does not let her change the ACL; the hidden experiment stays hidden.
    set_acl(server, ana, exp_id, "CAN_MANAGE", user.name, expect=403)
    assert requests.get(server.url + f"/api/2.0/permissions/experiments/{hidden}", headers=ana, timeout=10).status_code == 404
    acl = requests.get(server.url + f"/api/2.0/permissions/experiments/{exp_id}", headers=ana, timeout=10).json()
    assert {"user_name": user.name, "all_permissions": [{"permission_level": "CAN_EDIT", "inherited": False}]} in acl["access_control_list"]
    levels = requests.get(server.url + f"/api/2.0/permissions/experiments/{exp_id}/permissionLevels", headers=ana, timeout=10).json()
    assert [level["permission_level"] for level in levels["permission_levels"]] == ["CAN_READ", "CAN_EDIT", "CAN_MANAGE"]

    # With CAN_EDIT the usual client calls work: artifacts through the proxy, MLflow 3 logged models and traces.
    out = mlflow_as(server.url, ana_token, f"""
        import os, tempfile
        from mlflow.entities import LoggedModelStatus
        mlflow.set_experiment(experiment_id={exp_id!r})
        with mlflow.start_run() as run:
            mlflow.log_param("p", 1)
            mlflow.log_text("hello", "notes/a.txt")
        d = tempfile.mkdtemp()
        path = mlflow.artifacts.download_artifacts(run_id=run.info.run_id, artifact_path="notes/a.txt", dst_path=d)
        print("ARTIFACT", open(path).read())
        model = mlflow.initialize_logged_model(name="m")
        mlflow.MlflowClient().finalize_logged_model(model.model_id, LoggedModelStatus.READY)
        print("MODEL", mlflow.get_logged_model(model.model_id).status)
        @mlflow.trace
        def f(x):
            return x + 1
        f(1)
        mlflow.flush_trace_async_logging()
        print("TRACES", len(mlflow.search_traces(experiment_ids=[{exp_id!r}])))
    """)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "ARTIFACT hello" in out.stdout and "MODEL" in out.stdout and "TRACES 1" in out.stdout, out.stdout

    # What ana creates, she owns.
    mine = requests.post(server.url + f"{API}/experiments/create", json={"name": name + "-ana"}, headers=ana, timeout=10).json()["experiment_id"]
    set_acl(server, ana, mine, "CAN_READ", user.name)


def statement(server, headers, sql):
    r = requests.post(server.url + "/api/2.0/sql/statements", json={"statement": sql, "wait_timeout": "30s"}, headers=headers, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def test_sql_needs_catalog_privileges(secured):
    server, root, user = secured
    ana = user.headers
    requests.post(server.url + "/api/2.1/unity-catalog/schemas", json={"name": "perm", "catalog_name": "main"}, headers=root, timeout=10).raise_for_status()
    created = statement(server, root, "CREATE TABLE main.perm.t AS SELECT 1 AS x")
    assert created["status"]["state"] == "SUCCEEDED", created

    refused = statement(server, ana, "SELECT x FROM main.perm.t")
    assert refused["status"]["state"] == "FAILED", refused
    assert "SELECT" in refused["status"]["error"]["message"], refused
    # A statement is visible only to whoever submitted it.
    assert requests.get(f"{server.url}/api/2.0/sql/statements/{created['statement_id']}", headers=ana, timeout=10).status_code == 404
    assert requests.get(f"{server.url}/api/2.0/sql/statements/{refused['statement_id']}", headers=ana, timeout=10).status_code == 200
    shown = statement(server, ana, "SHOW TABLES IN main.perm")
    assert shown["status"]["state"] == "SUCCEEDED" and shown.get("result", {}).get("data_array", []) == [], shown

    def grant(securable, full_name, privileges, headers=root, expect=200):
        r = requests.patch(f"{server.url}/api/2.1/unity-catalog/permissions/{securable}/{full_name}", headers=headers, timeout=10,
                           json={"changes": [{"principal": user.name, "add": privileges}]})
        assert r.status_code == expect, r.text
        return r.json()

    uc = server.url + "/api/2.1/unity-catalog"
    assert requests.get(f"{uc}/tables/main.perm.t", headers=ana, timeout=10).status_code == 403
    assert requests.get(f"{server.url}/iceberg/v1/main/namespaces/perm/tables/t", headers=ana, timeout=10).status_code == 403
    listed = requests.get(f"{uc}/tables", params={"catalog_name": "main", "schema_name": "perm"}, headers=ana, timeout=10).json()
    assert listed.get("tables", []) == [], listed
    grant("catalog", "main", ["USE_CATALOG"], headers=ana, expect=403)  # only MANAGE (or admins) may grant
    grant("catalog", "main", ["USE_CATALOG"])
    grant("schema", "main.perm", ["USE_SCHEMA"])
    assert statement(server, ana, "SELECT x FROM main.perm.t")["status"]["state"] == "FAILED"
    assignments = grant("table", "main.perm.t", ["SELECT"])
    assert {"principal": user.name, "privileges": ["SELECT"]} in assignments["privilege_assignments"]
    ok = statement(server, ana, "SELECT x FROM main.perm.t")
    assert ok["status"]["state"] == "SUCCEEDED", ok
    assert ok["result"]["data_array"] == [["1"]] or ok["result"]["data_array"] == [[1]], ok
    assert requests.get(f"{uc}/tables/main.perm.t", headers=ana, timeout=10).status_code == 200
    assert requests.get(f"{server.url}/iceberg/v1/main/namespaces/perm/tables/t", headers=ana, timeout=10).status_code == 200
    listed = requests.get(f"{uc}/tables", params={"catalog_name": "main", "schema_name": "perm"}, headers=ana, timeout=10).json()
    assert [t["full_name"] for t in listed["tables"]] == ["main.perm.t"], listed
    # SELECT is not MODIFY.
    insert = statement(server, ana, "INSERT INTO main.perm.t VALUES (2)")
    assert insert["status"]["state"] == "FAILED" and "MODIFY" in insert["status"]["error"]["message"], insert
    effective = requests.get(f"{server.url}/api/2.1/unity-catalog/effective-permissions/table/main.perm.t", headers=root, timeout=10).json()
    privileges = {p["privilege"]: p.get("inherited_from_name") for a in effective["privilege_assignments"] if a["principal"] == user.name for p in a["privileges"]}
    assert privileges == {"USE_CATALOG": "main", "USE_SCHEMA": "main.perm", "SELECT": None}, effective

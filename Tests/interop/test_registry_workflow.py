"""Registry approval workflow, webhooks and CLI against the real `ingot serve` binary."""
import hashlib
import hmac
import json
import os
import subprocess
import time
import uuid

import pytest
import requests
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from ingot_harness import WebhookReceiver, ingot_binary

API = "/api/2.0/mlflow"


def uniq(prefix):
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def call(server, method, path, body=None, params=None, expect=200):
    r = requests.request(method, server.url + path, json=body, params=params, timeout=10)
    assert r.status_code == expect, f"{method} {path}: {r.status_code} {r.text}"
    return r.json()


def make_model(server, name, versions=1):
    call(server, "POST", f"{API}/registered-models/create", {"name": name})
    for i in range(versions):
        call(server, "POST", f"{API}/model-versions/create", {"name": name, "source": f"s3://bucket/{name}/{i}"})


@pytest.fixture
def receiver():
    made = []

    def make(failures=0):
        r = WebhookReceiver(failures)
        made.append(r)
        return r

    yield make
    for r in made:
        r.close()


def test_alias_under_policy_needs_an_approved_request(ingot_server):
    name = uniq("gov")
    make_model(ingot_server, name, versions=2)
    client = MlflowClient(ingot_server.url, ingot_server.url)
    # Without a policy, MLflow's call works as in MLflow.
    client.set_registered_model_alias(name, "champion", "1")
    call(ingot_server, "POST", "/api/2.0/ingot/registry/policies/set", {"name": name, "protected_aliases": ["champion"]})
    with pytest.raises(MlflowException) as info:
        client.set_registered_model_alias(name, "champion", "2")
    assert info.value.error_code == "PERMISSION_DENIED"
    assert client.get_model_version_by_alias(name, "champion").version == "1"
    req = call(ingot_server, "POST", f"{API}/transition-requests/create",
               {"name": name, "version": "2", "alias": "champion", "comment": "better recall"})["request"]
    assert req["status"] == "PENDING" and req["user_id"] == "admin"
    listed = call(ingot_server, "GET", f"{API}/transition-requests/list", params={"name": name})["requests"]
    assert [r["id"] for r in listed] == [req["id"]]
    # With authentication disabled the approver is the requester (admin): refused by the policy.
    refused = call(ingot_server, "POST", f"{API}/transition-requests/approve", {"id": req["id"]}, expect=403)
    assert refused["error_code"] == "PERMISSION_DENIED"
    # A policy allowing self-approval lets the single local user apply it; the decision is recorded.
    call(ingot_server, "POST", "/api/2.0/ingot/registry/policies/set",
         {"name": name, "protected_aliases": ["champion"], "allow_self_approval": True})
    done = call(ingot_server, "POST", f"{API}/transition-requests/approve", {"id": req["id"], "comment": "ok"})
    assert done["request"]["status"] == "APPROVED"
    assert done["activity"]["user_id"] == "admin" and done["activity"]["creation_timestamp"] > 0
    assert client.get_model_version_by_alias(name, "champion").version == "2"
    acts = call(ingot_server, "GET", "/api/2.0/ingot/registry/activities/list", params={"name": name, "version": "2"})["activities"]
    assert [a["activity_type"] for a in acts] == ["REQUESTED_TRANSITION", "APPROVED_REQUEST", "SET_ALIAS"]


def test_stage_request_reject_and_cancel(ingot_server):
    name = uniq("stage")
    make_model(ingot_server, name)
    call(ingot_server, "POST", "/api/2.0/ingot/registry/policies/set", {"name": name, "protected_stages": ["Production"]})
    client = MlflowClient(ingot_server.url, ingot_server.url)
    with pytest.raises(MlflowException) as info:
        client.transition_model_version_stage(name, "1", "Production")
    assert info.value.error_code == "PERMISSION_DENIED"
    client.transition_model_version_stage(name, "1", "Staging")  # unprotected stages still work
    call(ingot_server, "POST", f"{API}/transition-requests/create", {"name": name, "version": "1", "stage": "Production"})
    rejected = call(ingot_server, "POST", f"{API}/transition-requests/reject",
                    {"name": name, "version": "1", "stage": "Production", "comment": "needs eval"})
    assert rejected["activity"]["activity_type"] == "REJECTED_REQUEST"
    call(ingot_server, "POST", f"{API}/transition-requests/create", {"name": name, "version": "1", "stage": "Production"})
    cancelled = call(ingot_server, "DELETE", f"{API}/transition-requests/delete",
                     {"name": name, "version": "1", "stage": "Production", "creator": "admin"})
    assert cancelled["request"]["status"] == "CANCELLED"
    assert client.get_model_version(name, "1").current_stage == "Staging"
    comment = call(ingot_server, "POST", f"{API}/comments/create", {"name": name, "version": "1", "comment": "hello"})["comment"]
    call(ingot_server, "PATCH", f"{API}/comments/update", {"id": comment["id"], "comment": "edited"})
    got = call(ingot_server, "GET", "/api/2.0/ingot/registry/comments/list", params={"name": name, "version": "1"})["comments"]
    assert [c["comment"] for c in got] == ["edited"]


def wait_for(predicate, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_webhooks_are_signed_retried_and_logged(ingot_server, receiver):
    name = uniq("hooked")
    rx = receiver(failures=2)
    call(ingot_server, "POST", f"{API}/registered-models/create", {"name": name})
    hook = call(ingot_server, "POST", f"{API}/registry-webhooks/create", {
        "model_name": name, "events": ["MODEL_VERSION_CREATED", "TRANSITION_REQUEST_CREATED"],
        "http_url_spec": {"url": rx.url, "secret": "topsecret"}, "description": "test"})["webhook"]
    assert hook["status"] == "ACTIVE" and "secret" not in hook["http_url_spec"]
    call(ingot_server, "POST", f"{API}/model-versions/create", {"name": name, "source": "s3://b/m"})
    # Fails twice (500), then is delivered on the third attempt after 1 s and 2 s of backoff.
    assert wait_for(lambda: len(rx.requests) >= 3), f"got {len(rx.requests)} requests"
    headers, body = rx.requests[-1]
    payload = json.loads(body)
    assert payload["event"] == "MODEL_VERSION_CREATED" and payload["model_name"] == name and payload["version"] == "1"
    assert payload["webhook_id"] == hook["id"]
    expected = hmac.new(b"topsecret", body, hashlib.sha256).hexdigest()
    assert headers["X-Databricks-Signature"] == expected
    assert [h["X-Ingot-Attempt"] for h, _ in rx.requests] == ["1", "2", "3"]

    def delivered():
        log = call(ingot_server, "GET", "/api/2.0/ingot/registry/webhooks/deliveries", params={"id": hook["id"]})["deliveries"]
        return log and log[0]["status"] == "DELIVERED" and log[0]["attempts"] == 3
    assert wait_for(delivered, 5)

    # Test endpoint, list, update, delete.
    tested = call(ingot_server, "POST", f"{API}/registry-webhooks/test", {"id": hook["id"]})["webhook"]
    assert tested["status_code"] == 200
    listed = call(ingot_server, "GET", f"{API}/registry-webhooks/list", params={"model_name": name})["webhooks"]
    assert [h["id"] for h in listed] == [hook["id"]]
    updated = call(ingot_server, "PATCH", f"{API}/registry-webhooks/update", {"id": hook["id"], "status": "DISABLED"})["webhook"]
    assert updated["status"] == "DISABLED"
    bad = call(ingot_server, "POST", f"{API}/registry-webhooks/create",
               {"events": ["NOT_AN_EVENT"], "http_url_spec": {"url": rx.url}}, expect=400)
    assert bad["error_code"] == "INVALID_PARAMETER_VALUE"
    call(ingot_server, "DELETE", f"{API}/registry-webhooks/delete", {"id": hook["id"]})


def cli(server, *args):
    env = dict(os.environ, INGOT_SERVER=server.url)
    env.pop("INGOT_CONFIG", None)
    return subprocess.run([ingot_binary(), "models", *args], capture_output=True, text=True, timeout=60, env=env)


def test_cli_models(ingot_server):
    name = uniq("cli")
    r = cli(ingot_server, "create", name, "--description", "from cli", "--tag", "team=ml")
    assert r.returncode == 0, r.stderr
    call(ingot_server, "POST", f"{API}/model-versions/create", {"name": name, "source": "s3://b/1"})
    call(ingot_server, "POST", f"{API}/model-versions/create", {"name": name, "source": "s3://b/2"})
    r = cli(ingot_server, "list", "--filter", f"name = '{name}'", "--output", "json")
    assert r.returncode == 0, r.stderr
    assert [m["name"] for m in json.loads(r.stdout)] == [name]
    r = cli(ingot_server, "get", name)
    assert r.returncode == 0 and "from cli" in r.stdout and "team=ml" in r.stdout
    r = cli(ingot_server, "versions", name, "--output", "json")
    assert [v["version"] for v in json.loads(r.stdout)] == ["2", "1"]
    r = cli(ingot_server, "alias", name, "champion", "2")
    assert r.returncode == 0, r.stderr
    r = cli(ingot_server, "get", name, "--output", "json")
    assert json.loads(r.stdout)["aliases"] == [{"alias": "champion", "version": "2"}]
    # Under a policy the direct alias fails (one line on stderr, non-zero), a request is listed and approved.
    call(ingot_server, "POST", "/api/2.0/ingot/registry/policies/set",
         {"name": name, "protected_aliases": ["champion"], "allow_self_approval": True})
    r = cli(ingot_server, "alias", name, "champion", "1")
    assert r.returncode != 0 and "PERMISSION_DENIED" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    r = cli(ingot_server, "alias", name, "champion", "1", "--request", "--comment", "rollback", "--output", "json")
    assert r.returncode == 0, r.stderr
    request_id = json.loads(r.stdout)["id"]
    r = cli(ingot_server, "requests", "list", name, "--output", "json")
    assert [q["id"] for q in json.loads(r.stdout)] == [request_id]
    r = cli(ingot_server, "requests", "approve", request_id, "--comment", "ok")
    assert r.returncode == 0 and "APPROVED" in r.stdout, r.stdout + r.stderr
    r = cli(ingot_server, "get", name, "--output", "json")
    assert json.loads(r.stdout)["aliases"] == [{"alias": "champion", "version": "1"}]
    call(ingot_server, "POST", f"{API}/transition-requests/create", {"name": name, "version": "2", "alias": "champion"})
    pending = json.loads(cli(ingot_server, "requests", "list", name, "--output", "json").stdout)
    r = cli(ingot_server, "requests", "reject", pending[0]["id"])
    assert r.returncode == 0 and "REJECTED" in r.stdout
    r = cli(ingot_server, "delete", name)
    assert r.returncode == 0
    r = cli(ingot_server, "get", name)
    assert r.returncode != 0 and "RESOURCE_DOES_NOT_EXIST" in r.stderr


def test_two_users_alias_change_needs_someone_elses_approval(secured_server, monkeypatch):
    """With authentication on: ana requests, ana cannot approve, ben approves, the alias moves."""
    server, root = secured_server, secured_server.root
    users = {u: server.new_user(u, token=False) for u in ("ana", "ben")}
    ana, ben = users["ana"].name, users["ben"].name

    def as_user(user, method, path, body=None, params=None, expect=200):
        r = requests.request(method, server.url + path, json=body, params=params, auth=users[user].basic, timeout=10)
        assert r.status_code == expect, f"{user} {method} {path}: {r.status_code} {r.text}"
        return r.json()

    name = uniq("two-users")
    as_user("ana", "POST", f"{API}/registered-models/create", {"name": name})
    for i in range(2):
        as_user("ana", "POST", f"{API}/model-versions/create", {"name": name, "source": f"s3://b/{i}"})
    # The owner lets ben approve (with auth on, models are guarded by their permissions).
    as_user("ana", "PATCH", f"/api/2.0/permissions/registered-models/{name}",
            {"access_control_list": [{"user_name": ben, "permission_level": "CAN_MANAGE_PRODUCTION_VERSIONS"}]})
    r = requests.post(server.url + "/api/2.0/ingot/registry/policies/set", json={"name": name, "protected_aliases": ["champion"]},
                      headers=root, timeout=10)
    assert r.status_code == 200, r.text
    # Only administrators change policies: ana cannot lift it to bypass it.
    as_user("ana", "DELETE", "/api/2.0/ingot/registry/policies/delete", {"name": name}, expect=403)
    # The mlflow client, as ana, is refused the direct change.
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", ana)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", users["ana"].password)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    client = MlflowClient(server.url, server.url)
    with pytest.raises(MlflowException) as info:
        client.set_registered_model_alias(name, "champion", "2")
    assert info.value.error_code == "PERMISSION_DENIED"
    req = as_user("ana", "POST", f"{API}/transition-requests/create", {"name": name, "version": "2", "alias": "champion"})["request"]
    assert req["user_id"] == ana
    as_user("ana", "POST", f"{API}/transition-requests/approve", {"id": req["id"]}, expect=403)
    done = as_user("ben", "POST", f"{API}/transition-requests/approve", {"id": req["id"], "comment": "reviewed"})
    assert done["request"]["status"] == "APPROVED" and done["request"]["approvals"] == [ben]
    assert done["activity"]["user_id"] == ben
    assert client.get_model_version_by_alias(name, "champion").version == "2"
    acts = as_user("ana", "GET", "/api/2.0/ingot/registry/activities/list", params={"name": name, "version": "2"})["activities"]
    assert [(a["activity_type"], a["user_id"]) for a in acts] == [
        ("REQUESTED_TRANSITION", ana), ("APPROVED_REQUEST", ben), ("SET_ALIAS", ben)]

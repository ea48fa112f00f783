"""Data quality monitors and search end to end: a table written through SQL is monitored, bad data
committed through SQL turns it UNHEALTHY and a signed webhook reaches a local receiver; search finds
tables, columns, experiments and models by name and hides what an unprivileged caller cannot see."""
import hashlib
import hmac
import json
import os
import subprocess
import time
import uuid

import pytest
import requests

from ingot_harness import WebhookReceiver, ingot_binary

UC = "/api/2.1/unity-catalog"


def statement(server, sql, headers=None):
    r = requests.post(server.url + "/api/2.0/sql/statements", json={"statement": sql, "wait_timeout": "30s"}, headers=headers or {}, timeout=60)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"]["state"] == "SUCCEEDED", body
    return body


@pytest.fixture
def receiver():
    r = WebhookReceiver(failures=1)
    yield r
    r.close()


def wait_for(predicate, timeout=20.0, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def test_monitor_turns_unhealthy_and_notifies(ingot_server, receiver):
    server = ingot_server
    schema = f"q{uuid.uuid4().hex[:8]}"
    requests.post(server.url + f"{UC}/schemas", json={"name": schema, "catalog_name": "main"}, timeout=10).raise_for_status()
    table = f"main.{schema}.customers"
    statement(server, f"CREATE TABLE {table} (id BIGINT, name STRING)")
    statement(server, f"INSERT INTO {table} VALUES (1, 'ann'), (2, 'bob'), (3, 'cy'), (4, 'dee')")

    config = {
        "assets_dir": "/tmp/ignored", "output_schema_name": f"main.{schema}", "snapshot": {},
        "thresholds": {"max_null_rate": {"name": 0.2}, "min_row_count": 1, "max_row_count_change_pct": 500},
        "notifications": {"on_unhealthy": {"url": receiver.url, "secret": "top-secret"}},
    }
    r = requests.post(server.url + f"{UC}/tables/{table}/monitor", json=config, timeout=10)
    assert r.status_code == 200, r.text
    info = r.json()
    assert info["table_name"] == table and info["status"] == "MONITOR_STATUS_ACTIVE"
    assert info["notifications"]["on_unhealthy"]["secret"] == "***"
    again = requests.post(server.url + f"{UC}/tables/{table}/monitor", json=config, timeout=10)
    assert again.status_code == 400 and again.json()["error_code"] == "RESOURCE_ALREADY_EXISTS", again.text

    # A manual refresh answers with the finished refresh; the table is healthy.
    refresh = requests.post(server.url + f"{UC}/tables/{table}/monitor/refreshes", timeout=30).json()
    assert refresh["state"] == "SUCCESS" and refresh["trigger"] == "MANUAL", refresh
    got = requests.get(server.url + f"{UC}/tables/{table}/monitor/refreshes/{refresh['refresh_id']}", timeout=10).json()
    assert got["refresh_id"] == refresh["refresh_id"]
    quality = requests.get(server.url + f"/api/2.0/ingot/quality/tables/{table}", timeout=10).json()
    assert quality["health"] == "HEALTHY" and quality["monitored"] is True
    latest = quality["latest"]["profile"]
    assert latest["row_count"] == 4
    cols = {c["name"]: c for c in latest["columns"]}
    assert cols["id"]["min"] == "1" and cols["id"]["max"] == "4" and cols["id"]["distinct_count"] == 4
    assert cols["name"]["null_rate"] == 0
    assert 0 <= quality["score"] <= 100

    # Bad data through SQL: the commit is noticed off the request path and the table turns UNHEALTHY.
    statement(server, f"INSERT INTO {table} VALUES (5, NULL), (6, NULL), (7, NULL)")
    unhealthy = wait_for(lambda: requests.get(server.url + f"/api/2.0/ingot/quality/tables/{table}", timeout=10).json()["health"] == "UNHEALTHY")
    assert unhealthy
    quality = requests.get(server.url + f"/api/2.0/ingot/quality/tables/{table}", timeout=10).json()
    assert quality["latest"]["profile"]["row_count"] == 7
    assert [v["check"] for v in quality["latest"]["violations"]] == ["max_null_rate"]
    assert quality["latest"]["drift"]["row_count_change"] == 3
    assert [h["health"] for h in quality["history"]][-1] == "UNHEALTHY"
    refreshes = requests.get(server.url + f"{UC}/tables/{table}/monitor/refreshes", timeout=10).json()["refreshes"]
    assert any(r["trigger"] == "COMMIT" for r in refreshes), refreshes

    # The webhook: the first POST is answered 500, the retry (after ~1 s) is delivered; both signed.
    assert wait_for(lambda: len(receiver.requests) >= 2, timeout=15), receiver.requests
    headers, body = receiver.requests[-1]
    payload = json.loads(body)
    assert payload["event"] == "TABLE_UNHEALTHY" and payload["table_name"] == table and payload["previous_health"] == "HEALTHY"
    expected = hmac.new(b"top-secret", body, hashlib.sha256).hexdigest()
    assert {k.lower(): v for k, v in headers.items()}["x-databricks-signature"] == expected
    sent = requests.get(server.url + f"/api/2.0/ingot/quality/tables/{table}/notifications", timeout=10).json()["notifications"]
    assert sent[0]["status"] == "DELIVERED" and sent[0]["attempts"] == 2 and "secret" not in sent[0]

    # Update and delete.
    config["thresholds"]["max_null_rate"]["name"] = 0.9
    config["notifications"]["on_unhealthy"]["secret"] = "***"
    assert requests.put(server.url + f"{UC}/tables/{table}/monitor", json=config, timeout=10).status_code == 200
    assert requests.post(server.url + f"{UC}/tables/{table}/monitor/refreshes", timeout=30).json()["state"] == "SUCCESS"
    assert requests.get(server.url + f"/api/2.0/ingot/quality/tables/{table}", timeout=10).json()["health"] == "HEALTHY"
    assert wait_for(lambda: any(json.loads(b)["event"] == "TABLE_HEALTHY" for _, b in receiver.requests), timeout=15)
    assert requests.delete(server.url + f"{UC}/tables/{table}/monitor", timeout=10).status_code == 200
    assert requests.get(server.url + f"{UC}/tables/{table}/monitor", timeout=10).status_code == 404


def test_cli_quality_commands(ingot_server):
    server = ingot_server
    schema = f"qc{uuid.uuid4().hex[:8]}"
    requests.post(server.url + f"{UC}/schemas", json={"name": schema, "catalog_name": "main"}, timeout=10).raise_for_status()
    table = f"main.{schema}.t"
    statement(server, f"CREATE TABLE {table} (x BIGINT)")
    statement(server, f"INSERT INTO {table} VALUES (1), (2)")
    env = dict(os.environ, INGOT_SERVER=server.url)

    def cli(*args):
        return subprocess.run([ingot_binary(), *args], capture_output=True, text=True, timeout=60, env=env)

    out = cli("quality", "monitor", "set", table, "--min-row-count", "3", "--max-null-rate", "x=0.5", "--output", "json")
    assert out.returncode == 0, out.stderr
    out = cli("quality", "refresh", table, "--output", "json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["state"] == "SUCCESS"
    out = cli("quality", "show", table)
    assert out.returncode == 0, out.stderr
    assert "UNHEALTHY" in out.stdout and "min_row_count" in out.stdout, out.stdout
    out = cli("quality", "show", "main.nope.nothing")
    assert out.returncode != 0 and out.stderr.strip()


@pytest.fixture
def secured(secured_server):
    """The shared auth-on server, its administrator, and a fresh user (unique name) with a token."""
    return secured_server, secured_server.root, secured_server.new_user("sam")


def test_search_ranks_and_hides_what_the_caller_cannot_see(secured):
    server, root, user = secured
    sam = user.headers
    api = server.url + "/api/2.0/mlflow"
    requests.post(server.url + f"{UC}/schemas", json={"name": "shop", "catalog_name": "main", "comment": "Storefront data"},
                  headers=root, timeout=10).raise_for_status()
    statement(server, "CREATE TABLE main.shop.orders AS SELECT 1 AS order_id, 2.5 AS amount", headers=root)
    statement(server, "CREATE TABLE main.shop.orders_archive AS SELECT 1 AS order_id", headers=root)
    statement(server, "CREATE TABLE main.shop.secret_orders AS SELECT 1 AS order_id", headers=root)
    visible = requests.post(api + "/experiments/create", json={"name": "orders-forecast"}, headers=root, timeout=10).json()["experiment_id"]
    requests.post(api + "/experiments/create", json={"name": "orders-hidden-exp"}, headers=root, timeout=10).raise_for_status()
    requests.post(api + "/registered-models/create", json={"name": "orders_model"}, headers=root, timeout=10).raise_for_status()
    requests.post(api + "/registered-models/create", json={"name": "orders_hidden_model"}, headers=root, timeout=10).raise_for_status()
    requests.post(server.url + f"{UC}/volumes", json={"catalog_name": "main", "schema_name": "shop", "name": "orders_landing", "volume_type": "MANAGED"},
                  headers=root, timeout=10).raise_for_status()

    def search(headers, q, **params):
        r = requests.get(server.url + "/api/2.0/ingot/search", params={"q": q, **params}, headers=headers, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()["results"]

    # The admin sees everything, exact name first, then prefix, then the rest.
    everything = search(root, "orders")
    names = [(x["type"], x["name"]) for x in everything]
    assert names[0] == ("table", "main.shop.orders"), names
    assert ("table", "main.shop.orders_archive") in names and ("table", "main.shop.secret_orders") in names
    assert ("registered_model", "orders_model") in names and ("experiment", visible) in names
    assert ("volume", "main.shop.orders_landing") in names
    assert names.index(("table", "main.shop.orders_archive")) < names.index(("table", "main.shop.secret_orders"))
    columns = search(root, "order_id", types="column")
    assert {c["name"] for c in columns} == {"main.shop.orders.order_id", "main.shop.orders_archive.order_id", "main.shop.secret_orders.order_id"}
    assert [x["name"] for x in search(root, "storefront")] == ["main.shop"]
    assert requests.get(server.url + "/api/2.0/ingot/search", params={"q": "x", "types": "bogus"}, headers=root, timeout=10).status_code == 400

    # Sam sees nothing until granted, then exactly what he was granted.
    assert search(sam, "orders") == []
    assert requests.get(server.url + "/api/2.0/ingot/search", params={"q": "orders"}, timeout=10).status_code == 401
    for securable, name, privileges in [("catalog", "main", ["USE_CATALOG"]), ("schema", "main.shop", ["USE_SCHEMA"]),
                                        ("table", "main.shop.orders", ["SELECT"]), ("table", "main.shop.orders_archive", ["SELECT"])]:
        r = requests.patch(f"{server.url}{UC}/permissions/{securable}/{name}", headers=root, timeout=10,
                           json={"changes": [{"principal": user.name, "add": privileges}]})
        assert r.status_code == 200, r.text
    for kind, ident, level in [("experiments", visible, "CAN_READ"), ("registered-models", "orders_model", "CAN_READ")]:
        r = requests.patch(f"{server.url}/api/2.0/permissions/{kind}/{ident}", headers=root, timeout=10,
                           json={"access_control_list": [{"user_name": user.name, "permission_level": level}]})
        assert r.status_code == 200, r.text
    seen = {(x["type"], x["name"]) for x in search(sam, "orders")}
    assert ("table", "main.shop.orders") in seen and ("table", "main.shop.orders_archive") in seen
    assert ("table", "main.shop.secret_orders") not in seen
    assert ("volume", "main.shop.orders_landing") not in seen  # no READ VOLUME
    assert ("experiment", visible) in seen and ("registered_model", "orders_model") in seen
    assert not any(n in ("orders_hidden_model",) for _, n in seen)
    assert not any(x["title"] == "orders-hidden-exp" for x in search(sam, "orders"))
    sam_columns = {c["name"] for c in search(sam, "order_id", types="columns")}
    assert sam_columns == {"main.shop.orders.order_id", "main.shop.orders_archive.order_id"}

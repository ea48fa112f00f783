"""SQL views end to end: created and queried through the SQL statements API, listed by the Unity Catalog
REST API as table_type VIEW with their definition, dropped by DELETE; with auth on, the owner-rights rule
(a reader with SELECT on the view but none on its table reads through it; without SELECT on the view, not)."""
import uuid

import requests

UC = "/api/2.1/unity-catalog"


def statement(server, sql, headers=None):
    r = requests.post(server.url + "/api/2.0/sql/statements", json={"statement": sql, "wait_timeout": "30s"}, headers=headers, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def ok(server, sql, headers=None):
    body = statement(server, sql, headers)
    assert body["status"]["state"] == "SUCCEEDED", body
    return [[str(v) for v in row] for row in body.get("result", {}).get("data_array", [])]


def test_view_through_sql_and_unity_catalog(ingot_server):
    server = ingot_server
    schema = f"views_{uuid.uuid4().hex[:8]}"
    requests.post(server.url + UC + "/schemas", json={"name": schema, "catalog_name": "main"}, timeout=10).raise_for_status()
    ok(server, f"CREATE TABLE main.{schema}.orders (id BIGINT, amount DOUBLE)")
    ok(server, f"INSERT INTO main.{schema}.orders VALUES (1, 2.5), (2, 10.0), (3, 7.5)")
    ok(server, f"CREATE VIEW main.{schema}.big (order_id COMMENT 'the key', amount) COMMENT 'large orders' "
               f"AS SELECT id, amount FROM orders WHERE amount > 5")
    assert ok(server, f"SELECT order_id FROM main.{schema}.big ORDER BY order_id") == [["2"], ["3"]]
    assert ok(server, f"SELECT COUNT(*) FROM main.{schema}.big b JOIN main.{schema}.orders o ON b.order_id = o.id") == [["2"]]
    refused = statement(server, f"INSERT INTO main.{schema}.big VALUES (4, 9.0)")
    assert refused["status"]["state"] == "FAILED" and "is a view" in refused["status"]["error"]["message"], refused

    listed = requests.get(server.url + UC + "/tables", params={"catalog_name": "main", "schema_name": schema}, timeout=10).json()["tables"]
    by_name = {t["name"]: t for t in listed}
    assert set(by_name) == {"orders", "big"}
    view = by_name["big"]
    assert view["table_type"] == "VIEW" and "orders" in view["view_definition"] and view["comment"] == "large orders"
    assert "storage_location" not in view and "data_source_format" not in view
    assert [(c["name"], c["type_name"]) for c in view["columns"]] == [("order_id", "LONG"), ("amount", "DOUBLE")]
    assert view["columns"][0]["comment"] == "the key"
    got = requests.get(server.url + UC + f"/tables/main.{schema}.big", timeout=10).json()
    assert got["table_type"] == "VIEW" and got["view_definition"] == view["view_definition"]

    assert requests.delete(server.url + UC + f"/tables/main.{schema}.big", timeout=10).status_code == 200
    assert requests.get(server.url + UC + f"/tables/main.{schema}.big", timeout=10).status_code == 404
    gone = statement(server, f"SELECT * FROM main.{schema}.big")
    assert gone["status"]["state"] == "FAILED", gone
    assert ok(server, f"SELECT COUNT(*) FROM main.{schema}.orders") == [["3"]]


def test_view_owner_rights(secured_server):
    server, root = secured_server, secured_server.root
    ana, bo = secured_server.new_user("ana", comment="t"), secured_server.new_user("bo", comment="t")
    users = {"ana": ana.headers, "bo": bo.headers}

    def grant(securable, full_name, who, privileges):
        r = requests.patch(f"{server.url}{UC}/permissions/{securable}/{full_name}", headers=root, timeout=10,
                           json={"changes": [{"principal": who, "add": privileges}]})
        assert r.status_code == 200, r.text

    requests.post(server.url + UC + "/schemas", json={"name": "sec", "catalog_name": "main"}, headers=root, timeout=10).raise_for_status()
    ok(server, "CREATE TABLE main.sec.people (id BIGINT, email STRING)", root)
    ok(server, "INSERT INTO main.sec.people VALUES (1, 'a@x'), (2, 'b@x')", root)
    ok(server, "CREATE VIEW main.sec.people_ids AS SELECT id FROM people", root)
    for who in (ana.name, bo.name):
        grant("catalog", "main", who, ["USE_CATALOG"])
        grant("schema", "main.sec", who, ["USE_SCHEMA"])
    grant("table", "main.sec.people_ids", ana.name, ["SELECT"])

    # ana: SELECT on the view only — reads through it (checked for the view's owner), not the table.
    assert ok(server, "SELECT id FROM main.sec.people_ids ORDER BY id", users["ana"]) == [["1"], ["2"]]
    direct = statement(server, "SELECT * FROM main.sec.people", users["ana"])
    assert direct["status"]["state"] == "FAILED" and "SELECT" in direct["status"]["error"]["message"], direct
    # bo: nothing on the view.
    denied = statement(server, "SELECT id FROM main.sec.people_ids", users["bo"])
    assert denied["status"]["state"] == "FAILED" and "SELECT" in denied["status"]["error"]["message"], denied
    listed = requests.get(server.url + UC + "/tables", params={"catalog_name": "main", "schema_name": "sec"}, headers=users["ana"], timeout=10)
    assert listed.status_code == 200, listed.text
    assert "people_ids" in [t["name"] for t in listed.json().get("tables", [])], listed.text
    hidden = requests.get(server.url + UC + "/tables", params={"catalog_name": "main", "schema_name": "sec"}, headers=users["bo"], timeout=10)
    assert hidden.json().get("tables", []) == [], hidden.text

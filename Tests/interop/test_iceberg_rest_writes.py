"""Iceberg REST catalog writes: pyiceberg's RestCatalog creates, appends, overwrites, renames, drops and
registers tables in Ingot; every Iceberg commit is also a Delta commit, so deltalake (and Ingot SQL)
read the same rows after each one; stale commits get 409 CommitFailedException."""
import json
import logging
import os
import subprocess

import pyarrow as pa
import pytest
import requests

from ingot_harness import ingot_binary

NS = "icew"


def sql(server, text):
    p = subprocess.run([ingot_binary(), "sql", text, "--output", "json", "--server", server.url], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def rows(table):
    return sorted(table.select(["id", "name", "amount"]).to_pylist(), key=lambda r: r["id"])


def batch(start, n):
    return pa.table({
        "id": pa.array(range(start, start + n), pa.int64()),
        "name": pa.array([f"n{i}" for i in range(start, start + n)], pa.string()),
        "amount": pa.array([i * 0.5 for i in range(start, start + n)], pa.float64()),
    })


def test_pyiceberg_writes_through_rest_catalog(ingot_server, caplog):
    import deltalake
    from pyiceberg.catalog import load_catalog
    from pyiceberg.exceptions import NoSuchTableError

    url = ingot_server.url
    config = requests.get(url + "/iceberg/v1/config", params={"warehouse": "main"}).json()
    assert config["overrides"]["prefix"] == "main"
    assert "POST /v1/{prefix}/namespaces/{namespace}/tables/{table}" in config["endpoints"]

    catalog = load_catalog("ingot_w", type="rest", uri=url + "/iceberg", warehouse="main")
    catalog.create_namespace(NS, {"team": "data"})
    assert catalog.load_namespace_properties(NS)["team"] == "data"
    result = catalog.update_namespace_properties(NS, removals={"team", "nope"}, updates={"tier": "gold"})
    assert result.updated == ["tier"] and result.removed == ["team"] and result.missing == ["nope"]
    assert catalog.namespace_exists(NS)

    table = catalog.create_table(f"{NS}.orders", schema=batch(0, 1).schema, properties={"purpose": "test"})
    assert table.location().startswith("file://")
    path = table.location()[len("file://"):]
    assert path.startswith(os.path.realpath(ingot_server.data_dir)) or path.startswith(ingot_server.data_dir)
    assert catalog.table_exists(f"{NS}.orders")

    def check(expected):
        """Iceberg (fresh load), Delta and Ingot SQL see exactly these rows."""
        want = rows(expected)
        assert rows(catalog.load_table(f"{NS}.orders").scan().to_arrow()) == want
        delta = deltalake.DeltaTable(path)
        assert rows(delta.to_pyarrow_table()) == want
        got = sql(ingot_server, f"SELECT id, name, amount FROM main.{NS}.orders ORDER BY id")
        assert got == want
        return delta.version()

    table.append(batch(0, 5))
    v1 = check(batch(0, 5))
    table.append(batch(5, 3))
    v2 = check(batch(0, 8))
    assert v2 == v1 + 1
    # The Delta adds carry stats computed from the files pyiceberg wrote.
    adds = pa.table(deltalake.DeltaTable(path).get_add_actions(flatten=True)).to_pylist()
    assert sum(a["num_records"] for a in adds) == 8
    assert min(a["min.id"] for a in adds) == 0 and max(a["max.id"] for a in adds) == 7

    table.overwrite(batch(100, 4))
    v3 = check(batch(100, 4))
    history = deltalake.DeltaTable(path).history()
    assert history[0]["version"] == v3 and history[0]["operation"] == "WRITE"
    # Ingot's table history shows the Iceberg commits as Delta versions.
    hist = requests.get(url + f"/api/2.0/ingot/tables/main.{NS}.orders/history").json()["history"]
    newest = max(hist, key=lambda h: h["version"])
    assert newest["version"] == v3 and "Iceberg REST" in newest["engineInfo"] and "icebergSnapshotId" in newest

    # Stale handles: a second handle loaded before an append gets 409 CommitFailedException, and
    # pyiceberg (0.12) refreshes and re-applies its append on top — both appends survive.
    other = catalog.load_table(f"{NS}.orders")
    table.append(batch(200, 2))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="pyiceberg"):
        other.append(batch(300, 2))
    assert "concurrent update" in caplog.text
    current = pa.concat_tables([batch(100, 4), batch(200, 2), batch(300, 2)])
    check(current)

    # A concurrent Ingot (Delta) commit makes an Iceberg commit based on the older snapshot fail (409);
    # the client's retry lands on top of it: no lost update.
    stale = catalog.load_table(f"{NS}.orders")
    sql(ingot_server, f"INSERT INTO main.{NS}.orders VALUES (400, 'sql', 1.5)")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="pyiceberg"):
        stale.append(batch(500, 1))
    assert "concurrent update" in caplog.text
    current = pa.concat_tables([current, pa.table({"id": pa.array([400], pa.int64()), "name": ["sql"], "amount": [1.5]}), batch(500, 1)])
    check(current)
    table = catalog.load_table(f"{NS}.orders")
    table.append(batch(600, 1))
    current = pa.concat_tables([current, batch(600, 1)])
    check(current)

    # Direct REST: a stale assert-ref-snapshot-id is 409 in Iceberg's error shape (on both prefixes).
    tables_url = "/v1/main/namespaces/icew/tables/orders"
    snapshot_id = catalog.load_table(f"{NS}.orders").metadata.current_snapshot_id
    for base in ("/iceberg", "/api/2.1/unity-catalog/iceberg"):
        r = requests.post(url + base + tables_url, json={
            "requirements": [{"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": snapshot_id - 1}], "updates": []})
        assert r.status_code == 409, r.text
        assert r.json()["error"]["type"] == "CommitFailedException" and r.json()["error"]["code"] == 409
        r = requests.post(url + base + tables_url, json={"requirements": [{"type": "assert-table-uuid", "uuid": "00000000-0000-0000-0000-000000000000"}], "updates": []})
        assert r.status_code == 409
    # Files outside the table directory are refused.
    r = requests.post(url + "/iceberg" + tables_url, json={
        "requirements": [{"type": "assert-ref-snapshot-id", "ref": "main", "snapshot-id": snapshot_id}],
        "updates": [
            {"action": "add-snapshot", "snapshot": {"snapshot-id": 4242, "parent-snapshot-id": snapshot_id, "sequence-number": 99,
                                                   "timestamp-ms": 1, "manifest-list": "file:///etc/passwd", "summary": {"operation": "append"}}},
            {"action": "set-snapshot-ref", "ref-name": "main", "type": "branch", "snapshot-id": 4242}]})
    assert r.status_code == 400 and "outside" in r.json()["error"]["message"], r.text
    check(current)

    # Properties set through a commit land in the Delta metadata.
    with catalog.load_table(f"{NS}.orders").transaction() as tx:
        tx.set_properties(owner_team="analytics")
    assert deltalake.DeltaTable(path).metadata().configuration["owner_team"] == "analytics"

    # Adding an optional column (add-schema + set-current-schema) is a Delta schema change too.
    from pyiceberg.types import StringType
    with catalog.load_table(f"{NS}.orders").update_schema() as update:
        update.add_column("note", StringType())
    assert [f.name for f in deltalake.DeltaTable(path).schema().fields][-1] == "note"
    evolved = catalog.load_table(f"{NS}.orders")
    evolved.append(pa.table({"id": pa.array([700], pa.int64()), "name": ["x"], "amount": [7.0], "note": ["hi"]}))
    got = sql(ingot_server, f"SELECT id, note FROM main.{NS}.orders WHERE id >= 600 ORDER BY id")
    assert got == [{"id": 600, "note": None}, {"id": 700, "note": "hi"}]
    assert pa.table(deltalake.DeltaTable(path).to_pyarrow_table()).num_rows == current.num_rows + 1
    current = pa.concat_tables([current, pa.table({"id": pa.array([700], pa.int64()), "name": ["x"], "amount": [7.0]})])
    check(current)

    # The Unity Catalog mount of the same catalog.
    uc = load_catalog("ingot_uc", type="rest", uri=url + "/api/2.1/unity-catalog/iceberg", warehouse="main")
    assert (NS, "orders") in uc.list_tables(NS)

    # Rename, drop (files stay), register the files back, purge.
    catalog.rename_table(f"{NS}.orders", f"{NS}.orders2")
    assert not catalog.table_exists(f"{NS}.orders")
    renamed = catalog.load_table(f"{NS}.orders2")
    assert rows(renamed.scan().to_arrow()) == rows(current)
    metadata_location = renamed.metadata_location
    catalog.drop_table(f"{NS}.orders2")
    with pytest.raises(NoSuchTableError):
        catalog.load_table(f"{NS}.orders2")
    assert rows(deltalake.DeltaTable(path).to_pyarrow_table()) == rows(current)
    back = catalog.register_table(f"{NS}.back", metadata_location)
    assert rows(back.scan().to_arrow()) == rows(current)
    catalog.purge_table(f"{NS}.back")
    assert not [f for _, _, files in os.walk(path) for f in files]
    catalog.drop_namespace(NS)
    assert not catalog.namespace_exists(NS)


def test_iceberg_rest_create_table_errors(ingot_server):
    url = ingot_server.url + "/iceberg/v1/main"
    assert requests.post(url + "/namespaces", json={"namespace": ["icew_err"]}).status_code == 200
    assert requests.post(url + "/namespaces", json={"namespace": ["icew_err"]}).json()["error"]["type"] == "AlreadyExistsException"
    schema = {"type": "struct", "schema-id": 0, "fields": [{"id": 1, "name": "a", "type": "long", "required": False}]}
    r = requests.post(url + "/namespaces/icew_err/tables", json={"name": "t", "schema": schema, "location": "file:///tmp/elsewhere"})
    assert r.status_code == 400, r.text
    r = requests.post(url + "/namespaces/icew_err/tables", json={"name": "t", "schema": schema, "stage-create": True})
    assert r.status_code == 501 and r.json()["error"]["type"] == "NotImplementedException"
    r = requests.post(url + "/namespaces/icew_err/tables", json={"name": "t", "schema": schema})
    assert r.status_code == 200 and r.json()["metadata"]["current-schema-id"] == 0
    assert requests.head(url + "/namespaces/icew_err/tables/t").status_code == 204
    assert requests.post(url + "/namespaces/icew_err/tables", json={"name": "t", "schema": schema}).status_code == 409
    r = requests.delete(url + "/namespaces/icew_err")
    assert r.status_code == 409 and r.json()["error"]["type"] == "NamespaceNotEmptyException"
    assert requests.delete(url + "/namespaces/icew_err/tables/t", params={"purgeRequested": "true"}).status_code == 204
    assert requests.head(url + "/namespaces/icew_err/tables/t").status_code == 404
    assert requests.delete(url + "/namespaces/icew_err").status_code == 204
    assert requests.head(url + "/namespaces/icew_err").status_code == 404


def test_pyiceberg_appends_to_an_identity_partitioned_table(ingot_server):
    import deltalake
    from pyiceberg.catalog import load_catalog
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.schema import Schema
    from pyiceberg.transforms import IdentityTransform
    from pyiceberg.types import LongType, NestedField, StringType

    catalog = load_catalog("ingot_p", type="rest", uri=ingot_server.url + "/iceberg", warehouse="main")
    catalog.create_namespace("icew_part")
    schema = Schema(NestedField(1, "id", LongType(), required=False), NestedField(2, "region", StringType(), required=False))
    spec = PartitionSpec(PartitionField(source_id=2, field_id=1000, transform=IdentityTransform(), name="region"))
    table = catalog.create_table("icew_part.events", schema=schema, partition_spec=spec)
    path = table.location()[len("file://"):]
    data = pa.table({"id": pa.array(range(6), pa.int64()), "region": pa.array(["eu", "us", "eu", "us", "eu", None])})
    table.append(data)
    want = sorted(data.to_pylist(), key=lambda r: r["id"])
    delta = deltalake.DeltaTable(path)
    assert delta.metadata().partition_columns == ["region"]
    assert sorted(delta.to_pyarrow_table().to_pylist(), key=lambda r: r["id"]) == want
    adds = pa.table(delta.get_add_actions(flatten=True)).to_pylist()
    assert sorted((a["partition.region"] for a in adds), key=str) == sorted(["eu", "us", None], key=str)
    assert sql(ingot_server, "SELECT COUNT(*) AS n FROM main.icew_part.events WHERE region = 'eu'") == [{"n": 3}]
    assert sorted(catalog.load_table("icew_part.events").scan().to_arrow().to_pylist(), key=lambda r: r["id"]) == want
    catalog.purge_table("icew_part.events")
    catalog.drop_namespace("icew_part")

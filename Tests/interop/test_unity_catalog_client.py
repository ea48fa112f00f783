"""Unity Catalog OSS's own Python client (unitycatalog-client, generated from the UC OpenAPI spec with
pydantic models) against Ingot: catalogs, schemas, tables, functions, registered models, grants and
temporary table credentials, with every response parsed by the client's models."""
import asyncio
import uuid

import pytest
import requests

uc = pytest.importorskip("unitycatalog.client")
from unitycatalog.client import (  # noqa: E402
    ApiClient,
    CatalogsApi,
    Configuration,
    FunctionsApi,
    GrantsApi,
    RegisteredModelsApi,
    SchemasApi,
    TablesApi,
    TemporaryCredentialsApi,
    VolumesApi,
)
from unitycatalog.client.exceptions import ApiException  # noqa: E402
from unitycatalog.client.models import (  # noqa: E402
    ColumnInfo,
    ColumnTypeName,
    CreateCatalog,
    CreateFunction,
    CreateFunctionRequest,
    CreateRegisteredModel,
    CreateSchema,
    CreateTable,
    DataSourceFormat,
    FunctionParameterInfo,
    FunctionParameterInfos,
    GenerateTemporaryTableCredential,
    PermissionsChange,
    Privilege,
    SecurableType,
    TableOperation,
    TableType,
    UpdateCatalog,
    UpdatePermissions,
    UpdateSchema,
    CreateVolumeRequestContent,
    VolumeType,
)


def run(coro_fn, url, token=None):
    """Runs `coro_fn(api_client)` with a fresh client (closed afterwards; no state left behind)."""
    async def main():
        config = Configuration(host=url + "/api/2.1/unity-catalog")
        client = ApiClient(config)
        if token:
            client.set_default_header("Authorization", "Bearer " + token)
        try:
            return await coro_fn(client)
        finally:
            await client.close()
    return asyncio.run(main())


def test_namespace_functions_and_models_through_the_uc_client(ingot_server):
    suffix = uuid.uuid4().hex[:8]
    catalog = f"ucc_{suffix}"

    async def scenario(client):
        catalogs, schemas, tables = CatalogsApi(client), SchemasApi(client), TablesApi(client)
        created = await catalogs.create_catalog(CreateCatalog(name=catalog, comment="uc client", properties={"team": "a"}))
        assert created.name == catalog and created.owner and created.created_at and created.created_by
        assert catalog in [c.name for c in (await catalogs.list_catalogs()).catalogs]
        updated = await catalogs.update_catalog(catalog, UpdateCatalog(comment="updated", properties={"team": "b"}))
        assert updated.comment == "updated" and updated.properties == {"team": "b"} and updated.updated_by

        await schemas.create_schema(CreateSchema(name="s", catalog_name=catalog, comment="schema"))
        renamed = await schemas.update_schema(f"{catalog}.s", UpdateSchema(new_name="sales"))
        assert renamed.full_name == f"{catalog}.sales"
        assert [s.name for s in (await schemas.list_schemas(catalog_name=catalog)).schemas] == ["sales"]

        table = await tables.create_table(CreateTable(
            name="orders", catalog_name=catalog, schema_name="sales", table_type=TableType.MANAGED,
            data_source_format=DataSourceFormat.DELTA, comment="orders table",
            columns=[ColumnInfo(name="id", type_name=ColumnTypeName.LONG, type_text="bigint", type_json="{}", position=0, comment="key"),
                     ColumnInfo(name="amount", type_name=ColumnTypeName.DOUBLE, type_text="double", type_json="{}", position=1)]))
        assert table.table_type == TableType.MANAGED and table.data_source_format == DataSourceFormat.DELTA
        assert table.storage_location.startswith("file://") and table.owner and table.created_by
        assert [c.comment for c in table.columns] == ["key", None]
        listed = await tables.list_tables(catalog_name=catalog, schema_name="sales")
        assert [t.name for t in listed.tables] == ["orders"]
        got = await tables.get_table(f"{catalog}.sales.orders")
        assert got.comment == "orders table" and got.table_id == table.table_id

        functions = FunctionsApi(client)
        param = FunctionParameterInfo(name="x", type_text="int", type_json='{"name":"x","type":"integer"}', type_name=ColumnTypeName.INT, position=0)
        function = await functions.create_function(CreateFunctionRequest(function_info=CreateFunction(
            name="add_one", catalog_name=catalog, schema_name="sales", input_params=FunctionParameterInfos(parameters=[param]),
            data_type=ColumnTypeName.INT, full_data_type="INT", routine_body="SQL", routine_definition="x + 1", parameter_style="S",
            is_deterministic=True, sql_data_access="NO_SQL", is_null_call=False, security_type="DEFINER", specific_name="add_one",
            comment="adds one")))
        assert function.full_name == f"{catalog}.sales.add_one" and function.routine_definition == "x + 1" and function.owner
        assert function.input_params.parameters[0].name == "x"
        assert [f.name for f in (await functions.list_functions(catalog_name=catalog, schema_name="sales")).functions] == ["add_one"]
        assert (await functions.get_function(f"{catalog}.sales.add_one")).comment == "adds one"

        models = RegisteredModelsApi(client)
        model = await models.create_registered_model(CreateRegisteredModel(name="churn", catalog_name=catalog, schema_name="sales", comment="m"))
        assert model.full_name == f"{catalog}.sales.churn" and model.owner
        assert [m.name for m in (await models.list_registered_models(catalog_name=catalog, schema_name="sales")).registered_models] == ["churn"]

        volumes = VolumesApi(client)
        volume = await volumes.create_volume(CreateVolumeRequestContent(
            catalog_name=catalog, schema_name="sales", name="landing", volume_type=VolumeType.MANAGED, comment="raw files"))
        assert volume.full_name == f"{catalog}.sales.landing" and volume.volume_type == VolumeType.MANAGED and volume.owner
        assert [v.name for v in (await volumes.list_volumes(catalog_name=catalog, schema_name="sales")).volumes] == ["landing"]

        # Grants on every securable type, read back through the client's models.
        grants = GrantsApi(client)
        for securable, name, privilege in [(SecurableType.FUNCTION, f"{catalog}.sales.add_one", Privilege.EXECUTE),
                                           (SecurableType.REGISTERED_MODEL, f"{catalog}.sales.churn", Privilege.EXECUTE),
                                           (SecurableType.VOLUME, f"{catalog}.sales.landing", Privilege.READ_VOLUME),
                                           (SecurableType.TABLE, f"{catalog}.sales.orders", Privilege.SELECT)]:
            changed = await grants.update(securable, name, UpdatePermissions(changes=[PermissionsChange(principal="bob", add=[privilege], remove=[])]))
            assert any(a.principal == "bob" and a.privileges == [privilege] for a in changed.privilege_assignments), changed
            assert (await grants.get(securable, name)).privilege_assignments == changed.privilege_assignments
            assert [a.principal for a in (await grants.get(securable, name, principal="bob")).privilege_assignments] == ["bob"]
            assert (await grants.get(securable, name, principal="nobody")).privilege_assignments == []

        tagged = await asyncio.to_thread(requests.patch, client.configuration.host.replace("/api/2.1/unity-catalog", "")
                                         + f"/api/2.0/ingot/tags/volume/{catalog}.sales.landing", json={"set": {"zone": "raw"}}, timeout=10)
        assert tagged.ok and tagged.json()["tags"] == [{"key": "zone", "value": "raw"}], tagged.text
        await volumes.delete_volume(f"{catalog}.sales.landing")
        await functions.delete_function(f"{catalog}.sales.add_one")
        with pytest.raises(ApiException) as missing:
            await functions.get_function(f"{catalog}.sales.add_one")
        assert missing.value.status == 404
        await models.delete_registered_model(f"{catalog}.sales.churn")
        await tables.delete_table(f"{catalog}.sales.orders")
        await catalogs.delete_catalog(catalog, force=True)

    run(scenario, ingot_server.url)
    r = requests.get(ingot_server.url + f"/api/2.1/unity-catalog/catalogs/{catalog}", timeout=10)
    assert r.status_code == 404


def test_tags_and_comments_show_in_what_the_client_reads(ingot_server):
    name = f"main.default.tagged_{uuid.uuid4().hex[:8]}"
    url = ingot_server.url

    def sql(statement):
        r = requests.post(url + "/api/2.0/sql/statements", json={"statement": statement, "wait_timeout": "30s"}, timeout=60)
        assert r.ok and r.json()["status"]["state"] == "SUCCEEDED", r.text

    sql(f"CREATE TABLE {name} (id BIGINT, email STRING)")
    sql(f"COMMENT ON TABLE {name} IS 'customers'")
    sql(f"ALTER TABLE {name} ALTER COLUMN email COMMENT 'contact address'")
    sql(f"ALTER TABLE {name} SET TAGS ('pii' = 'yes')")
    sql(f"ALTER TABLE {name} ALTER COLUMN email SET TAGS ('class' = 'email')")
    sql(f"ALTER TABLE {name} SET TBLPROPERTIES ('quality' = 'gold')")

    async def read(client):
        return await TablesApi(client).get_table(name)

    table = run(read, url)  # the extra `tags` fields do not disturb the client's models
    assert table.comment == "customers" and table.properties.get("quality") == "gold"
    assert [c.comment for c in table.columns] == [None, "contact address"]
    raw = requests.get(url + f"/api/2.1/unity-catalog/tables/{name}", timeout=10).json()
    assert raw["tags"] == {"pii": "yes"} and raw["columns"][1]["tags"] == {"class": "email"}
    tags = requests.get(url + f"/api/2.0/ingot/tags/table/{name}", timeout=10).json()
    assert tags["tags"] == [{"key": "pii", "value": "yes"}] and tags["column_tags"] == {"email": [{"key": "class", "value": "email"}]}
    r = requests.patch(url + f"/api/2.0/ingot/tags/table/{name}", json={"unset": ["pii"]}, timeout=10)
    assert r.ok and r.json()["tags"] == [], r.text
    requests.delete(url + f"/api/2.1/unity-catalog/tables/{name}", timeout=10)


@pytest.fixture
def secured_uc(secured_server):
    """The shared auth-on server, the administrator's token, and a fresh user (unique name) with a token."""
    return secured_server, secured_server.root_token, secured_server.new_user("ana", comment="uc")


def test_grants_and_temporary_credentials_follow_privileges(secured_uc):
    server, root, user = secured_uc
    ana = user.token

    async def setup(client):
        await SchemasApi(client).create_schema(CreateSchema(name="fin", catalog_name="main"))
        table = await TablesApi(client).create_table(CreateTable(
            name="ledger", catalog_name="main", schema_name="fin", table_type=TableType.MANAGED, data_source_format=DataSourceFormat.DELTA,
            columns=[ColumnInfo(name="id", type_name=ColumnTypeName.LONG, type_text="bigint", type_json="{}", position=0)]))
        return table.table_id

    table_id = run(setup, server.url, root)

    async def credentials(client, operation):
        return await TemporaryCredentialsApi(client).generate_temporary_table_credentials(
            GenerateTemporaryTableCredential(table_id=table_id, operation=operation))

    async def ana_reads(client):
        return await credentials(client, TableOperation.READ)

    # Without SELECT, ana gets no READ credentials, and does not see the table in lists.
    with pytest.raises(ApiException) as denied:
        run(ana_reads, server.url, ana)
    assert denied.value.status == 403

    async def ana_lists(client):
        return (await TablesApi(client).list_tables(catalog_name="main", schema_name="fin")).tables or []

    async def grant(client):
        grants = GrantsApi(client)
        for securable, name, privileges in [(SecurableType.CATALOG, "main", [Privilege.USE_CATALOG]),
                                            (SecurableType.SCHEMA, "main.fin", [Privilege.USE_SCHEMA]),
                                            (SecurableType.TABLE, "main.fin.ledger", [Privilege.SELECT])]:
            await grants.update(securable, name, UpdatePermissions(changes=[PermissionsChange(principal=user.name, add=privileges, remove=[])]))
        return await grants.get(SecurableType.TABLE, "main.fin.ledger")

    assert run(ana_lists, server.url, ana) == []
    assigned = run(grant, server.url, root)
    assert any(a.principal == user.name and a.privileges == [Privilege.SELECT] for a in assigned.privilege_assignments)

    # With SELECT (and USE CATALOG / USE SCHEMA), READ works and the table is listed; READ_WRITE still needs MODIFY.
    creds = run(ana_reads, server.url, ana)
    assert creds.url.startswith("file://") and creds.url.endswith("/ledger") and creds.expiration_time > 0
    assert [t.name for t in run(ana_lists, server.url, ana)] == ["ledger"]

    async def ana_writes(client):
        return await credentials(client, TableOperation.READ_WRITE)

    with pytest.raises(ApiException) as no_modify:
        run(ana_writes, server.url, ana)
    assert no_modify.value.status == 403

    async def grant_modify(client):
        await GrantsApi(client).update(SecurableType.TABLE, "main.fin.ledger",
                                       UpdatePermissions(changes=[PermissionsChange(principal=user.name, add=[Privilege.MODIFY], remove=[])]))

    run(grant_modify, server.url, root)
    assert run(ana_writes, server.url, ana).url == creds.url

    # Ana may not hand the table to someone else (only owners and admins change owners); the admin may.
    r = requests.patch(server.url + "/api/2.1/unity-catalog/tables/main.fin.ledger", json={"owner": user.name},
                       headers={"Authorization": "Bearer " + ana}, timeout=10)
    assert r.status_code == 403, r.text
    r = requests.patch(server.url + "/api/2.1/unity-catalog/tables/main.fin.ledger", json={"owner": user.name, "comment": "hers"},
                       headers={"Authorization": "Bearer " + root}, timeout=10)
    assert r.status_code == 200 and r.json()["owner"] == user.name, r.text
    # As the owner, ana now tags a column and comments on the table (owners hold every privilege).
    r = requests.patch(server.url + "/api/2.0/ingot/tags/table/main.fin.ledger", json={"set": {"pii": "no"}, "column_name": "id"},
                       headers={"Authorization": "Bearer " + ana}, timeout=10)
    assert r.status_code == 200 and r.json()["column_tags"] == {"id": [{"key": "pii", "value": "no"}]}, r.text

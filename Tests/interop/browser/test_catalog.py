"""Catalog explorer: catalog → schema → table navigation (tree and lists), the table page's tabs
(columns with types, sample data with the version picker, history, details), the create-catalog and
create-schema dialogs, and dropping a table after confirming.

Data is loaded with `ingot tables ingest` (two CSV commits). Runs its own server with
`--web-root web/` so the pages under test are the files in the tree.
"""

import urllib.parse
import uuid

import pytest
import requests
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

import browser_helpers
from browser_helpers import ingest, output_dir, severe_entries

UC = "/api/2.1/unity-catalog"


@pytest.fixture(scope="module")
def web_server():
    yield from browser_helpers.web_server("catalog-web")


def write_csv(path, start, n):
    with open(path, "w") as f:
        f.write("id,name,amount\n")
        for i in range(start, start + n):
            f.write(f"{i},person-{i},{i * 2.5}\n")
    return path


@pytest.fixture(scope="module")
def people(web_server, tmp_path_factory):
    """main.default.people: version 0 has 5 rows, version 1 appends 3 more."""
    tmp = tmp_path_factory.mktemp("catalog")
    ingest(web_server, write_csv(tmp / "a.csv", 0, 5), "main.default.people")
    ingest(web_server, write_csv(tmp / "b.csv", 5, 3), "main.default.people")
    ingest(web_server, write_csv(tmp / "c.csv", 0, 2), "main.default.scratch")
    return web_server


def wait(driver, timeout=15):
    # Pages re-render after an action: elements found mid-render may go stale.
    return WebDriverWait(driver, timeout, ignored_exceptions=[StaleElementReferenceException, NoSuchElementException])


def body_rows(driver, container):
    rows = driver.find_elements(By.CSS_SELECTOR, f"{container} table.data tbody tr")
    return [[td.text for td in tr.find_elements(By.TAG_NAME, "td")] for tr in rows if not tr.find_elements(By.CSS_SELECTOR, "td.dt-empty")]


def open_tab(driver, tab):
    driver.find_element(By.CSS_SELECTOR, f"[role=tab][data-tab='{tab}']").click()
    wait(driver).until(lambda d: d.find_element(By.ID, "table-tab-panel").get_attribute("data-tab") == tab)


def test_tree_navigation_and_table_page(people, driver):
    url = people.url
    severe_entries(driver)
    driver.get(f"{url}/ui/catalog")
    # Catalogs list → main → default → people, through the lists.
    wait(driver).until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".uc-main a[data-catalog='main']"))).click()
    wait(driver).until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".uc-main a[data-schema='default']"))).click()
    wait(driver).until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".uc-main a[data-table='people']")))
    assert driver.current_url.endswith("/ui/catalog/main/default")
    names = [a.text for a in driver.find_elements(By.CSS_SELECTOR, ".uc-main a[data-table]")]
    assert names == ["people", "scratch"]
    # The tree shows the open path; the table is reached from the tree.
    tree_table = wait(driver).until(EC.element_to_be_clickable(
        (By.CSS_SELECTOR, "[data-role='catalog-tree'] li[data-kind='table'][data-name='people'] a")))
    assert driver.find_element(By.CSS_SELECTOR, "[data-role='catalog-tree'] li[data-kind='schema'][data-name='default'] a").get_attribute("aria-current") == "page"
    tree_table.click()
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-role='columns'] table.data")))
    assert driver.current_url.endswith("/ui/catalog/main/default/people")
    assert driver.find_element(By.TAG_NAME, "h1").text == "people"
    assert driver.find_element(By.ID, "table-full-name").text == "main.default.people"
    assert driver.find_element(By.ID, "table-version").text == "1"

    # Columns tab: names, types, nullability, position.
    cols = body_rows(driver, "[data-role='columns']")
    assert [(r[1], r[2]) for r in cols] == [("id", "bigint"), ("name", "string"), ("amount", "double")]
    assert [r[0] for r in cols] == ["1", "2", "3"]
    assert all(r[3] == "yes" for r in cols)
    driver.save_screenshot(str(output_dir() / "catalog-columns.png"))

    # "Query this table" opens the SQL editor with a query.
    href = driver.find_element(By.ID, "query-table").get_attribute("href")
    q = urllib.parse.parse_qs(urllib.parse.urlparse(href).query)["q"][0]
    assert urllib.parse.urlparse(href).path == "/ui/sql"
    assert q == "SELECT * FROM main.default.people LIMIT 100"

    # Sample data: latest has all 8 rows; the version picker shows version 0's 5 rows.
    open_tab(driver, "sample")
    wait(driver).until(lambda d: d.find_element(By.ID, "sample-count").get_attribute("data-rows") == "8")
    rows = body_rows(driver, "[data-role='sample-grid']")
    assert sorted(int(r[0]) for r in rows) == list(range(8))
    assert ["3", "person-3", "7.5"] in rows
    # Numeric columns are right-aligned.
    assert "num" in driver.find_element(By.CSS_SELECTOR, "[data-role='sample-grid'] th[data-key='c0']").get_attribute("class")
    picker = Select(driver.find_element(By.ID, "sample-version"))
    wait(driver).until(lambda d: len(picker.options) == 3)  # latest, v1, v0
    picker.select_by_value("0")
    wait(driver).until(lambda d: d.find_element(By.ID, "sample-count").get_attribute("data-rows") == "5")
    assert "version 0" in driver.find_element(By.ID, "sample-count").text
    assert sorted(int(r[0]) for r in body_rows(driver, "[data-role='sample-grid']")) == list(range(5))
    assert "version=0" in driver.current_url
    driver.save_screenshot(str(output_dir() / "catalog-sample-v0.png"))
    picker.select_by_value("")
    wait(driver).until(lambda d: d.find_element(By.ID, "sample-count").get_attribute("data-rows") == "8")

    # History: two versions, newest first, with operation, parameters and metrics.
    open_tab(driver, "history")
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-role='history'] [data-version='0']")))
    hist = driver.find_elements(By.CSS_SELECTOR, "[data-role='history'] tbody tr")
    assert [tr.find_element(By.CSS_SELECTOR, "td[data-key='version']").text for tr in hist] == ["1", "0"]
    assert hist[0].find_element(By.CSS_SELECTOR, "td[data-key='operation']").text == "WRITE"
    assert hist[1].find_element(By.CSS_SELECTOR, "td[data-key='operation']").text.startswith("CREATE TABLE")
    assert "Append" in hist[0].find_element(By.CSS_SELECTOR, "td[data-key='operationParameters']").text
    metrics = hist[0].find_element(By.CSS_SELECTOR, "td[data-key='operationMetrics']").text
    assert "numOutputRows" in metrics and "3" in metrics
    driver.save_screenshot(str(output_dir() / "catalog-history.png"))
    # "View data" on version 0 jumps to the sample at that version.
    hist[1].find_element(By.CSS_SELECTOR, "[data-action='view-version']").click()
    wait(driver).until(lambda d: d.find_element(By.ID, "sample-count").get_attribute("data-rows") == "5")
    assert Select(driver.find_element(By.ID, "sample-version")).first_selected_option.get_attribute("value") == "0"

    # Details: location, format, version, Iceberg metadata, file count and size.
    open_tab(driver, "details")
    wait(driver).until(lambda d: d.find_element(By.ID, "detail-files").text not in ("", "…"))
    detail = lambda key: driver.find_element(By.CSS_SELECTOR, f"[data-detail='{key}']").text  # noqa: E731
    info = requests.get(f"{url}{UC}/tables/main.default.people", timeout=10).json()
    assert detail("table_type") == "MANAGED"
    assert detail("data_source_format") == "DELTA"
    assert detail("delta_version") == "1"
    assert info["storage_location"] in detail("storage_location")
    assert info["iceberg_metadata_location"] in detail("iceberg_metadata_location")
    assert driver.find_element(By.ID, "detail-files").text == "2"
    assert driver.find_element(By.ID, "detail-rows").text == "8"
    assert driver.find_element(By.ID, "detail-size").text.endswith("B")
    driver.save_screenshot(str(output_dir() / "catalog-details.png"))
    assert severe_entries(driver) == []


def test_create_catalog_and_schema_dialogs(people, driver):
    url = people.url
    cat = f"web_{uuid.uuid4().hex[:6]}"
    severe_entries(driver)
    driver.get(f"{url}/ui/catalog")
    wait(driver).until(EC.element_to_be_clickable((By.ID, "create-catalog"))).click()
    wait(driver).until(EC.visibility_of_element_located((By.ID, "new-catalog-name"))).send_keys(cat)
    driver.find_element(By.ID, "new-catalog-comment").send_keys("<b>not bold</b>")
    driver.find_element(By.ID, "new-catalog-submit").click()
    wait(driver).until(lambda d: d.current_url.endswith(f"/ui/catalog/{cat}"))
    wait(driver).until(EC.presence_of_element_located((By.ID, "create-schema")))
    # Untrusted text is text: the comment shows its markup literally.
    assert "<b>not bold</b>" in driver.find_element(By.CSS_SELECTOR, ".page-header .subtitle").text
    assert driver.find_elements(By.CSS_SELECTOR, ".page-header .subtitle b") == []
    # The new catalog is in the tree.
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, f"[data-role='catalog-tree'] li[data-kind='catalog'][data-name='{cat}']")))

    driver.find_element(By.ID, "create-schema").click()
    wait(driver).until(EC.visibility_of_element_located((By.ID, "new-schema-name"))).send_keys("bronze")
    driver.find_element(By.ID, "new-schema-submit").click()
    wait(driver).until(lambda d: d.current_url.endswith(f"/ui/catalog/{cat}/bronze"))
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".uc-main .empty")))
    assert "No tables in this schema" in driver.find_element(By.CSS_SELECTOR, ".uc-main").text
    schemas = requests.get(f"{url}{UC}/schemas", params={"catalog_name": cat}, timeout=10).json()["schemas"]
    assert [s["name"] for s in schemas] == ["bronze"]

    # A duplicate name shows the server's error inside the dialog.
    driver.get(f"{url}/ui/catalog/{cat}")
    wait(driver).until(EC.element_to_be_clickable((By.ID, "create-schema"))).click()
    wait(driver).until(EC.visibility_of_element_located((By.ID, "new-schema-name"))).send_keys("bronze")
    driver.find_element(By.ID, "new-schema-submit").click()
    err = wait(driver).until(lambda d: d.find_element(By.ID, "new-schema-error").text)
    assert "bronze" in err or "exist" in err.lower()
    driver.save_screenshot(str(output_dir() / "catalog-create-schema-error.png"))
    # The failed POST is logged by the browser as a console error; that one is expected.
    assert all("/schemas" in e["message"] for e in severe_entries(driver))


def test_drop_table_after_confirmation(people, driver):
    url = people.url
    severe_entries(driver)
    driver.get(f"{url}/ui/catalog/main/default/scratch")
    wait(driver).until(EC.element_to_be_clickable((By.ID, "drop-table"))).click()
    typed = wait(driver).until(EC.visibility_of_element_located((By.ID, "confirm-typed")))
    confirm = driver.find_element(By.ID, "confirm-danger")
    assert not confirm.is_enabled()
    # Cancel leaves the table alone.
    driver.find_element(By.ID, "cancel-danger").click()
    assert requests.get(f"{url}{UC}/tables/main.default.scratch", timeout=10).status_code == 200

    driver.find_element(By.ID, "drop-table").click()
    typed = wait(driver).until(EC.visibility_of_element_located((By.ID, "confirm-typed")))
    typed.send_keys("scratch")
    wait(driver).until(lambda d: d.find_element(By.ID, "confirm-danger").is_enabled())
    driver.find_element(By.ID, "confirm-danger").click()
    wait(driver).until(lambda d: d.current_url.endswith("/ui/catalog/main/default"))
    assert "main.default.scratch dropped" in driver.find_element(By.ID, "banners").text
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".uc-main a[data-table='people']")))
    assert not driver.find_elements(By.CSS_SELECTOR, ".uc-main a[data-table='scratch']")
    assert requests.get(f"{url}{UC}/tables/main.default.scratch", timeout=10).status_code == 404
    assert severe_entries(driver) == []

    # A table that does not exist has a not-found state, not a broken page.
    driver.get(f"{url}/ui/catalog/main/default/scratch")
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-role='not-found']")))
    assert "Table not found" in driver.find_element(By.CSS_SELECTOR, "[data-role='not-found']").text


def test_partitioned_table_columns_and_details(people, driver):
    url = people.url
    r = requests.post(f"{url}{UC}/tables", json={
        "name": "parted", "catalog_name": "main", "schema_name": "default", "comment": "by region",
        "properties": {"team": "data"},
        "columns": [
            {"name": "id", "type_name": "LONG", "type_text": "bigint", "nullable": False},
            {"name": "region", "type_name": "STRING", "type_text": "string", "partition_index": 0},
        ]}, timeout=10)
    assert r.ok, r.text
    severe_entries(driver)
    driver.get(f"{url}/ui/catalog/main/default/parted")
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-role='columns'] table.data")))
    cols = body_rows(driver, "[data-role='columns']")
    assert [(r[1], r[2], r[3], r[4]) for r in cols] == [("id", "bigint", "NOT NULL", "—"), ("region", "string", "yes", "0")]
    # An empty table: no sample rows; details show zero files and the properties.
    open_tab(driver, "sample")
    wait(driver).until(lambda d: d.find_element(By.ID, "sample-count").get_attribute("data-rows") == "0")
    assert "no rows" in driver.find_element(By.CSS_SELECTOR, "[data-role='sample-grid']").text
    open_tab(driver, "details")
    wait(driver).until(lambda d: d.find_element(By.ID, "detail-files").text == "0")
    assert driver.find_element(By.ID, "detail-size").text == "0 B"
    props = [[td.text for td in tr.find_elements(By.TAG_NAME, "td")] for tr in driver.find_elements(By.CSS_SELECTOR, "[data-role='properties'] tbody tr")]
    assert ["team", "data"] in props
    assert driver.find_element(By.CSS_SELECTOR, "[data-detail='comment'] .comment-text").text == "by region"
    # Comments are edited in place: the table's on the details tab, a column's on the columns tab.
    driver.find_element(By.CSS_SELECTOR, "[data-detail='comment'] [data-role='edit-comment']").click()
    box = driver.find_element(By.CSS_SELECTOR, "[data-detail='comment'] [data-role='comment-input']")
    box.clear()
    box.send_keys("by region, edited")
    driver.find_element(By.CSS_SELECTOR, "[data-detail='comment'] [data-role='save-comment']").click()
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-detail='comment'] .comment-text").text == "by region, edited")
    assert requests.get(f"{url}{UC}/tables/main.default.parted", timeout=10).json()["comment"] == "by region, edited"
    r = requests.patch(f"{url}/api/2.0/ingot/tags/table/main.default.parted", json={"set": {"pii": "no"}, "column_name": "region"}, timeout=10)
    assert r.ok, r.text
    driver.get(f"{url}/ui/catalog/main/default/parted")
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-role='columns'] [data-comment='id'] [data-role='edit-comment']")))
    assert driver.find_element(By.CSS_SELECTOR, "[data-role='column-tags']").text.split() == ["pii", "no"]
    driver.find_element(By.CSS_SELECTOR, "[data-comment='id'] [data-role='edit-comment']").click()
    driver.find_element(By.CSS_SELECTOR, "[data-comment='id'] [data-role='comment-input']").send_keys("the key")
    driver.find_element(By.CSS_SELECTOR, "[data-comment='id'] [data-role='save-comment']").click()
    wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-comment='id'] .comment-text").text == "the key")
    columns = requests.get(f"{url}{UC}/tables/main.default.parted", timeout=10).json()["columns"]
    assert [c.get("comment") for c in columns] == ["the key", None]
    assert severe_entries(driver) == []


def detail_text(driver, key):
    return driver.find_element(By.CSS_SELECTOR, f"[data-detail='{key}']").text


def sql(server, statement):
    r = requests.post(f"{server.url}/api/2.0/sql/statements", json={"statement": statement, "wait_timeout": "30s"}, timeout=60)
    assert r.ok, r.text
    body = r.json()
    assert body["status"]["state"] == "SUCCEEDED", body
    return body["result"]["data_array"] if body.get("result") else []


def table_detail(server, name):
    res = requests.post(f"{server.url}/api/2.0/sql/statements", json={"statement": f"DESCRIBE DETAIL {name}", "wait_timeout": "30s"}, timeout=60).json()
    cols = [c["name"] for c in res["manifest"]["schema"]["columns"]]
    return dict(zip(cols, res["result"]["data_array"][0]))


def test_details_file_statistics_after_dml(people, driver, tmp_path):
    """Files / size / rows (reported by the server's table info) stay right after DELETE, UPDATE, OPTIMIZE
    and MERGE, and agree with DESCRIBE DETAIL."""
    url = people.url
    ingest(people, write_csv(tmp_path / "a.csv", 0, 40), "main.default.dml")
    ingest(people, write_csv(tmp_path / "b.csv", 40, 20), "main.default.dml")
    ingest(people, write_csv(tmp_path / "c.csv", 50, 20), "main.default.dml_src")
    sql(people, "DELETE FROM main.default.dml WHERE id < 5")
    sql(people, "UPDATE main.default.dml SET name = 'changed' WHERE id = 7")
    sql(people, "OPTIMIZE main.default.dml")

    def check(expect_rows, source):
        want = table_detail(people, "main.default.dml")
        severe_entries(driver)
        driver.get(f"{url}/ui/catalog/main/default/dml?tab=details")
        wait(driver).until(lambda d: d.find_element(By.ID, "detail-files").text not in ("", "…"))
        assert driver.find_element(By.ID, "detail-files").text == want["numFiles"]
        assert driver.find_element(By.ID, "detail-size").get_attribute("title") == f"{want['sizeInBytes']} bytes"
        assert driver.find_element(By.ID, "detail-rows").text == expect_rows
        assert source in driver.find_element(By.CSS_SELECTOR, ".uc-main").text
        assert severe_entries(driver) == []

    rows = sql(people, "SELECT COUNT(*) FROM main.default.dml")[0][0]
    assert rows == "55"
    check("55", "")
    sql(people, "MERGE INTO main.default.dml t USING main.default.dml_src s ON t.id = s.id "
                "WHEN MATCHED THEN UPDATE SET * WHEN NOT MATCHED THEN INSERT *")
    merged = sql(people, "SELECT COUNT(*) FROM main.default.dml")[0][0]
    check(merged, "")
    driver.save_screenshot(str(output_dir() / "catalog-details-after-merge.png"))

"""Catalog lineage tab: a bronze → silver → gold chain written by SQL statements; explore to the gold
table, open its Lineage tab (an SVG graph), and walk upstream by clicking silver, then bronze —
each click centres the graph on that table; "Back to gold" returns."""

import time
import uuid

import pytest
import requests
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from browser_helpers import output_dir, severe_entries

pytestmark = pytest.mark.timeout(60)


def sql(server, statement):
    r = requests.post(server.url + "/api/2.0/sql/statements", json={"statement": statement, "wait_timeout": "30s"}, timeout=60)
    body = r.json()
    while body["status"]["state"] in ("PENDING", "RUNNING"):
        time.sleep(0.1)
        body = requests.get(f"{server.url}/api/2.0/sql/statements/{body['statement_id']}", timeout=10).json()
    assert body["status"]["state"] == "SUCCEEDED", body


@pytest.fixture(scope="module")
def chain(ingot_server):
    schema = f"linweb_{uuid.uuid4().hex[:6]}"
    r = requests.post(ingot_server.url + "/api/2.1/unity-catalog/schemas", json={"name": schema, "catalog_name": "main"}, timeout=10)
    assert r.status_code == 200, r.text
    sql(ingot_server, f"CREATE TABLE main.{schema}.bronze (id INT, amount DOUBLE)")
    sql(ingot_server, f"INSERT INTO main.{schema}.bronze VALUES (1, 2.0), (2, 3.5)")
    sql(ingot_server, f"CREATE TABLE main.{schema}.silver AS SELECT id, amount * 2 AS amount2 FROM main.{schema}.bronze WHERE amount > 0")
    sql(ingot_server, f"CREATE TABLE main.{schema}.gold AS SELECT count(*) AS n, sum(amount2) AS total FROM main.{schema}.silver")
    return ingot_server, schema


def wait(driver, timeout=15):
    return WebDriverWait(driver, timeout, ignored_exceptions=[StaleElementReferenceException, NoSuchElementException])


def centre(driver):
    return driver.find_element(By.CSS_SELECTOR, "#lineage-center [data-role='center-name']").text


def click_node(driver, node_id):
    wait(driver).until(EC.element_to_be_clickable((By.CSS_SELECTOR, f"#lineage-canvas g.lineage-node[data-id='{node_id}']"))).click()


def test_walk_upstream_from_gold_to_bronze(chain, driver):
    server, schema = chain
    severe_entries(driver)
    driver.get(f"{server.url}/ui/catalog/main/{schema}")
    wait(driver).until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".uc-main a[data-table='gold']"))).click()
    wait(driver).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "[role=tab][data-tab='lineage']"))).click()
    wait(driver).until(lambda d: d.find_element(By.ID, "lineage-canvas").get_attribute("data-root") == f"table:main.{schema}.gold")
    assert "tab=lineage" in driver.current_url
    svg = driver.find_element(By.CSS_SELECTOR, "#lineage-canvas svg.lineage-graph")
    ids = {g.get_attribute("data-id") for g in svg.find_elements(By.CSS_SELECTOR, "g.lineage-node")}
    assert ids == {f"table:main.{schema}.gold", f"table:main.{schema}.silver", f"table:main.{schema}.bronze"}  # depth 2
    assert svg.find_elements(By.CSS_SELECTOR, f"path.dag-edge[data-source='table:main.{schema}.silver'][data-target='table:main.{schema}.gold']")
    # The centre is drawn right of its upstream.
    x = {g.get_attribute("data-id"): g.rect["x"] for g in svg.find_elements(By.CSS_SELECTOR, "g.lineage-node")}
    assert x[f"table:main.{schema}.bronze"] < x[f"table:main.{schema}.silver"] < x[f"table:main.{schema}.gold"]
    details = driver.find_element(By.ID, "lineage-details").text
    assert "total ← amount2" in details and "SQL statement" in details
    driver.save_screenshot(str(output_dir() / "catalog-lineage-gold.png"))

    click_node(driver, f"table:main.{schema}.silver")
    wait(driver).until(lambda d: d.find_element(By.ID, "lineage-canvas").get_attribute("data-root") == f"table:main.{schema}.silver")
    assert centre(driver) == f"main.{schema}.silver"
    click_node(driver, f"table:main.{schema}.bronze")
    wait(driver).until(lambda d: d.find_element(By.ID, "lineage-canvas").get_attribute("data-root") == f"table:main.{schema}.bronze")
    assert centre(driver) == f"main.{schema}.bronze"
    assert "amount2 ← amount" in driver.find_element(By.ID, "lineage-details").text
    driver.save_screenshot(str(output_dir() / "catalog-lineage-bronze.png"))

    driver.find_element(By.ID, "lineage-home").click()
    wait(driver).until(lambda d: d.find_element(By.ID, "lineage-canvas").get_attribute("data-root") == f"table:main.{schema}.gold")
    assert severe_entries(driver) == []

"""Serving pages: the endpoints list, an endpoint serving two versions of a registered LightGBM model
(native evaluator), the "try it" box answering predictions with the served-model-name, the traffic split
editor saving a new split (and showing the API's validation error for a bad one), and the live charts.

Runs its own server with `--web-root web/` so the pages under test are the files in the tree.
"""

import json
import pathlib
import sys
import time
import uuid

import mlflow
import pytest
import requests
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

import browser_helpers
from browser_helpers import output_dir, severe_entries

REPO = pathlib.Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "Tests" / "interop"))
import serving_models  # noqa: E402

API = "/api/2.0/serving-endpoints"


@pytest.fixture(scope="module")
def web_server():
    for server in browser_helpers.web_server("serving-web", env={"INGOT_SERVING_PYTHON": sys.executable}):
        mlflow.set_tracking_uri(server.url)
        mlflow.set_registry_uri(server.url)
        yield server
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)


@pytest.fixture(scope="module")
def two_versions(web_server):
    """A registered LightGBM regression model with versions 1 and 2 (natively served)."""
    name = f"lgbm-{uuid.uuid4().hex[:6]}"
    models = []
    for rounds in (5, 9):
        booster, test = serving_models.train_lightgbm("regression", rounds=rounds)
        with mlflow.start_run():
            uri = serving_models.log(booster, input_example=test.head(3))
        mlflow.register_model(uri, name)
        models.append(booster)
    return name, models, test


def wait(driver, timeout=20):
    # Pages redraw sections when they poll: elements found mid-redraw may go stale.
    return WebDriverWait(driver, timeout, poll_frequency=0.2, ignored_exceptions=[StaleElementReferenceException, NoSuchElementException])


def endpoint(server, name):
    return requests.get(f"{server.url}{API}/{name}", timeout=10).json()


def wait_not_updating(server, name, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        ep = endpoint(server, name)
        if ep["state"]["config_update"] != "IN_PROGRESS":
            return ep
        time.sleep(0.2)
    raise AssertionError(f"endpoint {name} still updating: {ep}")


def set_number(el, value):
    el.send_keys(Keys.CONTROL, "a")
    el.send_keys(str(value))


def unexpected_console_errors(driver):
    # A refused PUT (the validation case) is logged by Chromium as a failed resource load.
    return [e for e in severe_entries(driver) if "Failed to load resource" not in e.get("message", "")]


def test_endpoint_pages_try_it_and_traffic_split(web_server, driver, two_versions):
    model, boosters, test = two_versions
    name = f"ep-{uuid.uuid4().hex[:6]}"
    r = requests.post(web_server.url + API, json={"name": name, "config": {
        "served_entities": [{"name": "first", "entity_name": model, "entity_version": "1"},
                            {"name": "second", "entity_name": model, "entity_version": "2"}],
        "traffic_config": {"routes": [{"served_entity_name": "first", "traffic_percentage": 100},
                                      {"served_entity_name": "second", "traffic_percentage": 0}]}}}, timeout=10)
    assert r.status_code == 200, r.text
    assert wait_not_updating(web_server, name)["state"]["ready"] == "READY"

    severe_entries(driver)
    # List: the endpoint with its state and served entities.
    driver.get(f"{web_server.url}/ui/serving")
    link = wait(driver).until(EC.element_to_be_clickable((By.LINK_TEXT, name)))
    row = link.find_element(By.XPATH, "./ancestor::tr")
    assert row.find_element(By.CSS_SELECTOR, "[data-role='ready']").get_attribute("data-status") == "READY"
    assert row.find_element(By.CSS_SELECTOR, "[data-role='config-update']").get_attribute("data-status") == "NOT_UPDATING"
    chips = row.find_element(By.CSS_SELECTOR, "[data-entity='first']").text
    assert f"{model} v1" in chips and "100%" in chips
    assert "admin" in row.text
    driver.save_screenshot(str(output_dir() / "serving-list.png"))
    link.click()

    # Endpoint page: both entities READY, first takes all traffic.
    for entity in ("first", "second"):
        wait(driver).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, f"table[data-role='entities'] tr[data-entity='{entity}'] [data-role='deployment'][data-status='DEPLOYMENT_READY']")))
    traffic = driver.find_element(By.CSS_SELECTOR, "table[data-role='entities'] tr[data-entity='first'] [data-role='traffic']").text
    assert traffic == "100%"
    wait(driver).until(lambda d: d.find_element(
        By.CSS_SELECTOR, "table[data-role='entities'] tr[data-entity='second'] [data-role='runtime']").text == "lightgbm-native")
    assert driver.find_elements(By.CSS_SELECTOR, "[data-role='rollout-unavailable'], [data-role='rollout']")

    driver.save_screenshot(str(output_dir() / "serving-endpoint-top.png"))

    # Try it: the body is prefilled from the signature; send two real rows and read the predictions.
    box = wait(driver).until(lambda d: d.find_element(By.ID, "try-body") if d.find_element(By.ID, "try-body").get_attribute("value") else False)
    assert "dataframe_split" in box.get_attribute("value") and "f0" in box.get_attribute("value")
    rows = test.head(2)
    body = json.dumps({"dataframe_split": json.loads(rows.to_json(orient="split"))})
    box.clear()
    box.send_keys(body)
    driver.find_element(By.ID, "try-send").click()
    answer = wait(driver).until(lambda d: d.find_element(By.ID, "try-response").text or False)
    predictions = json.loads(answer)["predictions"]
    want = boosters[0].predict(rows).tolist()
    assert predictions == pytest.approx(want, rel=1e-9)
    assert driver.find_element(By.ID, "try-served-model").text == "first"
    assert driver.find_element(By.CSS_SELECTOR, "[data-role='try-status']").get_attribute("data-status") == "200"

    # Live charts count the request (the stats poll runs every 5 s).
    wait(driver, 20).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-role='stat-requests'] .stat-value").text not in ("", "0"))
    assert driver.find_elements(By.CSS_SELECTOR, "[data-role='live-charts'] svg.chart path.series")
    driver.save_screenshot(str(output_dir() / "serving-endpoint.png"))

    # A split that does not sum to 100: the API's validation message is shown, nothing changes.
    set_number(driver.find_element(By.ID, "split-first"), 50)
    set_number(driver.find_element(By.ID, "split-second"), 20)
    driver.find_element(By.ID, "save-split").click()
    error = wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-role='split-error']").text or False)
    assert "sum to 100" in error
    routes = {r["served_entity_name"]: r["traffic_percentage"] for r in endpoint(web_server, name)["config"]["traffic_config"]["routes"]}
    assert routes == {"first": 100, "second": 0}

    # 30 / 70 is saved: the API holds it and the page shows it once the update completes.
    set_number(driver.find_element(By.ID, "split-first"), 30)
    set_number(driver.find_element(By.ID, "split-second"), 70)
    driver.find_element(By.ID, "save-split").click()
    notice = wait(driver).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#banners .banner.ok")))
    assert "Traffic split saved" in notice.text
    ep = wait_not_updating(web_server, name)
    routes = {r["served_entity_name"]: r["traffic_percentage"] for r in ep["config"]["traffic_config"]["routes"]}
    assert routes == {"first": 30, "second": 70}
    wait(driver).until(lambda d: d.find_element(
        By.CSS_SELECTOR, "table[data-role='entities'] tr[data-entity='second'] [data-role='traffic']").text == "70%")
    assert driver.find_element(By.ID, "split-second").get_attribute("value") == "70"
    assert driver.find_element(By.CSS_SELECTOR, "[data-role='split-total']").text == "Total 100%"
    driver.execute_script("arguments[0].scrollIntoView()", driver.find_element(By.CSS_SELECTOR, "[data-role='split-editor']"))
    driver.save_screenshot(str(output_dir() / "serving-split-saved.png"))
    assert not unexpected_console_errors(driver)


def test_create_endpoint_from_the_list(web_server, driver, two_versions):
    model, boosters, test = two_versions
    name = f"new-{uuid.uuid4().hex[:6]}"
    driver.get(f"{web_server.url}/ui/serving")
    wait(driver).until(EC.element_to_be_clickable((By.ID, "create-endpoint"))).click()
    wait(driver).until(EC.visibility_of_element_located((By.ID, "new-endpoint-name"))).send_keys(name)
    driver.find_element(By.ID, "new-endpoint-model").send_keys(model)
    driver.find_element(By.ID, "new-endpoint-version").send_keys("2")
    driver.find_element(By.CSS_SELECTOR, "#create-endpoint-form ~ * button[type='submit'], button[form='create-endpoint-form']").click()
    wait(driver).until(lambda d: d.current_url.rstrip("/").endswith(f"/ui/serving/{name}"))
    # The page follows the update until the entity is READY.
    wait(driver, 60).until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, "table[data-role='entities'] [data-role='deployment'][data-status='DEPLOYMENT_READY']")))
    assert wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, "[data-role='endpoint-meta'] [data-role='ready']").get_attribute("data-status") == "READY")
    assert endpoint(web_server, name)["config"]["served_entities"][0]["entity_version"] == "2"
    assert not unexpected_console_errors(driver)


def test_unknown_endpoint_shows_not_found(web_server, driver):
    driver.get(f"{web_server.url}/ui/serving/no-such-endpoint")
    banner = wait(driver).until(EC.visibility_of_element_located((By.CSS_SELECTOR, ".banner.error")))
    assert "Not found" in banner.text

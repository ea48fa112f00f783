"""Model registry pages: list, model page (versions, aliases, pending requests) and approving a
request from the page, which changes the alias.

Runs its own server with `--web-root web/` so the pages under test are the files in the tree.
"""

import uuid

import pytest
import requests
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

import browser_helpers
from browser_helpers import output_dir, severe_entries

API = "/api/2.0/mlflow"


@pytest.fixture(scope="module")
def web_server():
    yield from browser_helpers.web_server("models-web")


def call(server, method, path, body=None, params=None):
    r = requests.request(method, server.url + path, json=body, params=params, timeout=10)
    assert r.ok, f"{method} {path}: {r.status_code} {r.text}"
    return r.json()


def wait(driver, timeout=15):
    # Pages re-render after an action: elements found mid-render may go stale.
    return WebDriverWait(driver, timeout, ignored_exceptions=[StaleElementReferenceException, NoSuchElementException])


def test_model_page_and_approval_from_page(web_server, driver):
    name = f"web-{uuid.uuid4().hex[:6]}"
    call(web_server, "POST", f"{API}/registered-models/create", {"name": name, "description": "A classifier"})
    for i in range(2):
        call(web_server, "POST", f"{API}/model-versions/create", {"name": name, "source": f"s3://bucket/{name}/{i}"})
    call(web_server, "POST", f"{API}/registered-models/alias", {"name": name, "alias": "champion", "version": "1"})
    call(web_server, "POST", "/api/2.0/ingot/registry/policies/set",
         {"name": name, "protected_aliases": ["champion"], "allow_self_approval": True})
    req = call(web_server, "POST", f"{API}/transition-requests/create",
               {"name": name, "version": "2", "alias": "champion", "comment": "v2 wins"})["request"]

    severe_entries(driver)
    driver.get(f"{web_server.url}/ui/models")
    link = wait(driver).until(EC.element_to_be_clickable((By.LINK_TEXT, name)))
    link.click()

    # Model page: versions and aliases.
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, f"tr[data-request='{req['id']}']")))
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "Version 2" in body and "Version 1" in body
    chip = driver.find_element(By.CSS_SELECTOR, "#model-aliases [data-alias='champion']")
    assert "v1" in chip.text
    driver.save_screenshot(str(output_dir() / "models-model-page.png"))

    # Approve the pending request from the page: the alias moves to version 2.
    driver.find_element(By.CSS_SELECTOR, f"button[data-action='approve'][data-request='{req['id']}']").click()
    wait(driver).until(EC.visibility_of_element_located((By.ID, "decision-comment"))).send_keys("approved in browser")
    driver.find_element(By.ID, "confirm-decision").click()
    wait(driver).until(lambda d: "v2" in d.find_element(By.CSS_SELECTOR, "#model-aliases [data-alias='champion']").text)
    got = call(web_server, "GET", f"{API}/registered-models/alias", params={"name": name, "alias": "champion"})
    assert got["model_version"]["version"] == "2"
    assert driver.find_elements(By.CSS_SELECTOR, "[data-role='no-requests']")

    # Version page: history shows the request and the approval.
    driver.get(f"{web_server.url}/ui/models/{name}/versions/2")
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#approval-history [data-activity='APPROVED_REQUEST']")))
    assert driver.find_elements(By.CSS_SELECTOR, "#approval-history [data-activity='REQUESTED_TRANSITION']")
    # Description edited in place.
    driver.find_element(By.CSS_SELECTOR, "[data-action='edit-description']").click()
    area = wait(driver).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-role='description'] textarea")))
    area.send_keys("second version")
    driver.find_element(By.CSS_SELECTOR, "[data-action='save-description']").click()
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".description-text")))
    assert call(web_server, "GET", f"{API}/model-versions/get", params={"name": name, "version": "2"})["model_version"]["description"] == "second version"
    driver.save_screenshot(str(output_dir() / "models-version-page.png"))
    assert severe_entries(driver) == []


def test_version_page_shows_signature_example_and_lineage(web_server, driver):
    import mlflow
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    name = f"webclf-{uuid.uuid4().hex[:6]}"
    X = np.random.default_rng(0).normal(size=(40, 3))
    y = (X[:, 0] > 0).astype(int)
    mlflow.set_tracking_uri(web_server.url)
    try:
        mlflow.set_experiment(f"web-exp-{uuid.uuid4().hex[:6]}")
        with mlflow.start_run() as run:
            mlflow.log_input(mlflow.data.from_numpy(X, name="train-x"), context="training")
            mlflow.sklearn.log_model(LogisticRegression().fit(X, y), name="model", registered_model_name=name, input_example=X[:2])
    finally:
        mlflow.set_tracking_uri(None)
    severe_entries(driver)
    driver.get(f"{web_server.url}/ui/models/{name}/versions/1")
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-role='signature'] table")))
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-role='input-example']")))
    link = driver.find_element(By.ID, "source-run-link")
    assert link.text == run.info.run_id
    assert "train-x" in driver.find_element(By.CSS_SELECTOR, "[data-role='datasets']").text
    driver.save_screenshot(str(output_dir() / "models-version-signature.png"))
    assert severe_entries(driver) == []

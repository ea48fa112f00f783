"""Issue #9: with authentication on, pages hide the actions the signed-in user may not take. A read-only
user (USE CATALOG on a catalog, CAN_VIEW on an endpoint, CAN_READ on an experiment) sees no create/delete
buttons on the catalog pages, no traffic split editor or "try it" box on the endpoint page and no
rename/delete on a run; an admin sees them all.

The server runs with `--web-root web/` so the pages under test are the files in the tree.
"""
import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from browser_helpers import output_dir

UC = "/api/2.1/unity-catalog"


@pytest.fixture
def secured(secured_server):
    """The shared auth-on server (it serves `web/` from the tree) with a fresh admin and a fresh plain user."""
    ada = secured_server.new_user("ada", admin=True, token=False)
    ana = secured_server.new_user("ana", token=False)
    yield secured_server, ada, ana
    # The endpoint would otherwise stay on the shared server for the rest of the session.
    requests.delete(secured_server.url + "/api/2.0/serving-endpoints/hide-ep", headers=secured_server.root, timeout=30)


def setup_objects(url, ada, ana):
    """A catalog and schema ana may only use, and an endpoint ana may only view."""
    auth = ada.basic
    for path, body in ((f"{UC}/catalogs", {"name": "hidecat"}), (f"{UC}/schemas", {"name": "raw", "catalog_name": "hidecat"})):
        r = requests.post(url + path, json=body, auth=auth, timeout=10)
        assert r.status_code == 200, r.text
    r = requests.patch(url + f"{UC}/permissions/catalog/hidecat", auth=auth, timeout=10,
                       json={"changes": [{"principal": ana.name, "add": ["USE_CATALOG", "USE_SCHEMA"]}]})
    assert r.status_code == 200, r.text
    mlflow = url + "/api/2.0/mlflow"
    requests.post(mlflow + "/registered-models/create", json={"name": "hide-model"}, auth=auth, timeout=10).raise_for_status()
    run = requests.post(mlflow + "/runs/create", json={"experiment_id": "0"}, auth=auth, timeout=10).json()["run"]["info"]
    r = requests.post(mlflow + "/model-versions/create", auth=auth, timeout=10,
                      json={"name": "hide-model", "source": run["artifact_uri"] + "/model", "run_id": run["run_id"]})
    assert r.status_code == 200, r.text
    r = requests.post(url + "/api/2.0/serving-endpoints", auth=auth, timeout=10, json={
        "name": "hide-ep", "config": {"served_entities": [{"entity_name": "hide-model", "entity_version": "1", "workload_size": "Small"}]}})
    assert r.status_code == 200, r.text
    r = requests.patch(url + "/api/2.0/permissions/serving-endpoints/hide-ep", auth=auth, timeout=10,
                       json={"access_control_list": [{"user_name": ana.name, "permission_level": "CAN_VIEW"}]})
    assert r.status_code == 200, r.text
    r = requests.patch(url + "/api/2.0/permissions/experiments/0", auth=auth, timeout=10,
                       json={"access_control_list": [{"user_name": ana.name, "permission_level": "CAN_READ"}]})
    assert r.status_code == 200, r.text
    return run["run_id"]


def sign_in(driver, url, path, user):
    driver.delete_all_cookies()
    driver.get(url + path)
    wait = WebDriverWait(driver, 15)
    wait.until(EC.visibility_of_element_located((By.ID, "login-username"))).send_keys(user.name)
    driver.find_element(By.ID, "login-password").send_keys(user.password)
    driver.find_element(By.ID, "login-submit").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "user-name"), user.name))


def test_read_only_user_sees_no_create_buttons_or_traffic_editor(secured, driver):
    server, ada, ana = secured
    url = server.url
    run_id = setup_objects(url, ada, ana)
    wait = WebDriverWait(driver, 15)

    # Read-only user.
    sign_in(driver, url, "/ui/catalog", ana)
    create = wait.until(EC.presence_of_element_located((By.ID, "create-catalog")))
    assert create.get_attribute("data-hidden-by-permissions") == "true" and not create.is_displayed()
    driver.get(url + "/ui/catalog/hidecat")
    for i in ("create-schema", "delete-catalog"):
        el = wait.until(EC.presence_of_element_located((By.ID, i)))
        wait.until(lambda d, el=el: el.get_attribute("data-hidden-by-permissions") == "true")
        assert not el.is_displayed()
    driver.get(url + "/ui/catalog/hidecat/raw")
    drop = wait.until(EC.presence_of_element_located((By.ID, "delete-schema")))
    wait.until(lambda d: drop.get_attribute("data-hidden-by-permissions") == "true")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".page[data-lacks~='CREATE_TABLE'][data-lacks~='CREATE_VOLUME']")))
    hint = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-role='create-volume-hint']")))
    assert not hint.is_displayed()
    driver.get(url + "/ui/serving/hide-ep")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".page[data-lacks~='CAN_MANAGE'][data-lacks~='CAN_QUERY']")))
    assert driver.find_element(By.CSS_SELECTOR, "[data-role='split-editor']") is not None
    assert not driver.find_element(By.ID, "split-host").is_displayed()
    assert not driver.find_element(By.ID, "save-split").is_displayed()
    assert not driver.find_element(By.ID, "try-send").is_displayed()
    assert not driver.find_element(By.ID, "delete-endpoint").is_displayed()
    driver.save_screenshot(str(output_dir() / "endpoint-read-only.png"))
    driver.get(url + f"/ui/runs/{run_id}")
    for i in ("rename-run", "delete-run"):
        el = wait.until(EC.presence_of_element_located((By.ID, i)))
        wait.until(lambda d, el=el: el.get_attribute("data-hidden-by-permissions") == "true")
        assert not el.is_displayed()

    # Admin: the same pages show everything.
    sign_in(driver, url, "/ui/catalog", ada)
    assert wait.until(EC.visibility_of_element_located((By.ID, "create-catalog")))
    driver.get(url + "/ui/catalog/hidecat")
    for i in ("create-schema", "delete-catalog"):
        assert wait.until(EC.visibility_of_element_located((By.ID, i)))
    driver.get(url + "/ui/catalog/hidecat/raw")
    wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "[data-role='create-volume-hint']")))
    assert driver.find_element(By.ID, "delete-schema").is_displayed()
    driver.get(url + "/ui/serving/hide-ep")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".page[data-lacks='']")))
    for i in ("split-host", "save-split", "try-send", "delete-endpoint"):
        assert wait.until(EC.visibility_of_element_located((By.ID, i)))
    driver.get(url + f"/ui/runs/{run_id}")
    for i in ("rename-run", "delete-run"):
        assert wait.until(EC.visibility_of_element_located((By.ID, i)))
    # The admin's delete works and the page then offers restore.
    driver.find_element(By.ID, "delete-run").click()
    wait.until(EC.alert_is_present()).accept()
    assert wait.until(EC.visibility_of_element_located((By.ID, "restore-run")))
    info = requests.get(url + "/api/2.0/mlflow/runs/get", params={"run_id": run_id}, auth=ada.basic, timeout=10).json()["run"]["info"]
    assert info["lifecycle_stage"] == "deleted"

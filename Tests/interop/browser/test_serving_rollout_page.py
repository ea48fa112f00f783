"""The endpoint page's rollout section: a finished rollout (LightGBM versions, served natively) shows
its state, every step with what was observed, and the history; a running one offers Cancel, which
returns all traffic to the old version."""

import threading
import time
import uuid

import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from browser_helpers import output_dir
from test_serving_pages import API, endpoint, two_versions, unexpected_console_errors, wait, wait_not_updating, web_server  # noqa: F401

ROLLOUT = "/api/2.0/ingot/serving-endpoints/{}/rollout"


def test_rollout_section_shows_steps_history_and_cancels(web_server, driver, two_versions):
    model, _, test = two_versions
    name = f"roll-{uuid.uuid4().hex[:6]}"
    r = requests.post(web_server.url + API, json={"name": name, "config": {"served_entities": [{"entity_name": model, "entity_version": "1"}]}})
    assert r.status_code == 200, r.text
    wait_not_updating(web_server, name)
    body = {"dataframe_split": {"columns": list(test.columns), "data": test.head(1).values.tolist()}}
    stop = threading.Event()

    def load():
        session = requests.Session()
        while not stop.is_set():
            session.post(f"{web_server.url}/serving-endpoints/{name}/invocations", json=body, timeout=10)
            time.sleep(0.005)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    try:
        r = requests.post(web_server.url + ROLLOUT.format(name), json={
            "served_entity": {"entity_version": "2"}, "steps": [50, 100], "bake_seconds": 1, "min_requests": 3, "max_p99_ratio": 100})
        assert r.status_code == 200, r.text
        deadline = time.time() + 60
        while time.time() < deadline and endpoint(web_server, name)["rollout"]["state"] in ("LOADING", "BAKING"):
            time.sleep(0.2)
    finally:
        stop.set()
        thread.join(timeout=15)
    assert endpoint(web_server, name)["rollout"]["state"] == "SUCCEEDED"

    driver.get(f"{web_server.url}/ui/serving/{name}")
    current = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-role='rollout-current']")))
    assert current.find_element(By.CSS_SELECTOR, "[data-status='SUCCEEDED']")
    assert "100% of traffic on the new entity" in current.text
    steps = driver.find_elements(By.CSS_SELECTOR, "table[data-role='rollout-steps'] tbody tr")
    assert len(steps) == 2 and all("passed" in row.text.lower() for row in steps), [row.text for row in steps]
    assert len(driver.find_elements(By.CSS_SELECTOR, "table[data-role='rollout-history'] tbody tr")) == 1
    assert not driver.find_elements(By.CSS_SELECTOR, "[data-role='rollout-cancel']")
    driver.save_screenshot(str(output_dir() / "serving-rollout-succeeded.png"))

    # A long rollout back to version 1: the page offers Cancel; canceling returns all traffic to version 2.
    r = requests.post(web_server.url + ROLLOUT.format(name), json={"served_entity": {"entity_version": "1"}, "steps": [10], "bake_seconds": 600})
    assert r.status_code == 200, r.text
    cancel = wait(driver, 30).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "[data-role='rollout-cancel']")))
    driver.save_screenshot(str(output_dir() / "serving-rollout-running.png"))
    cancel.click()
    driver.switch_to.alert.accept()
    wait(driver, 30).until(EC.presence_of_element_located((By.CSS_SELECTOR, "[data-role='rollout-current'] [data-status='CANCELED']")))
    ep = endpoint(web_server, name)
    assert ep["rollout"]["state"] == "CANCELED" and ep["state"]["config_update"] == "UPDATE_CANCELED"
    assert [r["traffic_percentage"] for r in ep["config"]["traffic_config"]["routes"]] == [100]
    assert len(driver.find_elements(By.CSS_SELECTOR, "table[data-role='rollout-history'] tbody tr")) == 2
    assert not unexpected_console_errors(driver)

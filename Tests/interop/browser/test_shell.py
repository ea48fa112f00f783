"""The web console shell: navigation, home status panel, no console errors."""

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from browser_helpers import output_dir, severe_entries

NAV = ["home", "pipelines", "jobs", "catalog", "sql", "experiments", "models", "serving", "admin"]
LABELS = {
    "home": "Home", "pipelines": "Pipelines", "jobs": "Jobs", "catalog": "Catalog", "sql": "SQL",
    "experiments": "Experiments", "models": "Models", "serving": "Serving", "admin": "Admin",
}


def tracking_available(url):
    """False while the server answers MLflow REST with 404 ENDPOINT_NOT_FOUND (module not built yet)."""
    import requests

    resp = requests.post(url + "/ajax-api/2.0/mlflow/experiments/search", json={"max_results": 1}, timeout=10)
    if resp.status_code != 404:
        return True
    try:
        return resp.json().get("error_code") != "ENDPOINT_NOT_FOUND"
    except ValueError:
        return False


def wait(driver, timeout=15):
    return WebDriverWait(driver, timeout)


def test_home_status_and_navigation(ingot_server, driver):
    import requests

    health = requests.get(ingot_server.url + "/health", timeout=10).json()
    severe_entries(driver)  # drain anything from earlier tests

    driver.get(ingot_server.url + "/")
    # Every nav entry renders with its label.
    for key in NAV:
        link = wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, f'.sidebar a[data-nav="{key}"]')))
        assert link.text.strip() == LABELS[key]
        assert link.is_displayed()
    assert driver.find_element(By.CSS_SELECTOR, "main#content") is not None
    assert "Ingot" in driver.find_element(By.CSS_SELECTOR, ".topbar .brand").text

    # Status panel: status ok and the server's version.
    wait(driver).until(lambda d: d.find_element(By.ID, "status-panel").get_attribute("data-state") != "loading")
    panel = driver.find_element(By.ID, "status-panel")
    assert panel.get_attribute("data-state") == "ok"
    status = panel.find_element(By.CSS_SELECTOR, '[data-stat="status"] .badge')
    assert status.get_attribute("data-status").lower() == "ok"
    version = panel.find_element(By.CSS_SELECTOR, '[data-stat="version"] .stat-value').text
    assert version == health["version"]
    wait(driver).until(lambda d: health["version"] in d.find_element(By.ID, "server-version").text)
    for store in health.get("stores", {}):
        assert panel.find_element(By.CSS_SELECTOR, f'tr[data-store="{store}"]')
    # One card per module.
    cards = driver.find_elements(By.CSS_SELECTOR, "#module-cards a.module-card")
    assert len(cards) == len(NAV) - 1

    output = output_dir()
    driver.save_screenshot(str(output / "home.png"))

    # Click through every nav entry: the URL, the active entry and the page change, no reload.
    driver.execute_script("window.__shellMarker = 42;")
    for key in NAV:
        driver.find_element(By.CSS_SELECTOR, f'.sidebar a[data-nav="{key}"]').click()
        wait(driver).until(lambda d: d.find_element(By.CSS_SELECTOR, f'.sidebar a[data-nav="{key}"]').get_attribute("aria-current") == "page")
        wait(driver).until(lambda d: d.current_url.rstrip("/").endswith(f"/ui/{key}"))
        wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#view h1")))
        heading = driver.find_element(By.CSS_SELECTOR, "#view h1").text
        assert heading, f"{key} page has no heading"
        if key not in ("home", "pipelines", "jobs", "catalog", "sql", "experiments", "models", "serving", "admin"):
            text = driver.find_element(By.ID, "view").text
            assert "not available in this build yet" in text
        assert driver.execute_script("return window.__shellMarker") == 42, "navigation reloaded the page"

    # Back button goes through history without a reload.
    driver.back()
    wait(driver).until(lambda d: d.current_url.rstrip("/").endswith("/ui/serving"))

    # Unknown routes get a friendly not-found view.
    driver.get(ingot_server.url + "/ui/definitely-not-a-page")
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, '[data-view="not-found"]')))

    errors = severe_entries(driver)
    if not tracking_available(ingot_server.url):
        # The Experiments page asks the tracking API, which answers 404 until that module lands; Chromium logs
        # the 404 itself. Only that network entry is tolerated, and only while the API is missing.
        errors = [e for e in errors if not (e.get("source") == "network" and "/ajax-api/2.0/mlflow/" in e.get("message", ""))]
    assert errors == [], f"browser console errors: {errors}"

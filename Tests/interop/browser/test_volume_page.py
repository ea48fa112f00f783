"""The volume browser: a schema page links its volumes; the volume page lists files and directories,
opens a directory, uploads a file through the Files API, links downloads and deletes a file."""

import io
import uuid

import requests
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from browser_helpers import output_dir, severe_entries

UC = "/api/2.1/unity-catalog"


def wait(driver, timeout=15):
    return WebDriverWait(driver, timeout, ignored_exceptions=[StaleElementReferenceException, NoSuchElementException])


def names(driver):
    return sorted(a.get_attribute("data-file") or a.get_attribute("data-dir") + "/"
                  for a in driver.find_elements(By.CSS_SELECTOR, ".uc-main a[data-file], .uc-main a[data-dir]"))


def test_volume_browser(ingot_server, driver, tmp_path):
    url = ingot_server.url
    schema = "volweb_" + uuid.uuid4().hex[:6]
    requests.post(url + UC + "/schemas", json={"name": schema, "catalog_name": "main"}, timeout=10).raise_for_status()
    requests.post(url + UC + "/volumes", json={"catalog_name": "main", "schema_name": schema, "name": "files"}, timeout=10).raise_for_status()
    base = f"{url}/api/2.0/fs/files/Volumes/main/{schema}/files"
    requests.put(base + "/a.csv", data=b"id\n1\n", timeout=10).raise_for_status()
    requests.put(base + "/sub/b.txt", data=b"bee", timeout=10).raise_for_status()
    severe_entries(driver)

    driver.get(f"{url}/ui/catalog/main/{schema}")
    wait(driver).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#schema-volumes a[data-volume='files']"))).click()
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".uc-main a[data-file='a.csv']")))
    assert names(driver) == ["a.csv", "sub/"]
    assert driver.find_element(By.CSS_SELECTOR, "a[data-file='a.csv']").get_attribute("href").endswith(f"/api/2.0/fs/files/Volumes/main/{schema}/files/a.csv")

    driver.find_element(By.CSS_SELECTOR, "a[data-dir='sub']").click()
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".uc-main a[data-file='b.txt']")))
    assert "path=sub" in driver.current_url

    # Upload into the directory through the hidden file input.
    local = tmp_path / "up.txt"
    local.write_text("uploaded from the browser")
    driver.find_element(By.ID, "volume-upload-input").send_keys(str(local))
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".uc-main a[data-file='up.txt']")))
    assert requests.get(base + "/sub/up.txt", timeout=10).text == "uploaded from the browser"
    driver.save_screenshot(str(output_dir() / "volume-browser.png"))

    # Delete after confirming.
    driver.find_element(By.CSS_SELECTOR, "button[data-delete='b.txt']").click()
    confirm = wait(driver).until(EC.element_to_be_clickable((By.CSS_SELECTOR, ".modal button.danger, .modal .btn.danger")))
    confirm.click()
    wait(driver).until(lambda d: names(d) == ["up.txt"])
    assert requests.head(base + "/sub/b.txt", timeout=10).status_code == 404
    assert not severe_entries(driver)

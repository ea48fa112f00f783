"""The header search box opens the results page (ranked, linking to the objects' pages), and the
table page's Quality tab shows the score, health, profile and trends of a monitored table."""

import uuid

import requests
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from browser_helpers import output_dir, severe_entries

UC = "/api/2.1/unity-catalog"


def wait(driver, timeout=15):
    return WebDriverWait(driver, timeout, ignored_exceptions=[StaleElementReferenceException, NoSuchElementException])


def sql(url, statement):
    r = requests.post(url + "/api/2.0/sql/statements", json={"statement": statement, "wait_timeout": "30s"}, timeout=60)
    assert r.status_code == 200 and r.json()["status"]["state"] == "SUCCEEDED", r.text


def test_search_page_and_quality_tab(ingot_server, driver):
    url = ingot_server.url
    schema = "srchweb_" + uuid.uuid4().hex[:6]
    word = "zebra" + uuid.uuid4().hex[:5]
    requests.post(url + UC + "/schemas", json={"name": schema, "catalog_name": "main"}, timeout=10).raise_for_status()
    sql(url, f"CREATE TABLE main.{schema}.{word} (id BIGINT, code_{word} STRING)")
    sql(url, f"INSERT INTO main.{schema}.{word} VALUES (1, 'a'), (2, NULL)")
    sql(url, f"CREATE TABLE main.{schema}.{word}_archive (id BIGINT)")
    severe_entries(driver)

    driver.get(f"{url}/ui/home")
    box = wait(driver).until(EC.element_to_be_clickable((By.ID, "global-search-input")))
    box.send_keys(word, Keys.ENTER)
    wait(driver).until(lambda d: "/ui/search" in d.current_url and d.find_elements(By.CSS_SELECTOR, "#search-results .search-result"))
    results = driver.find_elements(By.CSS_SELECTOR, "#search-results .search-result")
    got = [(r.get_attribute("data-type"), r.get_attribute("data-name")) for r in results]
    # Exact name first, then the prefix match (table), then the column (a word of its name).
    assert got[0] == ("table", f"main.{schema}.{word}"), got
    assert got[1] == ("table", f"main.{schema}.{word}_archive"), got
    assert got[2] == ("column", f"main.{schema}.{word}.code_{word}"), got
    assert driver.find_element(By.ID, "search-page-input").get_attribute("value") == word
    driver.save_screenshot(str(output_dir() / "search-results.png"))

    # Only columns.
    from selenium.webdriver.support.ui import Select
    Select(driver.find_element(By.ID, "search-type")).select_by_value("column")
    wait(driver).until(lambda d: "types=column" in d.current_url)
    wait(driver).until(lambda d: [r.get_attribute("data-type") for r in d.find_elements(By.CSS_SELECTOR, "#search-results .search-result")] == ["column"])

    # The first result links to the table page; its Quality tab offers a monitor, then shows the profile.
    driver.get(f"{url}/ui/search?q={word}")
    wait(driver).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#search-results .search-result a.search-title"))).click()
    wait(driver).until(lambda d: d.current_url.endswith(f"/ui/catalog/main/{schema}/{word}"))
    wait(driver).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "[data-tab='quality']"))).click()
    wait(driver).until(EC.element_to_be_clickable((By.ID, "quality-create"))).click()
    wait(driver).until(EC.presence_of_element_located((By.ID, "quality-score")))
    assert driver.find_element(By.ID, "quality-health").text.strip().lower() == "healthy"
    profile = wait(driver).until(EC.presence_of_element_located((By.ID, "quality-profile"))).text
    assert f"code_{word}" in profile and "50.0 %" in profile, profile
    assert driver.find_elements(By.CSS_SELECTOR, "#quality-trends svg.chart")
    driver.save_screenshot(str(output_dir() / "quality-tab.png"))
    assert severe_entries(driver) == []

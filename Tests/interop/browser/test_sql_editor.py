"""SQL editor: run a query (Ctrl+Enter, default catalog/schema from the pickers), the result grid with
its rows and numeric alignment, paging across result chunks, CSV download of the full result, the
error panel for a failing statement, query history (click loads into the editor), `?q=` prefill,
Tab indentation, and cancelling a long query.

Drives the statement-execution API (`/api/2.0/sql/statements`). Runs its own server with
`--web-root web/` so the page under test is the file in the tree.
"""

import csv
import time
import urllib.parse

import pytest
import requests
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

import browser_helpers
from browser_helpers import ingest, output_dir, severe_entries

STATEMENTS = "/api/2.0/sql/statements"
ROWS = 25_000  # more than two 10,000-row result chunks
SLOW = "SELECT COUNT(*) FROM main.default.t a CROSS JOIN main.default.t b CROSS JOIN main.default.t c"


@pytest.fixture(scope="module")
def web_server():
    yield from browser_helpers.web_server("sql-web")


@pytest.fixture(scope="module")
def data(web_server, tmp_path_factory):
    """main.default.sq (25,000 rows) and main.default.t (3,000 rows, for the slow cross join)."""
    tmp = tmp_path_factory.mktemp("sql")
    with open(tmp / "sq.csv", "w") as f:
        f.write("id,name,amount\n")
        for i in range(ROWS):
            f.write(f"{i},n-{i},{i * 0.5}\n")
    ingest(web_server, tmp / "sq.csv", "main.default.sq")
    with open(tmp / "t.csv", "w") as f:
        f.write("x\n" + "".join(f"{i}\n" for i in range(3000)))
    ingest(web_server, tmp / "t.csv", "main.default.t")
    return web_server


def wait(driver, timeout=30):
    return WebDriverWait(driver, timeout, ignored_exceptions=[StaleElementReferenceException, NoSuchElementException])


def open_editor(driver, url, path="/ui/sql"):
    driver.get(url + path)
    editor = wait(driver).until(EC.visibility_of_element_located((By.ID, "sql-editor")))
    # The pickers are filled from the catalog API.
    wait(driver).until(lambda d: Select(d.find_element(By.ID, "sql-catalog")).first_selected_option.get_attribute("value") == "main")
    wait(driver).until(lambda d: Select(d.find_element(By.ID, "sql-schema")).first_selected_option.get_attribute("value") == "default")
    return editor


def type_statement(driver, editor, text):
    editor.clear()
    editor.send_keys(text)
    assert editor.get_attribute("value") == text


def state(driver):
    return driver.find_element(By.ID, "sql-state").get_attribute("data-state")


def wait_state(driver, *states, timeout=60):
    wait(driver, timeout).until(lambda d: state(d) in states)
    return state(driver)


def grid_rows(driver):
    return [[td.text for td in tr.find_elements(By.TAG_NAME, "td")]
            for tr in driver.find_elements(By.CSS_SELECTOR, "[data-role='result-grid'] tbody tr[data-row]")]


def test_query_grid_paging_and_csv(data, driver, tmp_path):
    severe_entries(driver)
    editor = open_editor(driver, data.url)
    # Unqualified table name: resolved through the catalog/schema pickers. Ctrl+Enter runs.
    type_statement(driver, editor, "SELECT id, name, amount FROM sq ORDER BY id")
    editor.send_keys(Keys.CONTROL, Keys.ENTER)
    assert wait_state(driver, "SUCCEEDED", "FAILED") == "SUCCEEDED", driver.find_element(By.ID, "sql-error").text
    assert driver.find_element(By.ID, "sql-rowcount").get_attribute("data-rows") == str(ROWS)
    assert driver.find_element(By.ID, "sql-rowcount").text == "25,000 rows"
    assert driver.find_element(By.ID, "sql-elapsed").text != ""
    assert not driver.find_element(By.ID, "sql-error").is_displayed()

    # Grid: the columns, right-aligned numbers, the first page's rows.
    wait(driver).until(lambda d: len(grid_rows(d)) == 100)
    heads = driver.find_elements(By.CSS_SELECTOR, "[data-role='result-grid'] thead th[data-column]")
    assert [th.get_attribute("data-column") for th in heads] == ["id", "name", "amount"]
    assert "num" in heads[0].get_attribute("class").split()
    assert "num" not in (heads[1].get_attribute("class") or "").split()
    assert "num" in heads[2].get_attribute("class").split()
    rows = grid_rows(driver)
    assert rows[0][:3] == ["1", "0", "n-0"] and float(rows[0][3]) == 0.0
    assert rows[99][:3] == ["100", "99", "n-99"] and float(rows[99][3]) == 49.5
    assert driver.find_element(By.ID, "sql-range").text == "Rows 1–100 of 25,000"
    driver.save_screenshot(str(output_dir() / "sql-result.png"))

    # Paging: next page, then the last page (its rows live in the third result chunk).
    driver.find_element(By.CSS_SELECTOR, "[data-role='result-pager'] [data-action='next']").click()
    wait(driver).until(lambda d: d.find_element(By.ID, "sql-range").text == "Rows 101–200 of 25,000")
    wait(driver).until(lambda d: grid_rows(d)[0][1] == "100")
    wait(driver).until(lambda d: not d.find_element(By.CSS_SELECTOR, "[data-role='result-pager'] [data-action='last']").get_attribute("disabled"))
    driver.find_element(By.CSS_SELECTOR, "[data-role='result-pager'] [data-action='last']").click()
    wait(driver).until(lambda d: d.find_element(By.ID, "sql-range").text == "Rows 24,901–25,000 of 25,000")
    wait(driver).until(lambda d: grid_rows(d) and grid_rows(d)[-1][1] == str(ROWS - 1))
    assert grid_rows(driver)[0][1] == "24900"
    # A bigger page size keeps the first row in view.
    Select(driver.find_element(By.ID, "sql-page-size")).select_by_value("1000")
    wait(driver).until(lambda d: d.find_element(By.ID, "sql-range").text == "Rows 24,001–25,000 of 25,000")
    driver.save_screenshot(str(output_dir() / "sql-last-page.png"))

    # CSV download of the whole result.
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    driver.find_element(By.ID, "sql-download").click()
    deadline = time.time() + 30
    files = []
    while time.time() < deadline:
        files = [p for p in tmp_path.glob("*.csv")]
        if files and not list(tmp_path.glob("*.crdownload")):
            break
        time.sleep(0.2)
    assert len(files) == 1, list(tmp_path.iterdir())
    with open(files[0], newline="") as f:
        got = list(csv.reader(f))
    assert got[0] == ["id", "name", "amount"]
    assert len(got) == ROWS + 1
    assert got[1][:2] == ["0", "n-0"] and got[-1][:2] == [str(ROWS - 1), f"n-{ROWS - 1}"]
    assert severe_entries(driver) == []


def test_error_panel_history_and_editor(data, driver):
    severe_entries(driver)
    editor = open_editor(driver, data.url)
    type_statement(driver, editor, "SELECT COUNT(*) AS n FROM main.default.sq")
    driver.find_element(By.ID, "sql-run").click()
    assert wait_state(driver, "SUCCEEDED", "FAILED") == "SUCCEEDED"
    wait(driver).until(lambda d: grid_rows(d) == [["1", str(ROWS)]])

    # A failing statement: FAILED state and the error panel with the engine's message; no grid.
    type_statement(driver, editor, "SELECT nope FROM main.default.sq")
    driver.find_element(By.ID, "sql-run").click()
    assert wait_state(driver, "SUCCEEDED", "FAILED") == "FAILED"
    panel = wait(driver).until(EC.visibility_of_element_located((By.ID, "sql-error")))
    assert "nope" in panel.text
    assert not driver.find_elements(By.CSS_SELECTOR, "[data-role='result-grid']")
    assert driver.find_element(By.ID, "sql-run").is_enabled()
    assert not driver.find_element(By.ID, "sql-cancel").is_enabled()
    driver.save_screenshot(str(output_dir() / "sql-error.png"))

    # History lists both, newest first; clicking one loads it into the editor.
    first = "#sql-history li:first-child [data-statement-id]"
    wait(driver).until(lambda d: "SELECT nope" in d.find_element(By.CSS_SELECTOR, first).text)
    items = driver.find_elements(By.CSS_SELECTOR, "#sql-history [data-statement-id]")
    assert items[0].get_attribute("data-state") == "FAILED"
    assert "nope" in items[0].find_element(By.CSS_SELECTOR, ".sql-history-error").text
    ok = next(i for i in items if "COUNT(*) AS n" in i.text)
    assert ok.get_attribute("data-state") == "SUCCEEDED"
    ok.click()
    assert editor.get_attribute("value") == "SELECT COUNT(*) AS n FROM main.default.sq"

    # Tab inserts spaces instead of leaving the editor.
    type_statement(driver, editor, "SELECT")
    editor.send_keys(Keys.TAB, "1")
    assert editor.get_attribute("value") == "SELECT  1"
    assert driver.switch_to.active_element.get_attribute("id") == "sql-editor"

    # ?q= (the table page's "Query this table") prefills the editor.
    q = "SELECT * FROM main.default.sq LIMIT 100"
    editor = open_editor(driver, data.url, "/ui/sql?q=" + urllib.parse.quote(q))
    assert editor.get_attribute("value") == q
    driver.find_element(By.ID, "sql-run").click()
    assert wait_state(driver, "SUCCEEDED", "FAILED") == "SUCCEEDED"
    assert driver.find_element(By.ID, "sql-rowcount").get_attribute("data-rows") == "100"
    assert severe_entries(driver) == []


def test_cancel_long_query(data, driver):
    severe_entries(driver)
    editor = open_editor(driver, data.url)
    type_statement(driver, editor, SLOW)
    driver.find_element(By.ID, "sql-run").click()
    wait(driver).until(lambda d: state(d) in ("PENDING", "RUNNING") and d.find_element(By.ID, "sql-results").get_attribute("data-statement-id"))
    statement_id = driver.find_element(By.ID, "sql-results").get_attribute("data-statement-id")
    assert not driver.find_element(By.ID, "sql-run").is_enabled()
    time.sleep(1.0)
    assert state(driver) in ("PENDING", "RUNNING"), "the slow query finished before it could be cancelled"
    driver.find_element(By.ID, "sql-cancel").click()
    assert wait_state(driver, "CANCELED", "SUCCEEDED", "FAILED") == "CANCELED"
    assert driver.find_elements(By.CSS_SELECTOR, "#sql-results [data-role='canceled']")
    assert driver.find_element(By.ID, "sql-run").is_enabled()
    r = requests.get(f"{data.url}{STATEMENTS}/{statement_id}", timeout=10).json()
    assert r["status"]["state"] == "CANCELED"
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, f"#sql-history [data-statement-id='{statement_id}'][data-state='CANCELED']"))
    driver.save_screenshot(str(output_dir() / "sql-canceled.png"))
    assert severe_entries(driver) == []

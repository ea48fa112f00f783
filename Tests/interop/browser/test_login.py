"""Sign-in page with authentication on: log in, see the user, admin-only sections, sign out."""
import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

from browser_helpers import output_dir
from ingot_harness import unique


@pytest.fixture
def secured(secured_server):
    """The shared auth-on server with two fresh users (unique names): an admin and a plain user."""
    ada = secured_server.new_user("ada", admin=True, token=False)
    ana = secured_server.new_user("ana", token=False)
    return secured_server, ada, ana


def sign_in(driver, user):
    wait = WebDriverWait(driver, 15)
    wait.until(EC.visibility_of_element_located((By.ID, "login-username"))).send_keys(user.name)
    driver.find_element(By.ID, "login-password").send_keys(user.password)
    driver.find_element(By.ID, "login-submit").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "user-name"), user.name))
    assert not driver.find_elements(By.ID, "login")


def sign_out(driver):
    driver.find_element(By.ID, "sign-out").click()
    WebDriverWait(driver, 15).until(EC.visibility_of_element_located((By.ID, "login-username")))
    assert driver.find_element(By.ID, "user-chip").text == ""


def test_login_admin_page_and_logout(secured, driver):
    secured, ada, ana = secured
    wait = WebDriverWait(driver, 15)
    # The shell loads without credentials; its first API call answers 401 and the sign-in form shows.
    driver.get(secured.url + "/ui/admin")
    wait.until(EC.visibility_of_element_located((By.ID, "login-username")))
    driver.save_screenshot(str(output_dir() / "login.png"))
    driver.find_element(By.ID, "login-username").send_keys(ada.name)
    driver.find_element(By.ID, "login-password").send_keys("wrong")
    driver.find_element(By.ID, "login-submit").click()
    wait.until(EC.text_to_be_present_in_element((By.ID, "login-error"), "Wrong user name or password"))
    driver.find_element(By.ID, "login-username").clear()
    sign_in(driver, ada)
    cookie = driver.get_cookie("ingot_session")
    assert cookie and cookie["httpOnly"] and cookie["sameSite"] == "Strict"

    # An admin sees users (with the other user) and groups, and creates a token (a CSRF-protected POST).
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f"#admin-users tr[data-user='{ana.name}']")))
    assert driver.find_elements(By.ID, "admin-groups")
    group = unique("analysts")
    driver.find_element(By.ID, "group-name-input").send_keys(group)
    driver.find_element(By.ID, "group-create").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f"#admin-groups tr[data-group='{group}']")))
    driver.find_element(By.ID, "token-comment").send_keys("from the browser")
    driver.find_element(By.ID, "token-create").click()
    value = wait.until(EC.visibility_of_element_located((By.ID, "token-value"))).text
    assert value.startswith("ingot_")
    driver.save_screenshot(str(output_dir() / "admin-page.png"))
    assert requests.get(secured.url + "/api/2.0/ingot/me", headers={"Authorization": f"Bearer {value}"}, timeout=5).json()["user_name"] == ada.name

    sign_out(driver)
    # The old session is dead server-side.
    assert requests.get(secured.url + "/api/2.0/ingot/me", cookies={"ingot_session": cookie["value"]}, timeout=5).status_code == 401

    # A non-admin sees their tokens but not the admin-only sections.
    sign_in(driver, ana)
    wait.until(EC.presence_of_element_located((By.ID, "token-create")))
    assert not driver.find_elements(By.ID, "admin-users") and not driver.find_elements(By.ID, "admin-groups")
    sign_out(driver)


def test_non_admin_sees_only_permitted_experiments_and_signs_out(secured, driver):
    """An admin grants through the permissions editor; the user sees only that experiment, its
    permissions read-only, no delete button on a model it may only read; sign-out ends the session."""
    secured, ada, ana = secured
    wait = WebDriverWait(driver, 15)
    api = secured.url + "/api/2.0/mlflow"
    granted = requests.post(api + "/experiments/create", json={"name": "granted-exp"}, auth=ada.basic, timeout=10).json()["experiment_id"]
    requests.post(api + "/experiments/create", json={"name": "hidden-exp"}, auth=ada.basic, timeout=10).raise_for_status()
    requests.post(api + "/registered-models/create", json={"name": "read-only-model"}, auth=ada.basic, timeout=10).raise_for_status()
    r = requests.patch(secured.url + "/api/2.0/permissions/registered-models/read-only-model", auth=ada.basic, timeout=10,
                       json={"access_control_list": [{"user_name": ana.name, "permission_level": "CAN_READ"}]})
    assert r.status_code == 200, r.text

    # The admin grants CAN_READ on one experiment from the admin page's permissions editor.
    driver.delete_all_cookies()
    driver.get(secured.url + f"/ui/admin?perm_type=experiments&perm_id={granted}")
    sign_in(driver, ada)
    editor = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f"#admin-permissions #permissions-editor[data-target='experiments/{granted}']")))
    wait.until(lambda d: editor.find_elements(By.ID, "perm-grant"))
    editor.find_element(By.ID, "perm-principal").send_keys(ana.name)
    Select(editor.find_element(By.ID, "perm-level")).select_by_value("CAN_READ")
    editor.find_element(By.ID, "perm-grant").click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f"#permissions-editor tr[data-principal='{ana.name}'][data-level='CAN_READ']")))
    driver.save_screenshot(str(output_dir() / "admin-permissions.png"))
    sign_out(driver)

    # The user sees the granted experiment and not the other.
    driver.get(secured.url + "/ui/experiments")
    sign_in(driver, ana)
    wait.until(EC.presence_of_element_located((By.XPATH, "//a[contains(@class,'exp-link') and text()='granted-exp']")))
    names = {a.text for a in driver.find_elements(By.CSS_SELECTOR, "a.exp-link")}
    assert "granted-exp" in names and "hidden-exp" not in names, names
    driver.save_screenshot(str(output_dir() / "experiments-as-user.png"))
    # Its permissions are visible read-only (CAN_READ cannot change them).
    driver.find_element(By.XPATH, "//a[contains(@class,'exp-link') and text()='granted-exp']").click()
    wait.until(EC.element_to_be_clickable((By.ID, "open-permissions"))).click()
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, f"dialog #permissions-editor tr[data-principal='{ana.name}'][data-level='CAN_READ']")))
    dialog = driver.find_element(By.CSS_SELECTOR, "dialog")
    assert not dialog.find_elements(By.ID, "perm-grant") and not dialog.find_elements(By.CSS_SELECTOR, "[data-action='revoke']")
    dialog.find_element(By.XPATH, ".//button[text()='Close']").click()
    # A model it may only read shows no delete button (and the server would refuse it anyway).
    driver.get(secured.url + "/ui/models/read-only-model")
    delete = wait.until(EC.presence_of_element_located((By.ID, "delete-model")))
    wait.until(lambda d: delete.get_attribute("data-hidden-by-permissions") == "true")
    assert not delete.is_displayed()
    assert not any(b.is_displayed() for b in driver.find_elements(By.CSS_SELECTOR, "[data-action='edit-description']"))

    cookie = driver.get_cookie("ingot_session")["value"]
    sign_out(driver)
    # The session is gone: API calls with the old cookie answer 401, and the sign-in page shows.
    assert requests.get(secured.url + "/api/2.0/ingot/me", cookies={"ingot_session": cookie}, timeout=5).status_code == 401
    assert requests.post(api + "/experiments/search", json={}, cookies={"ingot_session": cookie}, timeout=5).status_code == 401
    driver.get(secured.url + "/ui/experiments")
    wait.until(EC.visibility_of_element_located((By.ID, "login-username")))
    assert not driver.find_elements(By.CSS_SELECTOR, "a.exp-link")

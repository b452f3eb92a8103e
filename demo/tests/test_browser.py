"""End to end: a real headless Chromium signs in to the demo and sees the newsfeed.

Selenium drives Debian's ``chromium`` through its ``chromium-driver``: signing in means typing
into the form and submitting it, which a one-shot ``chromium --dump-dom`` cannot do. Selenium is
given both binaries, so it never looks for (or downloads) a browser of its own.
"""

from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from demo import feed
from demo.tests import events

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

pytestmark = [
    pytest.mark.entity_sync,
    pytest.mark.skipif(
        not (CHROMIUM.exists() and CHROMEDRIVER.exists()),
        reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
    ),
]


@pytest.fixture
def browser(tmp_path):
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1200,900",
    ):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_an_employee_signs_in_and_sees_the_newsfeed(live_server, company, browser, tmp_path):
    events.announcement(company, "Welcome to the demo", minutes_ago=2)
    events.photo(company, company["users"]["carol"], [company["users"]["alice"]], "Team lunch")
    events.photo(company, company["users"]["carol"], [company["users"]["bob"]], "Sales kick-off")

    browser.get(f"{live_server.url}/")
    assert "/accounts/login/" in browser.current_url
    browser.find_element(By.NAME, "username").send_keys("alice")
    browser.find_element(By.NAME, "password").send_keys("demo")
    browser.find_element(By.ID, "sign-in").click()

    feed = WebDriverWait(browser, 20).until(expected_conditions.presence_of_element_located((By.ID, "feed")))
    browser.save_screenshot(str(tmp_path / "feed.png"))
    assert browser.current_url == f"{live_server.url}/"
    assert "Newsfeed of Alice Martin" in browser.find_element(By.TAG_NAME, "h1").text
    cards = feed.find_elements(By.CSS_SELECTOR, "article.unseen")
    assert [("Team lunch" in card.text, "Welcome to the demo" in card.text) for card in cards] == [
        (True, False),
        (False, True),
    ]
    assert "Sales kick-off" not in feed.text
    assert browser.find_element(By.ID, "unseen-count").text == "2"


def sign_in(browser, live_server, username: str) -> None:
    browser.get(f"{live_server.url}/accounts/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys("demo")
    browser.find_element(By.ID, "sign-in").click()
    WebDriverWait(browser, 20).until(expected_conditions.presence_of_element_located((By.ID, "feed")))


def test_comments_on_a_photo_show_as_one_entry_in_the_feed_and_the_notification_bar(
    live_server, company, browser
):
    users = company["users"]
    for author in ("alice", "bob", "dave"):
        events.reaction(company, "comment", users[author], users["carol"], "Team lunch", "Nice!")
    sign_in(browser, live_server, "heidi")

    cards = browser.find_elements(By.CSS_SELECTOR, "#feed article.unseen")
    bar = browser.find_element(By.ID, "notification-bar")

    expected = "Dave Okafor and 2 others commented on Carol Nguyen’s photo “Team lunch”"
    assert [card.text.splitlines()[0] for card in cards] == [expected]
    assert "and 2 others" in bar.text


def test_bobs_badge_rises_without_a_reload_when_alice_posts(live_server, company, browser):
    alice, bob = company["users"]["alice"], company["users"]["bob"]
    events.photo(company, carol := company["users"]["carol"], [bob], "Sales kick-off")
    sign_in(browser, live_server, "bob")
    badge = browser.find_element(By.ID, "unseen-count")
    assert badge.text == "1"
    browser.execute_script("window.sameDocument = true;")  # gone if the page reloads

    events.photo(company, alice, [bob, carol], "Team lunch")

    WebDriverWait(browser, 20).until(
        expected_conditions.text_to_be_present_in_element((By.ID, "unseen-count"), "2")
    )
    assert browser.execute_script("return window.sameDocument === true;")
    assert browser.find_element(By.ID, "unseen-count").text == "2"


def test_bobs_badge_hides_without_a_reload_when_his_feed_is_read_elsewhere(live_server, company, browser):
    bob = company["users"]["bob"]
    events.photo(company, company["users"]["carol"], [bob], "Sales kick-off")
    sign_in(browser, live_server, "bob")
    badge = browser.find_element(By.ID, "unseen-count")
    assert badge.is_displayed() and badge.text == "1"

    feed.mark_seen(bob)  # say, in another tab

    WebDriverWait(browser, 20).until(expected_conditions.invisibility_of_element(badge))


def test_on_a_phone_a_long_word_and_the_top_bar_fit_the_screen(live_server, company, browser):
    events.announcement(company, "Word" * 125)
    phone = {"width": 390, "height": 800, "deviceScaleFactor": 1, "mobile": True}
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", phone)  # windows are 500 px at least
    sign_in(browser, live_server, "alice")
    width = browser.execute_script("return document.documentElement.clientWidth;")

    assert width == 390 and browser.execute_script("return document.documentElement.scrollWidth;") == width
    boxes = "nav a, nav button, #notification-bar button, #feed article"
    for element in browser.find_elements(By.CSS_SELECTOR, boxes):
        assert element.rect["x"] + element.rect["width"] <= width, element.text

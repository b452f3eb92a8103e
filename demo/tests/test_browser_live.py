"""End to end, live: the demo served under uvicorn (as ``make demo`` serves it), Bob's badge and
notification bar in a real headless Chromium follow the live streams, with polling disabled."""

import socket
import threading
import time

import pytest
import uvicorn
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from demo import feed
from demo.tests import events
from demo.tests.test_browser import browser, pytestmark  # noqa: F401 - the fixture and the skips

#: Run before the page's own scripts: polling would start an interval; record it instead.
NO_POLLING = "window.setInterval = function () { window.polled = true; };"


@pytest.fixture
def asgi_server(transactional_db):
    """The project's ASGI application under uvicorn, in a thread, on a free port of loopback."""
    from asgi import application

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning")
    config.timeout_graceful_shutdown = 1
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    assert not thread.is_alive()


def sign_in_without_polling(browser, server: str, username: str) -> None:  # noqa: F811
    """``username`` signed in on the newsfeed, the page's polling disabled."""
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NO_POLLING})
    browser.get(f"{server}/accounts/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys("demo")
    browser.find_element(By.ID, "sign-in").click()
    WebDriverWait(browser, 20).until(expected_conditions.presence_of_element_located((By.ID, "feed")))


def wait_for_stream(browser, element_id: str) -> None:  # noqa: F811
    """Wait until the stream the page opened for ``element_id`` serves: a second one opened after
    it has sent its first count."""
    browser.execute_script(
        f"window.heard = false; new EventSource(document.getElementById('{element_id}').dataset.stream)"
        ".addEventListener('unseen-count', function () { window.heard = true; });"
    )
    WebDriverWait(browser, 20).until(lambda driver: driver.execute_script("return window.heard;"))


def test_bobs_badge_rises_within_a_second_of_alices_post_with_polling_disabled(asgi_server, company, browser):  # noqa: F811
    alice, bob, carol = (company["users"][name] for name in ("alice", "bob", "carol"))
    events.photo(company, carol, [bob], "Sales kick-off")
    sign_in_without_polling(browser, asgi_server, "bob")
    assert browser.find_element(By.ID, "unseen-count").text == "1"
    wait_for_stream(browser, "unseen-count")

    events.photo(company, alice, [bob, carol], "Team lunch")

    WebDriverWait(browser, 1).until(
        expected_conditions.text_to_be_present_in_element((By.ID, "unseen-count"), "2")
    )
    assert not browser.execute_script("return window.polled === true;")


def test_bobs_bar_shows_an_announcement_and_hides_once_dismissed_elsewhere(asgi_server, company, browser):  # noqa: F811
    sign_in_without_polling(browser, asgi_server, "bob")
    assert browser.find_elements(By.ID, "notification-bar") == []
    wait_for_stream(browser, "notification-slot")

    events.announcement(company, "Fire drill at 3")

    WebDriverWait(browser, 5).until(
        expected_conditions.text_to_be_present_in_element((By.ID, "notification-bar"), "Fire drill at 3")
    )
    feed.mark_seen(company["users"]["bob"], medium_name=feed.NOTIFICATION_BAR)  # dismissed in another tab
    WebDriverWait(browser, 5).until(lambda driver: driver.find_elements(By.ID, "notification-bar") == [])
    assert not browser.execute_script("return window.polled === true;")

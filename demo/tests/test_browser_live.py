"""End to end, live: the demo served under uvicorn (as ``make demo`` serves it), Bob's badge in a
real headless Chromium follows the live stream, with polling disabled."""

import socket
import threading
import time

import pytest
import uvicorn
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

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


def test_bobs_badge_rises_within_a_second_of_alices_post_with_polling_disabled(asgi_server, company, browser):  # noqa: F811
    alice, bob, carol = (company["users"][name] for name in ("alice", "bob", "carol"))
    events.photo(company, carol, [bob], "Sales kick-off")
    browser.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NO_POLLING})
    browser.get(f"{asgi_server}/accounts/login/")
    browser.find_element(By.NAME, "username").send_keys("bob")
    browser.find_element(By.NAME, "password").send_keys("demo")
    browser.find_element(By.ID, "sign-in").click()
    WebDriverWait(browser, 20).until(expected_conditions.presence_of_element_located((By.ID, "feed")))
    assert browser.find_element(By.ID, "unseen-count").text == "1"
    # The stream is open once it has sent the count (the same 1): wait for its first message.
    browser.execute_script(
        "window.heard = false; new EventSource(document.getElementById('unseen-count').dataset.stream)"
        ".addEventListener('unseen-count', function () { window.heard = true; });"
    )
    WebDriverWait(browser, 20).until(lambda driver: driver.execute_script("return window.heard;"))

    events.photo(company, alice, [bob, carol], "Team lunch")

    WebDriverWait(browser, 1).until(
        expected_conditions.text_to_be_present_in_element((By.ID, "unseen-count"), "2")
    )
    assert not browser.execute_script("return window.polled === true;")

"""End to end in Chromium: notification settings stop a source at once, an email's unsubscribe link works.

It reuses the browser of :mod:`demo.tests.test_browser` and its skip when Chromium is missing.
"""

from django.core import mail
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

from demo.emails import send_event_emails
from demo.tests import events, test_browser

pytestmark = test_browser.pytestmark
browser = test_browser.browser


def wait_for(browser, by: str, value: str):
    return WebDriverWait(browser, 20).until(expected_conditions.presence_of_element_located((by, value)))


def sign_in(browser, live_server, username: str) -> None:
    browser.get(f"{live_server.url}/accounts/login/")
    browser.find_element(By.NAME, "username").send_keys(username)
    browser.find_element(By.NAME, "password").send_keys("demo")
    browser.find_element(By.ID, "sign-in").click()
    wait_for(browser, By.ID, "feed")


def pair_on_page(browser, medium: str, source: str):
    return browser.find_element(
        By.CSS_SELECTOR, f'li.preference[data-medium="{medium}"][data-source="{source}"]'
    )


def test_switching_a_source_off_in_the_settings_takes_it_out_of_the_feed(live_server, company, browser):
    events.announcement(company, "Welcome to the demo", minutes_ago=2)
    sign_in(browser, live_server, "alice")
    assert "Welcome to the demo" in browser.find_element(By.ID, "feed").text

    browser.find_element(By.ID, "preferences-link").click()
    wait_for(browser, By.ID, "entity-event-preferences")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Notification settings"
    pair = pair_on_page(browser, "newsfeed", "announcement")
    assert pair.find_element(By.CLASS_NAME, "state").text == "on"
    pair.find_element(By.TAG_NAME, "button").click()
    # The page reloads. While Chromium swaps the documents, asking about the old element may fail
    # with a bare WebDriverException ("Node with given id does not belong to the document")
    # instead of reporting it stale: ask again then.
    reloaded = WebDriverWait(browser, 20, ignored_exceptions=(WebDriverException,))
    reloaded.until(expected_conditions.staleness_of(pair))
    wait_for(browser, By.ID, "entity-event-preferences")
    assert (
        pair_on_page(browser, "newsfeed", "announcement").find_element(By.CLASS_NAME, "state").text == "off"
    )

    browser.get(f"{live_server.url}/")
    assert "Welcome to the demo" not in wait_for(browser, By.ID, "feed").text
    assert not browser.find_element(By.ID, "unseen-count").is_displayed()


def test_the_unsubscribe_link_of_an_email_unsubscribes_its_reader(live_server, company, browser, settings):
    settings.ENTITY_EVENT_BASE_URL = live_server.url
    events.announcement(company, "Fire drill at 3 pm")
    send_event_emails()
    [message] = [message for message in mail.outbox if message.to == ["alice@example.com"]]
    url = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert f"Stop these emails: {url}" in message.body

    browser.get(url)  # opened from the mail: nobody is signed in
    assert (
        "Stop sending Announcements to Alice Martin by Email?" in wait_for(browser, By.TAG_NAME, "main").text
    )
    browser.find_element(By.ID, "confirm-unsubscribe").click()
    assert wait_for(browser, By.ID, "unsubscribed").text == "Unsubscribed"

    mail.outbox.clear()
    events.announcement(company, "Another fire drill")
    send_event_emails()
    addresses = {address for message in mail.outbox for address in message.to}
    assert "alice@example.com" not in addresses and "bob@example.com" in addresses


def test_the_unsubscribe_link_of_a_mail_in_the_outbox_opens_a_working_page_in_a_new_tab(
    live_server, company, browser, settings, tmp_path
):
    settings.ENTITY_EVENT_BASE_URL = live_server.url
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path / "outbox")
    events.announcement(company, "Fire drill at 3 pm")
    send_event_emails()
    sign_in(browser, live_server, "alice")
    browser.get(f"{live_server.url}/outbox/")
    # Alice's mail, in English (Frank's is in French).
    alices = "//article[.//dd[contains(., 'alice@example.com')]]//iframe[@class='mail-body']"
    browser.switch_to.frame(wait_for(browser, By.XPATH, alices))

    browser.find_element(By.LINK_TEXT, "Unsubscribe").click()

    WebDriverWait(browser, 20).until(expected_conditions.number_of_windows_to_be(2))
    browser.switch_to.window(browser.window_handles[1])
    wait_for(browser, By.ID, "confirm-unsubscribe").click()
    assert wait_for(browser, By.ID, "unsubscribed").text == "Unsubscribed"


def test_frank_reads_his_notification_settings_in_french(live_server, company, browser):
    sign_in(browser, live_server, "frank")

    browser.find_element(By.ID, "preferences-link").click()
    wait_for(browser, By.ID, "entity-event-preferences")

    assert browser.find_element(By.TAG_NAME, "h1").text == "Paramètres de notification"
    pair = pair_on_page(browser, "newsfeed", "announcement")
    assert pair.find_element(By.CLASS_NAME, "state").text == "activé"
    assert pair.find_element(By.TAG_NAME, "button").text == "Désactiver"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "fr"

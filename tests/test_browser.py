"""The reader's pages in a real browser: Debian's headless Chromium, driven by selenium through
Debian's chromedriver, against a real gunicorn started from the Procfile.

Each page is opened at a desktop's width (1280 px) and a phone's (375 px, emulated as a mobile
viewport), saved as a full-page screenshot (in $FEEDSVC_SCREENSHOTS, else build/screens/), checked
for what the strict CSP would have blocked and for sideways scrolling, and run through axe-core
(the copy selenium-axe-python ships): no serious or critical violation may remain.
Offline: the browser is told not to reach the network, and nothing is downloaded.
"""

from __future__ import annotations

import base64
import os
import shutil
import struct
from importlib import resources
from pathlib import Path

import pytest
from conftest import DEV, SEEDS
from server import Server

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parent.parent
SCREENS = Path(os.environ.get("FEEDSVC_SCREENSHOTS") or ROOT / "build" / "screens")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--hide-scrollbars",
         "--disable-extensions", "--disable-default-apps")
WIDTHS = {"desktop": 1280, "phone": 375}
PAGES = {
    "home": "/",
    "section": "/categories/thoi-su-chinh-tri",
    "article": "/articles/000_904bb3c4e8a3bd42",
    "author": "/authors/thanh-tung",
    "search": "/search?q=kinh+te",
    "feeds": "/feeds",
    "404": "/khong-co-trang-nay",
}
# axe-core's WCAG 2.0-2.2 A and AA rules and its best practices; the impacts that fail a page.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
FAILING = ("serious", "critical")
BRAND = "rgb(163, 22, 28)"  # site.css's --brand: the header shows it when the stylesheet applied


def axe_source() -> str:
    return resources.files("selenium_axe_python").joinpath("axe-core", "axe.min.js").read_text("utf-8")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    corpus = tmp_path_factory.mktemp("corpus")
    for path in [*SEEDS.glob("*.txt"), *DEV.glob("*.txt")]:
        shutil.copy(path, corpus / path.name)
    env = {"FEEDSVC_CORPUS_DIR": str(corpus), "FEEDSVC_INDEX_PATH": "memory"}
    with Server(tmp_path_factory.mktemp("logs"), env) as running:
        yield running


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # The driver's path is given: selenium then looks for nothing and downloads nothing.
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    driver.set_script_timeout(30)
    # axe-core goes into every document the browser opens (DevTools' own injection: the pages'
    # CSP, which allows no script, does not apply to it).
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": axe_source()})
    yield driver
    driver.quit()


def open_at(browser, url: str, width: int) -> None:
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})
    browser.get_log("browser")  # forget what earlier pages logged
    browser.get(url)


def run_axe(browser) -> list[dict]:
    found = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
        "  .then(result => done(result.violations), error => done({error: String(error)}));", AXE_TAGS)
    assert isinstance(found, list), found
    return found


def failing(violations: list[dict]) -> list[str]:
    return [f"{v['impact']} {v['id']}: {v['help']} at {[n['target'] for n in v['nodes'][:5]]}"
            for v in violations if v["impact"] in FAILING]


def screenshot(browser, path: Path, width: int) -> bytes:
    height = browser.execute_script("return document.documentElement.scrollHeight")
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True,
        "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1}})
    data = base64.b64decode(shot["data"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


@pytest.mark.parametrize("width", WIDTHS.values(), ids=WIDTHS.keys())
@pytest.mark.parametrize("name", PAGES)
def test_page_renders_cleanly_and_passes_axe(server, browser, name, width):
    url = server.url(PAGES[name])
    open_at(browser, url, width)
    assert browser.execute_script("return document.documentElement.lang") == "vi"
    assert browser.find_element("css selector", "main h1").text.strip()
    header = browser.execute_script("return getComputedStyle(document.querySelector('.site-header')).backgroundColor")
    assert header == BRAND, "the stylesheet did not apply"
    # Nothing refused by the CSP, nothing missing: the console has no error but the page's own 404.
    errors = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    if name == "404":
        errors = [message for message in errors if not message.startswith(url)]
    assert errors == []
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    if browser.find_elements("css selector", "a.feed"):
        assert server.url("/static/icon-64.png") in loaded  # the feed icon, allowed by img-src 'self'
    # No sideways scrolling, at a phone's width too.
    scroll, inner = browser.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner == width
    png = screenshot(browser, SCREENS / f"{name}-{width}.png", width)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">I", png[16:20])[0] == width
    assert failing(run_axe(browser)) == []


def test_axe_here_reports_what_it_should(server, browser):
    # The harness can fail: an image without a text alternative and grey-on-grey text, put into
    # a page the browser has loaded, are a critical and a serious violation. (The colours are set
    # through the CSSOM: the CSP refuses a style attribute, as it should.)
    open_at(browser, server.url("/"), 1280)
    browser.execute_script(
        "const main = document.querySelector('main');"
        "main.insertAdjacentHTML('afterbegin', '<img src=\"/static/icon-64.png\"><p id=\"grey\">Chữ khó đọc</p>');"
        "const grey = document.getElementById('grey'); grey.style.color = '#aaa'; grey.style.background = '#bbb';")
    found = failing(run_axe(browser))
    assert any(line.startswith("critical image-alt") for line in found), found
    assert any(line.startswith("serious color-contrast") for line in found), found


def test_searching_from_the_header_without_accents(server, browser):
    open_at(browser, server.url("/feeds"), 375)
    box = browser.find_element("css selector", "header form[role=search] input[name=q]")
    assert box.is_displayed()
    box.send_keys("dak ha")
    box.submit()  # form-action 'self' lets the form go
    assert browser.current_url == server.url("/search?q=dak+ha")
    titles = [element.text for element in browser.find_elements("css selector", "ul.news h2 a")]
    assert any("Đăk Hà" in title for title in titles), titles
    again = browser.find_element("css selector", "header form[role=search] input[name=q]")
    assert again.get_attribute("value") == "dak ha"  # left in the box, to be changed

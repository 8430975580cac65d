"""The live web view (docs/web.md) in a real headless browser: Debian's
chromium driven by chromedriver through selenium, against the seed scenario
of DESIGN section 3 in namespaces (vswitch_lab/seed_lab.py) with vswitchd's
HTTP listener on a free port of 127.0.0.1. The page loads without a console
error, shows the seed's ports and VLAN matrix, filters the MAC table, moves
a port's counter on screen while a ping flows, and says so when the daemon
is gone. The API's headers are checked on the wire."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from vswitch_lab.seed_lab import SeedLab

BUILD = os.environ.get("VSWITCH_BUILD", "build")

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root for network namespaces")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def web():
    workdir = tempfile.mkdtemp(prefix="vswitch-web-")
    url = "http://127.0.0.1:%d/" % free_port()
    lab = SeedLab(BUILD, workdir, hv_args=["--metrics", url[len("http://"):-1]])
    try:
        lab.start()
        yield lab, url
    finally:
        lab.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    profile = tempfile.mkdtemp(prefix="vswitch-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--user-data-dir=" + profile, "--no-first-run", "--disable-extensions"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def wait_for(what, fn, timeout=8):
    """fn() until it is true. The page redraws its tables every second, so
    an element found a moment ago may be gone when read: that is a retry."""
    from selenium.common.exceptions import StaleElementReferenceException
    deadline = time.time() + timeout
    while True:
        try:
            value = fn()
        except StaleElementReferenceException:
            value = None
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.1)


def cell(driver, css):
    from selenium.webdriver.common.by import By
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0] if found else None


def text(driver, css):
    """The text of the first element matching css, read as one step in the
    page (a redraw between finding and reading cannot come in between)."""
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.innerText.trim() : null;", css)


def test_api_headers_and_refusals(web):
    lab, url = web
    page = urllib.request.urlopen(url, timeout=5)
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    api = urllib.request.urlopen(url + "api/v1/vlans/hv", timeout=5)
    assert api.headers["Content-Type"] == "application/json"
    assert api.headers["Cache-Control"] == "no-store"
    assert api.headers["X-Frame-Options"] == "DENY"
    vlans = {v["vlan"]: v for v in json.load(api)}
    assert vlans[3]["active_uplink"] == "vios"
    for path in ("api/v1/counters/clear", "api/v1/port/del/lpar1", "api/v1/save"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url + path, timeout=5)
        assert refused.value.code == 404
        assert "error" in json.load(refused.value)
    ports = lab.ctl("hv", "--json", "port", "show").stdout
    assert len(json.loads(ports)) == 5  # nothing was deleted


def ping(lab, count):
    subprocess.run(["ip", "netns", "exec", lab.ns["lpar1"], "ping", "-n", "-q", "-c", str(count),
                    "-i", "0.2", "-W", "1", "-I", "en0", "10.12.0.254"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=20)


def test_page_shows_multicast_groups_when_there_are_some(web, browser):
    """Sections for LLDP, multicast and IPFIX appear only with something in
    them: none at first; with snooping on and lpar1's kernel joining
    239.1.2.3 (ip addr ... autojoin: an IGMP report), the multicast section
    shows the group, its member port and the router port."""
    lab, url = web
    browser.get(url)
    wait_for("the page to be live", lambda: cell(browser, '#status[data-state="live"]'))
    for section in ("lldp", "mcast", "ipfix"):
        assert not cell(browser, "#%s-section" % section).is_displayed(), section
    lab.ctl("hv", "switch", "set", "hv", "mcast-snooping", "on")
    lab.ctl("hv", "port", "set", "vios", "mcast-router", "yes")
    subprocess.run(["ip", "netns", "exec", lab.ns["lpar1"], "ip", "addr", "add", "239.1.2.3/32",
                    "dev", "en0", "autojoin"], check=True)
    row = '#mcast tr[data-switch="hv"][data-vlan="1"][data-group="239.1.2.3"]'
    wait_for("the group on the page", lambda: cell(browser, row))
    assert cell(browser, "#mcast-section").is_displayed()
    assert text(browser, row + ' td[data-field="members"]') == "lpar1"
    assert text(browser, row + ' td[data-field="routers"]') == "vios"
    assert not cell(browser, "#lldp-section").is_displayed()


def test_page_shows_the_seed_scenario_live(web, browser):
    from selenium.webdriver.common.by import By
    lab, url = web
    ping(lab, 2)  # MACs in the table before the page loads
    browser.get(url)
    wait_for("the page to be live", lambda: cell(browser, '#status[data-state="live"]'))
    wait_for("the ports", lambda: len(browser.find_elements(By.CSS_SELECTOR,
                                                            "#ports tbody tr")) == 5)
    names = [r.get_attribute("data-port")
             for r in browser.find_elements(By.CSS_SELECTOR, "#ports tbody tr")]
    assert names == ["lpar1", "lpar2", "lpar3", "lpar4", "vios"]
    vios = cell(browser, '#ports tr[data-port="vios"] td[data-field="uplink"]')
    assert vios.text == "uplink (active)"
    assert text(browser, '#ports tr[data-port="lpar3"] td[data-field="vids"]') == "3"

    # The seed's figure as a matrix: rows ports, columns VLANs.
    def membership(port, vlan):
        c = cell(browser, 'td[data-port="%s"][data-vlan="%d"]' % (port, vlan))
        return c.get_attribute("data-membership"), c.get_attribute("data-active-uplink")

    wait_for("the VLAN matrix", lambda: cell(browser, "table.vlan-matrix td"))
    columns = [th.text for th in browser.find_elements(By.CSS_SELECTOR,
                                                        "table.vlan-matrix thead th")]
    assert columns == ["port", "VLAN 1", "VLAN 2", "VLAN 3"]
    assert membership("lpar1", 1) == ("untagged", "false")
    assert membership("lpar1", 3) == ("tagged", "false")
    assert membership("lpar1", 2) == ("none", "false")
    assert membership("lpar2", 1) == ("untagged", "false")
    assert membership("lpar3", 2) == ("untagged", "false")
    assert membership("lpar3", 3) == ("tagged", "false")
    assert [membership("lpar4", v)[0] for v in (1, 2, 3)] == ["none", "untagged", "none"]
    assert membership("vios", 1) == ("untagged", "true")
    assert membership("vios", 3) == ("tagged", "true")
    assert membership("vios", 2) == ("none", "false")  # VLAN 2 stays inside

    # The MAC table and its search box.
    lpar1_mac = subprocess.run(["ip", "netns", "exec", lab.ns["lpar1"], "cat",
                                "/sys/class/net/en0/address"], capture_output=True, text=True,
                               check=True).stdout.strip()
    rows = lambda: browser.find_elements(By.CSS_SELECTOR, "#fdb tbody tr[data-mac]")  # noqa: E731
    wait_for("learned MACs", lambda: len(rows()) >= 2)
    total = len(rows())
    search = browser.find_element(By.ID, "mac-search")
    search.send_keys(lpar1_mac)
    wait_for("the search to filter", lambda: 0 < len(rows()) < total)
    assert all(r.get_attribute("data-mac") == lpar1_mac for r in rows())
    assert rows()[0].find_elements(By.TAG_NAME, "td")[3].text == "lpar1"
    search.clear()
    search.send_keys("no-such-mac")
    wait_for("an empty result", lambda: not rows())
    search.clear()
    search.send_keys(" ")  # an input event; blank is everything again
    wait_for("all rows back", lambda: len(rows()) == total)

    # A counter moves on screen while traffic flows.
    rx = lambda: int(text(browser, '#ports tr[data-port="lpar1"] td[data-field="rx_packets"]'))  # noqa: E731,E501
    before = rx()
    ping(lab, 5)
    wait_for("lpar1's rx counter to move on screen", lambda: rx() >= before + 5)
    rate = text(browser, '#ports tr[data-port="lpar1"] td[data-field="rx_pps"]')
    assert rate != ""

    errors = [e for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert not errors, errors

    # The daemon gone: the page says so (and keeps the last figures).
    hv = lab.procs[0]
    hv.terminate()
    hv.wait(10)
    wait_for("the page to say the daemon is unreachable",
             lambda: cell(browser, '#status[data-state="unreachable"]'))
    assert "unreachable" in text(browser, "#status")

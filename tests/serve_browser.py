"""A headless Chromium, driven by Selenium, that reads what xterm.js drew in each tab of `nnplay serve`.

Needs Debian's `chromium` and `chromium-driver` (.ci/run installs them when apt can) and
`selenium` (a dev dependency). Run it as a script to measure start-up and memory per session:

    uv run python tests/serve_browser.py
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
DRIVER = "chromedriver"

# textual-serve keeps its xterm.js Terminal in `this.terminal` of an object of its own: catch it on
# assignment, so the test reads the terminal's buffer (the WebGL/canvas renderers leave no text in the DOM).
HOOK = """
window.__terms = [];
Object.defineProperty(Object.prototype, "terminal", {configurable: true, set(value) {
  Object.defineProperty(this, "terminal", {value, writable: true, configurable: true, enumerable: true});
  if (value && value.buffer && value.onData) window.__terms.push(value);
}});
"""
READ = """
const t = window.__terms[0];
if (!t) return null;
const b = t.buffer.active, rows = [];
for (let y = 0; y < t.rows; y++) { const line = b.getLine(y); rows.push(line ? line.translateToString(true) : ""); }
return rows.join("\\n");
"""


def missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (uv sync installs the dev group)"
    if not any(shutil.which(c) for c in CHROMIUM):
        return "no chromium (apt-get install chromium chromium-driver; .ci/run does it where apt works)"
    if not shutil.which(DRIVER):
        return "no chromedriver (apt-get install chromium-driver)"
    return None


@contextlib.contextmanager
def chrome(width: int = 1200, height: int = 800):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # Selenium Manager must not try to download a browser
    opts = webdriver.ChromeOptions()
    opts.binary_location = next(shutil.which(c) for c in CHROMIUM if shutil.which(c))
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", f"--window-size={width},{height}",
              "--no-first-run", "--disable-extensions", "--disable-background-networking",
              "--disable-renderer-backgrounding", "--disable-background-timer-throttling",
              "--disable-backgrounding-occluded-windows", "--enable-unsafe-swiftshader"):
        opts.add_argument(a)
    driver = webdriver.Chrome(options=opts, service=Service(shutil.which(DRIVER)))
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()


def open_tab(driver, url: str) -> str:
    """A new tab on ``url``, hooked before its scripts run; returns its window handle."""
    driver.switch_to.new_window("tab")
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": HOOK})
    driver.get(url)
    return driver.current_window_handle


def screen(driver, handle: str | None = None) -> str:
    """The terminal's text in tab ``handle`` (default: the current one); '' before it has drawn."""
    if handle is not None and driver.current_window_handle != handle:
        driver.switch_to.window(handle)
    return driver.execute_script(READ) or ""


def status(text: str) -> tuple[str | None, int | None]:
    """('running'|'paused'|None, step) from the app's status line."""
    state = "running" if "running" in text else "paused" if "paused" in text else None
    m = re.search(r"step ([\d,]+)", text)
    return state, int(m.group(1).replace(",", "")) if m else None


def press(driver, keys: str, handle: str | None = None) -> None:
    from selenium.webdriver.common.by import By

    if handle is not None:
        driver.switch_to.window(handle)
    driver.find_element(By.CSS_SELECTOR, "textarea.xterm-helper-textarea").send_keys(keys)


def measure(rounds: int = 5) -> None:
    """Server start -> first drawn frame in the browser, and memory per app process."""
    import statistics
    import subprocess
    import sys

    sys.path.insert(0, os.path.dirname(__file__))
    from serve_helpers import REPO, children, cpu_seconds, free_port, listening, rss_mib, wait_for

    firsts, listens, seconds, rss_idle, rss_train, rss_server, cpu_server, cpu_app = ([] for _ in range(8))
    with chrome() as driver:
        blank = driver.current_window_handle
        for _ in range(rounds):
            port = free_port()
            t0 = time.monotonic()
            proc = subprocess.Popen([sys.executable, "-m", "tui", "serve", "classify", "--paused", "--port", str(port)],
                                    cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            try:
                wait_for(lambda p=port: listening(p), 30, 0.01, "listen")
                listens.append(time.monotonic() - t0)
                url = f"http://127.0.0.1:{port}/"
                a = open_tab(driver, url)
                wait_for(lambda: "paused" in screen(driver), 60, 0.02, "first frame")
                firsts.append(time.monotonic() - t0)
                cpu_server.append(cpu_seconds(proc.pid))
                cpu_app.append(cpu_seconds(children(proc.pid)[0]))
                t1 = time.monotonic()
                b = open_tab(driver, url)
                wait_for(lambda: "paused" in screen(driver), 60, 0.02, "second tab's first frame")
                seconds.append(time.monotonic() - t1)
                time.sleep(1)
                apps = children(proc.pid)
                rss_idle += [rss_mib(p) for p in apps]
                rss_server.append(rss_mib(proc.pid))
                press(driver, " ", a)
                time.sleep(5)
                rss_train.append(rss_mib(max(apps, key=rss_mib)))
                for h in (a, b):
                    driver.switch_to.window(h)
                    driver.close()
                driver.switch_to.window(blank)
            finally:
                proc.send_signal(2)
                proc.wait(30)
    med = statistics.median
    load = os.getloadavg()[0]
    print(f"{rounds} rounds, load average {load:.1f} on {os.cpu_count()} cores: "
          f"server listening after {med(listens):.2f} s; first frame in the browser "
          f"{med(firsts):.2f} s after start (min {min(firsts):.2f}, max {max(firsts):.2f}); a second tab "
          f"{med(seconds):.2f} s; app process RSS {med(rss_idle):.0f} MiB paused, "
          f"{med(rss_train):.0f} MiB after 5 s of training; the server itself {med(rss_server):.0f} MiB. "
          f"CPU time until the first frame: server {med(cpu_server):.2f} s, app {med(cpu_app):.2f} s")


if __name__ == "__main__":
    why = missing()
    if why:
        raise SystemExit(f"cannot measure: {why}")
    measure()

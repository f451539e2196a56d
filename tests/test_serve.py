"""`nnplay serve`: one app process per tab, a session limit, per-session folders, no orphans on Ctrl-C.

The server tests run a real `nnplay serve` subprocess on a free loopback port; the browser test
drives a headless Chromium and skips, saying why, where chromium/chromedriver/selenium are missing.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("textual_serve", reason="textual-serve is not installed (uv sync installs it with the dev group)")

import aiohttp  # textual-serve brings it
from serve_helpers import REPO, alive, children, cwd_of, free_port, listening, server, wait_for

from tui import serve
from tui.cli import main

if not sys.platform.startswith("linux"):
    pytest.skip("these tests read /proc", allow_module_level=True)


# -- arguments ------------------------------------------------------------------------

@pytest.mark.parametrize("args,fragment", [
    (["serve", "nosuch"], "unknown scenario 'nosuch'"),
    (["serve", "--preset", "missing.toml"], "no such preset"),
    (["serve", "classify", "--set", "lr=fast"], "bad value 'fast' for lr"),
    (["serve", "--port", "x"], "invalid int value"),
    (["serve", "--port", "70000"], "--port must be 1-65535"),
    (["serve", "--max-sessions", "0"], "--max-sessions must be >= 1"),
    (["serve", "--host", "no-such-host.invalid"], "cannot listen on no-such-host.invalid"),
])
def test_bad_input_is_one_line_and_exit_2(args, fragment, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err and "Traceback" not in err


@pytest.mark.parametrize("args,autoplay", [(["classify"], True), (["classify", "--paused"], False)])
def test_paused_opens_the_app_paused(args, autoplay, monkeypatch):
    from tui.app import NNPlayApp

    seen = []
    monkeypatch.setattr(NNPlayApp, "run", lambda self: seen.append(self.autoplay))
    assert main(args) == 0 and seen == [autoplay]


def test_port_in_use_is_one_line_and_exit_2(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["serve", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"cannot listen on 127.0.0.1:{port}" in err and "in use" in err


def test_only_loopback_is_quiet():
    assert not any(serve.exposed(h) for h in ("127.0.0.1", "localhost", "::1", "127.0.0.2"))
    assert all(serve.exposed(h) for h in ("0.0.0.0", "", "::"))


def test_other_addresses_get_one_warning(capsys, monkeypatch):
    made = {}

    class Fake:
        def serve(self):
            pass

    monkeypatch.setattr(serve, "make_server", lambda argv, **kw: made.update(argv=argv, **kw) or Fake())
    assert main(["serve", "--host", "0.0.0.0", "--port", "8123"]) == 0
    assert made["host"] == "0.0.0.0" and made["max_sessions"] == serve.DEFAULT_MAX_SESSIONS
    warnings = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(warnings) == 1 and "anyone who can reach port 8123 can use it" in warnings[0]
    main(["serve", "--port", "8123"])
    assert "warning" not in capsys.readouterr().err


def test_app_arguments_reach_every_tab(tmp_path, monkeypatch):
    preset = tmp_path / "p.toml"
    preset.write_text('scenario = "classify"\nseed = 4\n\n[settings]\nlr = 0.1\n')
    made = {}

    class Fake:
        def serve(self):
            pass

    monkeypatch.setattr(serve, "make_server", lambda argv, **kw: made.update(argv=argv) or Fake())
    monkeypatch.chdir(tmp_path)
    assert main(["serve", "--preset", "p.toml", "--set", "batch=20", "--paused", "--max-sessions", "3"]) == 0
    argv = made["argv"]
    assert argv[:3] == [sys.executable, "-m", "tui.serve"]
    assert argv[argv.index("--preset") + 1] == str(preset.resolve()) and "--paused" in argv
    assert argv[argv.index("--set") + 1] == "batch=20"


# -- a real server, driven by websocket clients -----------------------------------------

async def _open(port: int, need: int = 5000):
    """A websocket session as textual.js opens one; returns (client, websocket, bytes) once ``need`` bytes came."""
    client = aiohttp.ClientSession()
    ws = await client.ws_connect(f"http://127.0.0.1:{port}/ws?width=120&height=40")
    got = b""
    end = time.monotonic() + 60
    while len(got) < need and time.monotonic() < end:
        msg = await ws.receive(timeout=60)
        if msg.type != aiohttp.WSMsgType.BINARY:
            break
        got += msg.data
    return client, ws, got


async def test_sessions_folders_limit_and_ctrl_c():
    with server("classify", "--paused", "--max-sessions", "2") as (proc, port):
        a = await _open(port)
        b = await _open(port)
        assert len(a[2]) >= 5000 and len(b[2]) >= 5000  # each app drew its first frame
        apps = wait_for(lambda: (k := children(proc.pid)) and len(k) == 2 and k, 10, what="two app processes")
        folders = [cwd_of(p) for p in apps]
        assert all(Path(f).name.startswith(serve.TMP_PREFIX) for f in folders) and len(set(folders)) == 2
        assert all(os.getpgid(p) == p for p in apps)  # each in its own group: Ctrl-C in a terminal reaches the server only

        c = await _open(port, need=50)  # a third tab: refused, said so, no process
        assert b"all 2 sessions are in use" in c[2]
        await c[0].close()
        assert len(children(proc.pid)) == 2
        async with aiohttp.ClientSession() as s, s.get(f"http://127.0.0.1:{port}/") as r:
            assert r.status == 503 and "all 2 sessions are in use" in await r.text()
        await a[1].close()
        await a[0].close()  # a tab closes: its app and folder go
        wait_for(lambda: not alive(apps[0]) and not os.path.exists(folders[0]), 10, what="the closed tab's app to end")
        assert alive(apps[1])
        async with aiohttp.ClientSession() as s, s.get(f"http://127.0.0.1:{port}/") as r:
            assert r.status == 200  # a slot is free again

        t0 = time.monotonic()
        proc.send_signal(signal.SIGINT)  # Ctrl-C with a tab still open
        assert proc.wait(20) == 0
        assert time.monotonic() - t0 < 10
        assert not any(alive(p) for p in apps) and not any(os.path.exists(f) for f in folders)
        out = proc.stdout.read()
        assert "nnplay serve: http://127.0.0.1:" in out and "Traceback" not in proc.stderr.read()
        await b[0].close()


def test_websocket_from_another_site_is_refused():
    async def go(port):
        async with aiohttp.ClientSession() as s:
            with pytest.raises(aiohttp.WSServerHandshakeError) as e:
                await s.ws_connect(f"http://127.0.0.1:{port}/ws", origin="http://evil.example")
            assert e.value.status == 403

    with server("classify", "--paused") as (proc, port):
        asyncio.run(go(port))
        assert children(proc.pid) == []


def _bare_server(app_code: str, port: int) -> subprocess.Popen:
    """The server, serving ``python -c APP_CODE`` instead of nnplay."""
    code = ("import sys; from tui.serve import make_server; "
            f"make_server([sys.executable, '-c', {app_code!r}], host='127.0.0.1', port={port}, max_sessions=2).serve()")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_for(lambda: listening(port) or proc.poll() is not None, 30, what="the server")
    return proc


def test_an_app_that_dies_ends_its_session():
    port = free_port()
    proc = _bare_server("import sys; sys.exit(3)", port)

    async def go():
        async with aiohttp.ClientSession() as client, client.ws_connect(f"http://127.0.0.1:{port}/ws") as ws:
            msg = await ws.receive(timeout=20)
            assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING)

    try:
        asyncio.run(go())
        wait_for(lambda: not children(proc.pid), 10, what="the session to end")
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(20) == 0


STUBBORN = """
import signal, sys, time
for s in (signal.SIGINT, signal.SIGTERM):
    signal.signal(s, signal.SIG_IGN)
sys.stdout.write("__GANGLION__\\n"); sys.stdout.flush()
time.sleep(600)
"""


def test_an_app_that_ignores_quit_and_sigterm_is_killed():
    """The worst case: an app that hangs. Ctrl-C still leaves nothing behind (quit, SIGTERM, then SIGKILL)."""
    port = free_port()
    proc = _bare_server(STUBBORN, port)
    try:

        async def go():
            client = aiohttp.ClientSession()
            await client.ws_connect(f"http://127.0.0.1:{port}/ws")
            apps = wait_for(lambda: children(proc.pid), 10, what="the app process")
            proc.send_signal(signal.SIGINT)
            await asyncio.get_running_loop().run_in_executor(None, proc.wait, 30)
            await client.close()
            return apps

        apps = asyncio.run(go())
        assert proc.returncode == 0
        assert not any(alive(p) for p in apps)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def test_a_killed_server_takes_its_apps_along():
    """SIGKILL gives the server no say: each app asked Linux for SIGTERM when its parent dies."""
    with server("classify", "--paused") as (proc, port):
        a = await _open(port)
        apps = wait_for(lambda: children(proc.pid), 10, what="the app process")
        folder = cwd_of(apps[0])
        proc.kill()
        proc.wait()
        wait_for(lambda: not any(alive(p) for p in apps), 15, what="the orphaned app to end")
        wait_for(lambda: not os.path.exists(folder), 5, what="the app to remove its folder")
        await a[0].close()


# -- the app as a tab runs it -------------------------------------------------------------

async def test_a_tab_keeps_its_files_in_its_folder(tmp_path, monkeypatch):
    from textual.widgets import Input

    import scenarios
    from tui.controls import Notice
    from tui.screens import PathPrompt

    folder = tmp_path / "session"
    folder.mkdir()
    monkeypatch.chdir(folder)
    delivered = []
    SessionApp = serve.session_app_class()

    class WebApp(SessionApp):
        is_web = True  # as under textual-serve's driver

        def deliver_binary(self, path, **kw):
            delivered.append(Path(path))

    app = WebApp(scenarios.get("classify"), None, 0, autoplay=False, threaded=False, folder=folder)

    async def prompt(pilot, key, path):
        await pilot.press(key)
        assert isinstance(app.screen, PathPrompt)
        app.screen.query_one(Input).value = path
        await pilot.press("enter")
        await pilot.pause()

    outside = tmp_path / "outside.toml"
    async with app.run_test(size=(120, 40)) as pilot:
        await prompt(pilot, "P", str(outside))
        assert "this tab's own folder" in app.query_one(Notice).text
        app.say("")
        await prompt(pilot, "P", "../outside.toml")
        assert "this tab's own folder" in app.query_one(Notice).text
        assert not outside.exists() and delivered == []
        await prompt(pilot, "P", "mine.toml")
        await prompt(pilot, "m", "mine.npz")
        await prompt(pilot, "M", "mine.npz")  # a load delivers nothing
        await pilot.press("S")
        await pilot.pause()
    names = sorted(p.name for p in delivered)
    assert names[1:] == ["mine.npz", "mine.toml"] and re.fullmatch(r"classify-[0-9-]+\.svg", names[0])
    assert all(p.resolve().is_relative_to(folder.resolve()) and p.exists() for p in delivered)
    assert sorted(p.name for p in folder.iterdir()) == ["mine.npz", "mine.toml", "nnplay-screenshots"]


# -- a real browser -----------------------------------------------------------------------

def test_two_browser_tabs_train_independently(tmp_path):
    """Headless Chromium: two tabs draw, space trains one while the other stays paused, a save arrives as a
    download, and closing the tabs ends both apps."""
    import serve_browser as sb

    why = sb.missing()
    if why:
        pytest.skip(f"browser test: {why}")
    with sb.chrome() as driver, server("classify", "--paused") as (proc, port):
        driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
        blank = driver.current_window_handle
        url = f"http://127.0.0.1:{port}/"
        tabs = []
        for _ in range(2):
            tabs.append(sb.open_tab(driver, url))
            wait_for(lambda: sb.status(sb.screen(driver)) == ("paused", 0), 60, 0.1, "the tab's first frame")
        assert "output" in sb.screen(driver) and "network" in sb.screen(driver)
        apps = wait_for(lambda: (k := children(proc.pid)) and len(k) == 2 and k, 10, what="two app processes")

        sb.press(driver, " ", tabs[0])

        def trained():
            state, step = sb.status(sb.screen(driver, tabs[0]))
            return state == "running" and step and step > 0 and step

        first = wait_for(trained, 30, 0.2, "tab 1 to train")
        wait_for(lambda: (trained() or 0) > first, 30, 0.2, "tab 1's step count to grow")
        assert sb.status(sb.screen(driver, tabs[1])) == ("paused", 0)

        sb.press(driver, "P", tabs[1])  # save the preset: it lands in the browser's downloads, not on the server
        wait_for(lambda: "Save this setup" in sb.screen(driver), 10, 0.1, "the save prompt")
        sb.press(driver, "\n")
        wait_for(lambda: (tmp_path / "nnplay-classify.toml").exists(), 15, 0.1, "the download")
        assert 'scenario = "classify"' in (tmp_path / "nnplay-classify.toml").read_text()

        for handle in tabs:
            driver.switch_to.window(handle)
            driver.close()
        driver.switch_to.window(blank)
        wait_for(lambda: not any(alive(p) for p in apps), 10, what="both tabs' apps to end")
        assert children(proc.pid) == []

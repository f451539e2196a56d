"""``nnplay serve``: the app in a browser, one app process (one training run) per tab.

Built on textual-serve (the Textual project's server), with four changes:

* a session limit (``--max-sessions``): past it the page, and a late websocket, say so;
* each app runs in a fresh temporary folder (its cwd, also ``$NNPLAY_SESSION_DIR``),
  removed when its tab closes; saves stay inside it and reach the browser as downloads;
* each app gets its own process group, and stopping a session ends that group for
  sure (quit, then SIGTERM, then SIGKILL): Ctrl-C leaves no app process behind;
* the page's websocket URL follows the address the browser used, unless --public-url.

The app child is ``python -m tui.serve ARGS`` (ARGS as for ``nnplay``), see :func:`session_main`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import shutil
import signal
import socket
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from tui.args import Parser, UsageError, add_common, app_parser, setup

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DEFAULT_MAX_SESSIONS = 30
QUIT_GRACE = 3.0  # seconds an app gets to quit by itself before SIGTERM, then as long again before SIGKILL
REFUSED_HOLD = 60.0  # seconds a refused websocket stays open to show why
SESSION_ENV = "NNPLAY_SESSION_DIR"
SERVER_PID_ENV = "NNPLAY_SERVER_PID"
TMP_PREFIX = "nnplay-session-"


def serve_parser() -> Parser:
    p = Parser(prog="nnplay serve",
               description="Serve the app in a browser: each tab runs its own app (its own training run).")
    p.add_argument("scenario", nargs="?", default=None, help="scenario each tab opens (nnplay list shows them)")
    add_common(p)
    p.add_argument("--paused", action="store_true", help="open paused: space starts training")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to listen on (default {DEFAULT_HOST}: this machine only)")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    p.add_argument("--max-sessions", type=int, default=DEFAULT_MAX_SESSIONS, metavar="N",
                   help=f"app processes at once; more tabs are refused (default {DEFAULT_MAX_SESSIONS})")
    p.add_argument("--public-url", metavar="URL",
                   help="the URL browsers use, when behind a proxy (default: the address each browser used)")
    return p


def app_argv(args) -> list[str]:
    """``nnplay`` arguments that reopen what ``args`` asked for, valid from any working directory."""
    argv = [args.scenario] if args.scenario else []
    if args.preset:
        argv += ["--preset", str(Path(args.preset).resolve())]
    for a in args.set:
        argv += ["--set", a]
    if args.seed is not None:
        argv += ["--seed", str(args.seed)]
    if args.device:
        argv += ["--device", args.device]
    argv += ["--threads", str(args.threads)]
    if args.paused:
        argv.append("--paused")
    return argv


def exposed(host: str) -> bool:
    """Whether listening on ``host`` lets other machines in (anything but loopback)."""
    if host in ("", "*"):
        return True
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return True
    return not all(ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback for info in infos)


def check_listen(host: str, port: int) -> None:
    """Fail early, in one line, when the server could not listen there."""
    if not 1 <= port <= 65535:
        raise UsageError("--port must be 1-65535")
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}: {exc.strerror or exc}") from None
    for family, kind, proto, _, addr in infos:
        with socket.socket(family, kind, proto) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as aiohttp does
            try:
                s.bind(addr)
            except OSError as exc:
                raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def refusal_text(limit: int) -> str:
    return (f"nnplay serve: all {limit} sessions are in use. "
            "Close another tab of this server, or try again later.")


# -- the server ---------------------------------------------------------------------

def make_server(argv: list[str], *, host: str, port: int, max_sessions: int, public_url: str | None = None):
    from aiohttp import WSCloseCode, web
    from textual_serve.app_service import AppService
    from textual_serve.server import Server, to_int

    class Session(AppService):
        """One tab's app: its own folder and process group; stop() always ends both."""

        def __init__(self, argv, *, websocket, **kw):
            super().__init__(" ".join(argv), **kw)
            self.argv = argv
            self.websocket = websocket
            self.folder: str | None = None
            self._stopped = False

        async def _open_app_process(self, width: int = 80, height: int = 24):
            self.folder = tempfile.mkdtemp(prefix=TMP_PREFIX)
            env = self._build_environment(width=width, height=height)
            env[SESSION_ENV] = self.folder
            env[SERVER_PID_ENV] = str(os.getpid())
            # the app must import from its temporary cwd, however the server was started
            root = str(Path(__file__).resolve().parent.parent)
            env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
            self._process = process = await asyncio.create_subprocess_exec(
                *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE, env=env, cwd=self.folder, start_new_session=True)
            self._stdin = process.stdin
            return process

        async def run(self) -> None:
            await super().run()
            try:  # the app is gone (it quit, or failed to start): end the tab's session, so it says so
                await self.remote_close()
            except (ConnectionError, RuntimeError):
                pass

        async def stop(self) -> None:
            if self._stopped:
                return
            self._stopped = True
            try:
                await asyncio.wait_for(super().stop(), QUIT_GRACE)
            except (TimeoutError, ConnectionError, RuntimeError):
                pass
            finally:
                await self._end_process()
                if self.folder:
                    shutil.rmtree(self.folder, ignore_errors=True)

        async def _end_process(self) -> None:
            p = self._process
            if p is None or p.returncode is not None:
                return
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(p.pid, sig)
                except ProcessLookupError:
                    return
                try:
                    await asyncio.wait_for(p.wait(), QUIT_GRACE)
                    return
                except TimeoutError:
                    continue

    class NNPlayServer(Server):
        def __init__(self):
            super().__init__(" ".join(argv), host=host, port=port, title="nnplay", public_url=public_url)
            self.argv = argv
            self.max_sessions = max_sessions
            self.fixed_url = public_url is not None
            self.sessions: set[Session] = set()

        def full(self) -> bool:
            return len(self.sessions) >= self.max_sessions

        async def on_startup(self, app) -> None:
            url = self.public_url if self.fixed_url else f"http://{_url_host(self.host)}:{self.port}"
            print(f"nnplay serve: {url}  (each tab runs its own app; at most {self.max_sessions} at once)\n"
                  "Ctrl-C stops the server and every app it started.", flush=True)

        async def on_shutdown(self, app) -> None:
            sessions = list(self.sessions)
            await asyncio.gather(*(s.stop() for s in sessions), return_exceptions=True)
            await asyncio.gather(*(s.websocket.close(code=WSCloseCode.GOING_AWAY, message=b"server stopped")
                                   for s in sessions), return_exceptions=True)

        async def handle_index(self, request):
            if self.full():
                return web.Response(status=503, content_type="text/html", text=_full_page(self.max_sessions))
            if not self.fixed_url:  # the URL the browser used, so the websocket reaches us from anywhere
                self.public_url = f"{request.scheme}://{request.host}"
            return await super().handle_index(request)

        def same_origin(self, request) -> bool:
            """A page on another site must not open apps here (browsers let any page open websockets)."""
            origin = request.headers.get("Origin")
            if not origin:
                return True  # not a browser
            allowed = {request.host} | ({urlsplit(self.public_url).netloc} if self.fixed_url else set())
            return urlsplit(origin).netloc in allowed

        async def handle_websocket(self, request):
            if not self.same_origin(request):
                return web.Response(status=403, text="nnplay serve: websocket from another site refused\n")
            websocket = web.WebSocketResponse(heartbeat=15)
            await websocket.prepare(request)
            if self.full():
                await websocket.send_bytes(f"\r\n  {refusal_text(self.max_sessions)}\r\n".encode())

                async def drain():
                    async for _ in websocket:
                        pass

                try:  # keep it open a while, so the message shows rather than "Session ended"
                    await asyncio.wait_for(drain(), REFUSED_HOLD)
                except TimeoutError:
                    pass
                await websocket.close()
                return websocket
            session = Session(self.argv, websocket=websocket, write_bytes=websocket.send_bytes,
                              write_str=websocket.send_str, close=websocket.close,
                              download_manager=self.download_manager, debug=self.debug)
            self.sessions.add(session)
            try:
                await session.start(to_int(request.query.get("width", "80"), 80),
                                    to_int(request.query.get("height", "24"), 24))
                await self._process_messages(websocket, session)
            except asyncio.CancelledError:
                pass
            except Exception as error:  # noqa: BLE001 -- a broken client must not take the server down
                from textual_serve.server import log

                log.exception(error)
            finally:
                try:
                    await session.stop()
                finally:
                    self.sessions.discard(session)
                    await websocket.close()
            return websocket

        def kill_all(self) -> None:
            """Last resort, after the event loop: no app process and no session folder outlives the server."""
            for s in list(self.sessions):
                p = s._process
                if p is not None and p.returncode is None:
                    try:
                        os.killpg(p.pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
                if s.folder:
                    shutil.rmtree(s.folder, ignore_errors=True)
            self.sessions.clear()

        def serve(self, debug: bool = False) -> None:
            self.debug = debug
            self.initialize_logging()
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                if signal.getsignal(sig) is not signal.SIG_IGN:  # e.g. nohup's SIGHUP stays ignored
                    loop.add_signal_handler(sig, self.request_exit)
            try:
                web.run_app(self._make_app(), host=self.host, port=self.port, handle_signals=False, loop=loop,
                            print=lambda *a: None, shutdown_timeout=QUIT_GRACE)
            finally:
                self.kill_all()

    return NNPlayServer()


def _url_host(host: str) -> str:
    if host in ("", "*", "0.0.0.0", "::"):
        return socket.gethostname()
    return f"[{host}]" if ":" in host else host


def _full_page(limit: int) -> str:
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>nnplay: server full</title></head>"
            "<body style='background:#0c181f;color:#eee;font-family:monospace;padding:3em'>"
            f"<h1>nnplay</h1><p>{refusal_text(limit)}</p>"
            "<p><a style='color:#8cf' href='/'>Try again</a></p></body></html>")


def main(argv) -> int:
    args = serve_parser().parse_args(argv)
    try:
        import textual_serve.server  # noqa: F401
    except ImportError:
        raise UsageError("nnplay serve needs textual-serve: pip install 'nnplay[serve]' "
                         "(in a checkout: uv sync)") from None
    if args.max_sessions < 1:
        raise UsageError("--max-sessions must be >= 1")
    setup(args)  # a bad scenario, preset or setting fails here, once, not in every tab
    check_listen(args.host, args.port)
    if exposed(args.host):
        print(f"nnplay serve: warning: listening on {args.host or 'every address'}: anyone who can reach "
              f"port {args.port} can use it (and the CPU it trains on); there is no login", file=sys.stderr)
    server = make_server([sys.executable, "-m", "tui.serve", *app_argv(args)], host=args.host, port=args.port,
                         max_sessions=args.max_sessions, public_url=args.public_url)
    server.serve()
    print("nnplay serve: stopped", file=sys.stderr)
    return 0


# -- the app as one tab runs it --------------------------------------------------------

def session_app_class():
    from tui.app import NNPlayApp
    from tui.screens import PathPrompt

    class SessionApp(NNPlayApp):
        """NNPlayApp in a browser tab: files live in the tab's own folder and go to the browser."""

        CSS_PATH = _css_beside(NNPlayApp)  # a subclass elsewhere must still find app.tcss

        def __init__(self, *a, folder: str | os.PathLike, **kw):
            super().__init__(*a, **kw)
            self.folder = Path(folder).resolve()

        def inside(self, path: str) -> Path | None:
            p = (self.folder / path).resolve()
            return p if p.is_relative_to(self.folder) else None

        def push_screen(self, screen, callback=None, *a, **kw):
            if isinstance(screen, PathPrompt) and callback is not None:
                callback = self._confined(callback)
            return super().push_screen(screen, callback, *a, **kw)

        def _confined(self, callback):
            def confined(path):
                if not path:
                    return callback(path)
                p = self.inside(path)
                if p is None:
                    self.say(f"{path}: in the browser, files live in this tab's own folder "
                             "(gone when the tab closes): give a plain file name", "error")
                    return None
                before = _stamp(p)
                result = callback(str(p))
                if _stamp(p) not in (None, before):  # a save: hand the file to the browser
                    self.deliver(p)
                return result

            return confined

        def action_screenshot(self, path: str | None = None) -> str:
            if path is not None and self.inside(path) is None:
                self.say(f"{path}: in the browser, files live in this tab's own folder", "error")
                return ""
            saved = super().action_screenshot(path)
            if saved:
                self.deliver(Path(saved).resolve())
            return saved

        def action_download(self) -> None:
            self.say("In the browser the server does not download data sets: run `nnplay download mnist` "
                     "on the server", "warning")

        def deliver(self, path: Path) -> None:
            if self.is_web:
                self.deliver_binary(path, save_filename=path.name)
                self.say(f"{path.name}: sent to your browser as a download")

    return SessionApp


def _css_beside(cls):
    css = cls.CSS_PATH
    if not css:
        return css
    here = Path(sys.modules[cls.__module__].__file__).parent
    return [str(here / c) for c in ([css] if isinstance(css, (str, os.PathLike)) else css)]


def _stamp(p: Path):
    try:
        st = p.stat()
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


def _end_with_server() -> None:
    """Linux: get SIGTERM when the server dies, even by SIGKILL (else this app would train on, orphaned)."""
    server = os.environ.get(SERVER_PID_ENV)
    if not server or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != int(server):  # it died before prctl
        sys.exit(0)


def session_main(argv=None) -> int:
    """One tab's app: ``nnplay`` arguments, run in the session folder the server made."""
    from engine.errors import NNPlayError

    argv = list(sys.argv[1:] if argv is None else argv)
    _end_with_server()
    folder = os.environ.get(SESSION_ENV) or os.getcwd()
    os.chdir(folder)  # relative saves land in the session folder
    try:
        args = app_parser().parse_args(argv)
        opening = setup(args)
        app = session_app_class()(run=opening.build(), autoplay=not args.paused and opening.preset is None,
                                  folder=folder)
    except (UsageError, NNPlayError) as exc:
        print(f"nnplay: error: {exc}", file=sys.stderr)
        return 2
    try:
        app.run()
    finally:  # the server removes it too; this covers a server that died first
        if os.environ.get(SESSION_ENV) and Path(folder).name.startswith(TMP_PREFIX):
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(session_main())

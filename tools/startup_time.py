"""Seconds from process start to the app's first full frame (classify, 120x40 in a real terminal).

Run inside a terminal (tmux works): uv run python tools/startup_time.py; it prints one line as it exits.
Python must be allowed to cache bytecode (PYTHONDONTWRITEBYTECODE unset), as on a normal install."""
import time, sys
T0 = time.perf_counter()
from tui.cli import app_parser, setup
from tui.app import NNPlayApp
args = app_parser().parse_args(sys.argv[1:])
opening = setup(args)
app = NNPlayApp(run=opening.build(), autoplay=False)
t_import = time.perf_counter() - T0
def first_frame():
    app.exit(message=f"import+build {t_import:.3f}s, first frame {time.perf_counter() - T0:.3f}s")
app.call_after_refresh(first_frame)
app.run()

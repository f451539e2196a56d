"""`nnplay serve`: one app process per tab, a session limit, per-session folders, no orphans on Ctrl-C."""

from __future__ import annotations

import pytest

from tui.cli import main


@pytest.mark.parametrize("args,autoplay", [(["classify"], True), (["classify", "--paused"], False)])
def test_paused_opens_the_app_paused(args, autoplay, monkeypatch):
    from tui.app import NNPlayApp

    seen = []
    monkeypatch.setattr(NNPlayApp, "run", lambda self: seen.append(self.autoplay))
    assert main(args) == 0 and seen == [autoplay]

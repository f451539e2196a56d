import os
import stat

import pytest

from engine.atomic import atomic_file, atomic_write_text


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    p = tmp_path / "setup.toml"
    p.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_file(p, "w", encoding="utf-8") as f:
            f.write("half a fi")
            raise RuntimeError("disk full")
    assert p.read_text() == "old"
    assert os.listdir(tmp_path) == ["setup.toml"]


def test_success_replaces_with_ordinary_permissions(tmp_path):
    p = tmp_path / "shot.svg"
    old = os.umask(0o022)
    try:
        atomic_write_text(p, "<svg/>")
    finally:
        os.umask(old)
    assert p.read_text() == "<svg/>"
    assert stat.S_IMODE(p.stat().st_mode) == 0o644

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


def test_an_unwritable_place_is_one_line_naming_the_file_not_the_temp(tmp_path):
    from engine.atomic import check_writable
    from engine.errors import OutputError

    (tmp_path / "a-file").write_text("x")
    cases = [
        (tmp_path / "missing" / "x.npz", f"no such directory {tmp_path / 'missing'}"),
        (tmp_path / "a-file" / "x.npz", f"{tmp_path / 'a-file'} is not a directory"),
        (tmp_path, "it is a directory"),
    ]
    for path, why in cases:
        for attempt in (lambda: atomic_write_text(path, "x"), lambda: check_writable(path)):
            with pytest.raises(OutputError) as err:
                attempt()
            assert str(err.value) == f"cannot write {path}: {why}"
    check_writable(tmp_path / "new.txt")
    assert sorted(os.listdir(tmp_path)) == ["a-file"]  # checking wrote nothing


def test_an_os_error_while_writing_keeps_the_old_file(tmp_path):
    from engine.errors import OutputError

    p = tmp_path / "m.npz"
    p.write_text("old")
    with pytest.raises(OutputError, match=r"cannot write .*m\.npz: No space left on device"):
        with atomic_file(p) as f:
            f.write(b"half")
            raise OSError(28, "No space left on device")
    assert p.read_text() == "old" and os.listdir(tmp_path) == ["m.npz"]

"""`nnplay download mnist`: verified files into the cache, one-line errors otherwise."""

import pytest

from engine.datasets import mnist
from tui.cli import main


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv(mnist.ENV_DIR, raising=False)
    return tmp_path / "xdg" / "nnplay" / "mnist"


def test_download_from_a_mirror_fills_the_cache(mnist_dir, cache, monkeypatch, capsys):
    monkeypatch.setattr(mnist, "MIRRORS", [mnist_dir.as_uri() + "/"])  # the canonical files, as a mirror
    assert main(["download", "mnist"]) == 0
    assert "SHA-256 verified" in capsys.readouterr().out
    assert sorted(p.name for p in cache.iterdir()) == sorted(f"{b}.gz" for b in mnist.FILES)
    assert mnist.load().source == "full"


def test_unreachable_mirrors_are_one_line_and_exit_2(cache, monkeypatch, capsys):
    monkeypatch.setattr(mnist, "MIRRORS", ["http://127.0.0.1:9/"])
    assert main(["download", "mnist"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "could not download" in err and "NNPLAY_MNIST_DIR" in err
    assert not any(cache.glob("*.gz"))


async def test_app_palette_download_switches_to_full_data(mnist_dir, cache, monkeypatch):
    from conftest import make_app

    monkeypatch.setattr(mnist, "MIRRORS", [mnist_dir.as_uri() + "/"])
    app = make_app("mnist", {"data": "subset"})
    async with app.run_test(size=(120, 40)) as pilot:
        app.action_download()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.scenario.values["data"] == "full"
        assert app.scenario.data.source == "full" and len(app.scenario.data.train_labels) == 60000


async def test_app_download_can_be_cancelled(mnist_dir, cache, monkeypatch):
    from conftest import make_app

    monkeypatch.setattr(mnist, "MIRRORS", [mnist_dir.as_uri() + "/"])
    app = make_app("mnist", {"data": "subset"})
    async with app.run_test(size=(120, 40)) as pilot:
        app.action_download()
        app.action_cancel_download()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.scenario.values["data"] == "subset"
        assert not any(cache.glob("*.gz"))  # only verified, complete files would be kept


def test_download_repairs_a_damaged_cache(mnist_dir, cache, monkeypatch, capsys):
    """A damaged cached file (what data=auto falls back from, saying so) is fetched again, not kept."""
    cache.mkdir(parents=True)
    for base in mnist.FILES:
        (cache / f"{base}.gz").write_bytes((mnist_dir / f"{base}.gz").read_bytes())
    bad = cache / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:1000])
    assert mnist.load_or_subset().fallback_reason
    monkeypatch.setattr(mnist, "MIRRORS", [mnist_dir.as_uri() + "/"])
    assert main(["download", "mnist"]) == 0
    assert "SHA-256 verified" in capsys.readouterr().out
    mnist.verify(cache)
    assert mnist.load_or_subset().source == "full"

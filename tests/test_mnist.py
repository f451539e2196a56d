"""MNIST: canonical files, IDX parsing and its failures, the download path (served locally), the subset."""

import functools
import gzip
import hashlib
import http.server
import socket
import threading
from pathlib import Path

import numpy as np
import pytest

from engine.datasets import mnist
from engine.errors import DataError

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def idx_bytes(array: np.ndarray) -> bytes:
    """Encode a uint8 array as IDX, written here independently of the reader."""
    magic = {3: 2051, 1: 2049}[array.ndim]
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    return header + array.astype(np.uint8).tobytes()


def fake_set(seed=0, n_train=6, n_test=4):
    rng = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "train-labels-idx1-ubyte": rng.integers(0, 10, n_train, dtype=np.uint8),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, n_test, dtype=np.uint8),
    }


def write_set(directory: Path, arrays, gz=True) -> dict[str, str]:
    """Write the four files; return their decompressed SHA-256 table."""
    directory.mkdir(parents=True, exist_ok=True)
    sums = {}
    for base, array in arrays.items():
        raw = idx_bytes(array)
        sums[base] = hashlib.sha256(raw).hexdigest()
        if gz:
            (directory / f"{base}.gz").write_bytes(gzip.compress(raw))
        else:
            (directory / base).write_bytes(raw)
    return sums


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Never touch the user's cache, env or the network."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.delenv(mnist.ENV_DIR, raising=False)
    monkeypatch.setattr(mnist, "MIRRORS", [closed_port_url()])
    return tmp_path / "xdg-cache" / "nnplay" / "mnist"


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture
def serve(tmp_path):
    """serve(directory) -> base URL of a local HTTP server for that folder."""
    servers = []

    def start(directory: Path) -> str:
        handler = functools.partial(QuietHandler, directory=str(directory))
        server = QuietServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class QuietServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # a cancelled download resets the connection mid-file; that is the point


# ---------------------------------------------------------------- the canonical files


@pytest.fixture(scope="session")
def full(mnist_dir):
    return mnist.load(mnist_dir)


def test_full_shapes_and_label_histograms(full, mnist_dir):
    assert full.source == "full" and full.location == str(mnist_dir)
    assert full.train_images.shape == (60000, 28, 28) and full.test_images.shape == (10000, 28, 28)
    for a in (full.train_images, full.train_labels, full.test_images, full.test_labels):
        assert a.dtype == np.uint8
    assert np.bincount(full.train_labels).tolist() == TRAIN_COUNTS and sum(TRAIN_COUNTS) == 60000
    assert np.bincount(full.test_labels).tolist() == TEST_COUNTS and sum(TEST_COUNTS) == 10000


def test_embedded_checksums_match_sha256sums_and_loaded_content(full, mnist_dir):
    listed = dict(line.split()[::-1] for line in (mnist_dir / "SHA256SUMS.raw").read_text().splitlines())
    assert listed == mnist.SHA256
    loaded = [full.train_images, full.train_labels, full.test_images, full.test_labels]
    for base, array in zip(mnist.FILES, loaded):  # re-encoding what was read gives the canonical bytes back
        assert hashlib.sha256(idx_bytes(array)).hexdigest() == listed[base]
    mnist.verify(mnist_dir)


def test_env_dir_is_used(mnist_dir, monkeypatch):
    monkeypatch.setenv(mnist.ENV_DIR, str(mnist_dir))
    data = mnist.load(download=False)
    assert data.location == str(mnist_dir) and len(data.test_labels) == 10000


# ---------------------------------------------------------------- IDX reading


def test_raw_and_gzipped_files_read_the_same(tmp_path, monkeypatch):
    arrays = fake_set()
    monkeypatch.setattr(mnist, "SHA256", write_set(tmp_path / "gz", arrays, gz=True))
    write_set(tmp_path / "raw", arrays, gz=False)
    for sub in ("gz", "raw"):
        data = mnist.read_directory(tmp_path / sub)
        assert np.array_equal(data.train_images, arrays["train-images-idx3-ubyte"])
        assert np.array_equal(data.test_labels, arrays["t10k-labels-idx1-ubyte"])
    data.train_images[0, 0, 0] = 1  # writable, so callers may normalise or shuffle in place


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda raw: gzip.compress(raw)[:-20], "corrupt or truncated gzip"),
        (lambda raw: gzip.compress(raw)[:30] + b"\x00" * 50 + gzip.compress(raw)[80:], "corrupt or truncated gzip"),
        (lambda raw: raw[:-5], "header promises 4704 bytes"),
        (lambda raw: raw + b"\x00", "header promises 4704 bytes"),
        (lambda raw: (2052).to_bytes(4, "big") + raw[4:], "not an MNIST IDX file (magic 2052"),
        (lambda raw: raw[:6], "too short for an IDX header"),
        (lambda raw: raw[:12], "truncated IDX header"),
        (lambda raw: raw[:8] + (27).to_bytes(4, "big") + raw[12:], "images are 27x28"),
    ],
)
def test_damaged_files_raise_one_line_error_naming_the_file(tmp_path, damage, message):
    raw = idx_bytes(np.zeros((6, 28, 28), np.uint8))
    path = tmp_path / "train-images-idx3-ubyte.gz"
    path.write_bytes(damage(raw))
    with pytest.raises(DataError) as err:
        mnist.read_idx(path)
    assert str(path) in str(err.value) and message in str(err.value) and "\n" not in str(err.value)


def test_inconsistent_sets(tmp_path):
    arrays = fake_set()
    arrays["t10k-labels-idx1-ubyte"] = np.zeros(3, np.uint8)  # 4 images
    write_set(tmp_path / "a", arrays)
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte.gz: 3 labels for 4 images"):
        mnist.read_directory(tmp_path / "a", check=False)
    arrays = fake_set()
    arrays["train-labels-idx1-ubyte"][2] = 12
    write_set(tmp_path / "b", arrays)
    with pytest.raises(DataError, match="label 12 is not a digit"):
        mnist.read_directory(tmp_path / "b", check=False)
    (tmp_path / "b" / "t10k-images-idx3-ubyte.gz").unlink()
    with pytest.raises(DataError, match="missing MNIST file.*t10k-images-idx3-ubyte.gz"):
        mnist.read_directory(tmp_path / "b")


def test_verify_spots_a_file_that_is_not_canonical(tmp_path, monkeypatch):
    sums = write_set(tmp_path, fake_set())
    monkeypatch.setattr(mnist, "SHA256", sums)
    mnist.verify(tmp_path)
    write_set(tmp_path, {"t10k-labels-idx1-ubyte": np.ones(4, np.uint8)})
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz: content differs"):
        mnist.verify(tmp_path)


# ---------------------------------------------------------------- finding and downloading


def test_no_files_and_no_network_says_how_to_get_them(isolated_cache):
    for download in (False, True):
        with pytest.raises(DataError) as err:
            mnist.load(download=download)
        text = str(err.value)
        assert mnist.ENV_DIR in text and str(isolated_cache) in text and "train-images-idx3-ubyte.gz" in text
        assert "\n" not in text
    assert not any(isolated_cache.iterdir())  # the failed attempt left no partial file


def test_download_without_permission_never_opens_a_connection(monkeypatch):
    import urllib.request

    def forbidden(*args, **kwargs):
        raise AssertionError("tried the network")

    monkeypatch.setattr(urllib.request, "urlopen", forbidden)
    with pytest.raises(DataError, match="MNIST not found"):
        mnist.load(download=False)
    assert mnist.load_or_subset().source == "subset"


def test_fake_download_end_to_end(tmp_path, monkeypatch, serve, isolated_cache):
    arrays = fake_set(n_train=300)
    monkeypatch.setattr(mnist, "SHA256", write_set(tmp_path / "mirror", arrays))
    # first mirror refuses connections, second lacks the files (404), third serves them
    monkeypatch.setattr(mnist, "MIRRORS", [closed_port_url(), serve(tmp_path / "empty"), serve(tmp_path / "mirror")])
    (tmp_path / "empty").mkdir()
    calls = []
    data = mnist.load(progress=lambda done, total: calls.append((done, total)))
    assert data.source == "full" and data.location == str(isolated_cache)
    assert np.array_equal(data.train_images, arrays["train-images-idx3-ubyte"])
    assert sorted(p.name for p in isolated_cache.iterdir()) == sorted(b + ".gz" for b in mnist.FILES)
    done = [d for d, _ in calls]
    served = sum((tmp_path / "mirror" / f"{b}.gz").stat().st_size for b in mnist.FILES)
    assert done == sorted(done) and calls[-1] == (served, served)
    assert all(d <= t for d, t in calls)
    # now cached: loading again needs no mirror at all
    monkeypatch.setattr(mnist, "MIRRORS", [closed_port_url()])
    assert np.array_equal(mnist.load().test_labels, arrays["t10k-labels-idx1-ubyte"])


def test_checksum_mismatch_keeps_nothing(tmp_path, monkeypatch, serve, isolated_cache):
    write_set(tmp_path / "mirror", fake_set())  # mnist.SHA256 stays canonical, so nothing matches
    monkeypatch.setattr(mnist, "MIRRORS", [serve(tmp_path / "mirror")])
    with pytest.raises(DataError, match="checksum mismatch") as err:
        mnist.load()
    assert "\n" not in str(err.value)
    assert list(isolated_cache.iterdir()) == []


def test_garbage_download_is_rejected(tmp_path, monkeypatch, serve, isolated_cache):
    (tmp_path / "mirror").mkdir()
    for base in mnist.FILES:
        (tmp_path / "mirror" / f"{base}.gz").write_bytes(b"\x1f\x8b<html>not found</html>")
    monkeypatch.setattr(mnist, "MIRRORS", [serve(tmp_path / "mirror")])
    with pytest.raises(DataError, match="not valid gzip data"):
        mnist.load()
    assert list(isolated_cache.iterdir()) == []


def test_cancel_by_returning_false_or_raising(tmp_path, monkeypatch, serve, isolated_cache):
    arrays = fake_set(n_train=3000)  # several chunks for the biggest file
    monkeypatch.setattr(mnist, "SHA256", write_set(tmp_path / "mirror", arrays))
    monkeypatch.setattr(mnist, "MIRRORS", [serve(tmp_path / "mirror")])
    with pytest.raises(mnist.DownloadCancelled):
        mnist.load(progress=lambda done, total: done < 100_000)
    assert list(isolated_cache.iterdir()) == []  # the partial first file was removed

    class Stop(Exception):
        pass

    def stop(done, total):
        raise Stop

    with pytest.raises(Stop):
        mnist.load(progress=stop)
    with pytest.raises(mnist.DownloadCancelled):  # a cancel is not hidden behind the subset
        mnist.load_or_subset(download=True, progress=lambda d, t: False)
    assert list(isolated_cache.iterdir()) == []


def test_real_files_through_the_download_path(mnist_dir, monkeypatch, isolated_cache):
    monkeypatch.setattr(mnist, "MIRRORS", [mnist_dir.as_uri() + "/"])
    data = mnist.load()
    assert data.location == str(isolated_cache) and data.train_images.shape == (60000, 28, 28)
    mnist.verify(isolated_cache)


# ---------------------------------------------------------------- the bundled subset


def test_subset_is_stratified_and_small():
    data = mnist.load_subset()
    assert data.source == "subset" and Path(data.location).stat().st_size <= 1_500_000
    for images, labels, per_class in (
        (data.train_images, data.train_labels, 740),
        (data.test_images, data.test_labels, 150),
    ):
        assert images.dtype == labels.dtype == np.uint8 and images.shape == (10 * per_class, 28, 28)
        assert np.bincount(labels, minlength=10).tolist() == [per_class] * 10
        assert 0 < images.mean() < 255


def test_subset_images_are_real_mnist(full):
    data = mnist.load_subset()
    with np.load(data.location) as z:
        train_index, test_index = z["train_index"], z["test_index"]
    assert len(np.unique(train_index)) == len(train_index) and len(np.unique(test_index)) == len(test_index)
    assert np.array_equal(data.train_images, full.train_images[train_index])
    assert np.array_equal(data.train_labels, full.train_labels[train_index])
    assert np.array_equal(data.test_images, full.test_images[test_index])
    assert np.array_equal(data.test_labels, full.test_labels[test_index])


def test_load_or_subset_prefers_full_files(tmp_path, monkeypatch):
    monkeypatch.setattr(mnist, "SHA256", write_set(tmp_path, fake_set()))
    assert mnist.load_or_subset(tmp_path).source == "full"
    fallback = mnist.load_or_subset(tmp_path / "nowhere")
    assert fallback.source == "subset" and "nowhere" in fallback.note


# ---------------------------------------------------------------- damaged files: an error, or a loud fallback


def damage_truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def damage_corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for i in range(len(data) // 3, len(data) // 3 + 8):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def damage_relabel(path: Path) -> None:
    """Still a valid IDX file of the right shape, but not canonical MNIST: only the SHA-256 can tell."""
    raw = bytearray(gzip.decompress(path.read_bytes()))
    raw[-1] = (raw[-1] + 1) % 10
    path.write_bytes(gzip.compress(bytes(raw)))


DAMAGES = [pytest.param(damage_truncate, "corrupt or truncated gzip", id="truncated"),
           pytest.param(damage_corrupt, "corrupt or truncated gzip", id="corrupt"),
           pytest.param(damage_relabel, "content differs from canonical MNIST (SHA-256 mismatch)", id="checksum")]


def damaged_set(directory: Path, monkeypatch, damage) -> Path:
    """A fake set the SHA-256 table accepts, then one file damaged; returns that file."""
    monkeypatch.setattr(mnist, "SHA256", write_set(directory, fake_set()))
    bad = directory / "t10k-labels-idx1-ubyte.gz"
    damage(bad)
    return bad


@pytest.mark.parametrize("damage, message", DAMAGES)
def test_a_named_directory_with_a_damaged_file_is_an_error_never_the_subset(damage, message, tmp_path, monkeypatch):
    bad = damaged_set(tmp_path / "mine", monkeypatch, damage)
    with pytest.raises(mnist.DamagedFile) as err:
        mnist.load_or_subset(tmp_path / "mine")
    assert str(err.value).startswith(f"{bad}: {message}") and "\n" not in str(err.value)
    monkeypatch.setenv(mnist.ENV_DIR, str(tmp_path / "mine"))
    with pytest.raises(mnist.DamagedFile) as err:
        mnist.load_or_subset()
    assert str(err.value).startswith(f"{bad}: {message}") and str(err.value).endswith(f"(from ${mnist.ENV_DIR})")


@pytest.mark.parametrize("damage, message", DAMAGES)
def test_a_damaged_cache_falls_back_and_says_why(damage, message, isolated_cache, monkeypatch):
    bad = damaged_set(isolated_cache, monkeypatch, damage)
    data = mnist.load_or_subset()
    assert data.source == "subset"
    assert data.fallback_reason == data.note
    assert data.fallback_reason.startswith(f"using the bundled MNIST subset: {bad}: {message}")
    assert "nnplay download mnist" in data.fallback_reason and "\n" not in data.fallback_reason
    with pytest.raises(mnist.DamagedFile, match="nnplay download mnist"):  # data=full: no fallback
        mnist.load(download=False)


def test_no_full_set_anywhere_is_quiet_but_a_named_empty_directory_is_not(isolated_cache, tmp_path, monkeypatch):
    quiet = mnist.load_or_subset()
    assert quiet.source == "subset" and quiet.note and quiet.fallback_reason == ""
    monkeypatch.setenv(mnist.ENV_DIR, str(tmp_path / "nowhere"))
    loud = mnist.load_or_subset()
    assert loud.source == "subset" and "missing MNIST file" in loud.fallback_reason
    assert mnist.ENV_DIR in loud.fallback_reason


def test_download_fetches_a_damaged_cached_file_again(tmp_path, monkeypatch, serve, isolated_cache):
    arrays = fake_set()
    monkeypatch.setattr(mnist, "SHA256", write_set(tmp_path / "mirror", arrays))
    write_set(isolated_cache, arrays)
    damage_relabel(isolated_cache / "t10k-labels-idx1-ubyte.gz")
    untouched = (isolated_cache / "train-images-idx3-ubyte.gz").stat().st_mtime_ns
    monkeypatch.setattr(mnist, "MIRRORS", [serve(tmp_path / "mirror")])
    mnist.download_files()
    mnist.verify(isolated_cache)
    assert (isolated_cache / "train-images-idx3-ubyte.gz").stat().st_mtime_ns == untouched  # only the bad one
    data = mnist.load(download=False)
    assert np.array_equal(data.test_labels, arrays["t10k-labels-idx1-ubyte"])

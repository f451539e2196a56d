"""MNIST handwritten digits: IDX reading, finding or downloading the files, and a bundled subset.

Where :func:`load` looks, in order: the ``directory`` argument, ``$NNPLAY_MNIST_DIR``,
then the user cache (``<user cache>/nnplay/mnist``), downloading into the cache
only when the files are not there (or are damaged). Every file read is checked
against the SHA-256 of the canonical *decompressed* file (mirrors recompress;
the content is what matters), downloads too, and downloads are written
atomically, so the cache never holds a partial or wrong file.

When the full set cannot be used, :func:`load_or_subset` decides:

* a directory the user named (the argument or ``$NNPLAY_MNIST_DIR``) holding a
  truncated, corrupt or non-canonical file is an error naming that file
  (:class:`DamagedFile`), never a quiet fallback;
* a damaged *cache*, a named directory without the files, or a failed
  download: the bundled subset, with ``fallback_reason`` saying why (the UI
  must show it; ``nnplay train`` prints it on stderr);
* no full set anywhere (the usual first run): the subset, quietly (``note``).

MNIST is by Y. LeCun, C. Cortes and C. J. C. Burges, under CC BY-SA 3.0.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from ..errors import DataError

ENV_DIR = "NNPLAY_MNIST_DIR"
MIRRORS = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
]
# SHA-256 of each file after gunzip, in load order.
SHA256 = {
    "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
    "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
    "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
    "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
}
FILES = tuple(SHA256)
# Approximate .gz sizes, so progress has a total before the server sends one.
_GZ_SIZE = {FILES[0]: 9_912_422, FILES[1]: 28_881, FILES[2]: 1_648_877, FILES[3]: 4_542}
_MAGIC = {2051: 3, 2049: 1}  # IDX magic for unsigned bytes -> number of dimensions
_CHUNK = 1 << 16
SUBSET_FILE = "mnist_subset.npz"

Progress = Callable[[int, int], "bool | None"]


class DownloadCancelled(DataError):
    """The progress callback asked to stop; nothing partial was kept."""


class MissingFiles(DataError):
    """The MNIST files (some or all) are not where we looked."""


class DamagedFile(DataError):
    """An MNIST file is there but unreadable, truncated, corrupt, or not canonical MNIST (SHA-256)."""


@dataclass
class MnistData:
    """Images uint8 (n, 28, 28) with labels uint8 (n,); ``source`` is ``full`` or ``subset``."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    source: str
    location: str
    note: str = ""  # why the subset was used instead of the full set, for the UI to say
    # Set (to the same kind of line) only when full data the user has or asked for could not be used:
    # a damaged cache, a named directory without the files, a failed download. Show it loudly.
    fallback_reason: str = ""


# ---------------------------------------------------------------- IDX files


def _decompressed(path: Path) -> bytes:
    """The file's bytes, gunzipped when it starts with the gzip magic (whatever its name)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise DataError(f"{path}: no such file") from None
    except OSError as exc:
        raise DataError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: corrupt or truncated gzip data ({exc})") from None


def parse_idx(data: bytes, name: str = "IDX data") -> np.ndarray:
    """An uint8 IDX image (ndim 3) or label (ndim 1) array from decompressed bytes."""
    if len(data) < 8:
        raise DataError(f"{name}: too short for an IDX header ({len(data)} bytes)")
    magic = int.from_bytes(data[:4], "big")
    if magic not in _MAGIC:
        raise DataError(f"{name}: not an MNIST IDX file (magic {magic}, expected 2051 for images or 2049 for labels)")
    ndim = _MAGIC[magic]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{name}: truncated IDX header")
    dims = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if ndim == 3 and dims[1:] != (28, 28):
        raise DataError(f"{name}: images are {dims[1]}x{dims[2]}, expected 28x28")
    expected = int(np.prod(dims))
    if len(data) - header != expected:
        raise DataError(
            f"{name}: header promises {expected} bytes of data for shape {dims}, file has {len(data) - header}"
        )
    # bytearray: a writable array, so callers may shuffle or normalise in place.
    return np.frombuffer(bytearray(data[header:]), dtype=np.uint8).reshape(dims)


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file, gzipped or raw; any problem is a one-line DataError naming the file."""
    path = Path(path)
    return parse_idx(_decompressed(path), str(path))


def _find(directory: Path, base: str) -> Path | None:
    for candidate in (directory / f"{base}.gz", directory / base):
        if candidate.is_file():
            return candidate
    return None


def _check_content(path: Path, base: str, raw: bytes) -> None:
    if hashlib.sha256(raw).hexdigest() != SHA256[base]:
        raise DamagedFile(f"{path}: content differs from canonical MNIST (SHA-256 mismatch)")


def read_directory(directory: str | os.PathLike, source: str = "full", check: bool = True) -> MnistData:
    """The four MNIST files from ``directory`` (each ``name.gz`` or raw ``name``), checked for consistency.

    ``check``: each file's decompressed SHA-256 must be canonical MNIST's (about 0.06 s for the set).
    Missing files raise :class:`MissingFiles`; anything wrong with a file there, :class:`DamagedFile`.
    """
    directory = Path(directory)
    paths = {base: _find(directory, base) for base in FILES}
    missing = [base for base, p in paths.items() if p is None]
    if missing:
        raise MissingFiles(f"{directory}: missing MNIST file(s) {', '.join(m + '.gz' for m in missing)}")
    arrays = {}
    for base, path in paths.items():
        try:
            raw = _decompressed(path)
            arrays[base] = parse_idx(raw, str(path))
        except DataError as exc:
            raise DamagedFile(str(exc)) from None
        if check:
            _check_content(path, base, raw)
        del raw
    for images, labels in ((FILES[0], FILES[1]), (FILES[2], FILES[3])):
        if arrays[images].ndim != 3 or arrays[labels].ndim != 1:
            raise DamagedFile(f"{paths[images]}: images and labels files are swapped or wrong")
        if len(arrays[images]) != len(arrays[labels]):
            raise DamagedFile(f"{paths[labels]}: {len(arrays[labels])} labels for {len(arrays[images])} images")
        if arrays[labels].size and arrays[labels].max() > 9:
            raise DamagedFile(f"{paths[labels]}: label {arrays[labels].max()} is not a digit 0-9")
    return MnistData(*(arrays[b] for b in FILES), source=source, location=str(directory))


def verify(directory: str | os.PathLike) -> None:
    """Check the four files' decompressed SHA-256 against canonical MNIST; DataError names a mismatch."""
    directory = Path(directory)
    for base in FILES:
        path = _find(directory, base)
        if path is None:
            raise MissingFiles(f"{directory}: missing MNIST file {base}.gz")
        try:
            raw = _decompressed(path)
        except DataError as exc:
            raise DamagedFile(str(exc)) from None
        _check_content(path, base, raw)


def _intact(directory: Path, base: str) -> bool:
    """Whether ``directory`` holds ``base`` with canonical content (what a download need not fetch again)."""
    path = _find(directory, base)
    if path is None:
        return False
    try:
        _check_content(path, base, _decompressed(path))
    except DataError:
        return False
    return True


# ---------------------------------------------------------------- finding and downloading


def cache_dir() -> Path:
    """Where downloads go and where :func:`load` looks last."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("nnplay")) / "mnist"


def _howto(cache: Path) -> str:
    return (
        f"run `nnplay download mnist`, set {ENV_DIR} to a folder holding the four MNIST files "
        f"({', '.join(b + '.gz' for b in FILES)}), or put them in {cache}"
    )


def _fetch(url: str, dest: Path, base: str, report: Callable[[int, int | None], None]) -> str | None:
    """Download ``url`` and keep it as ``dest`` if its content checks out; else return why not.

    Only network errors count as a failed mirror: whatever ``report`` raises propagates.
    """
    import http.client
    import urllib.error
    import urllib.request

    fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                response = urllib.request.urlopen(url, timeout=30)
            except (urllib.error.URLError, OSError, ValueError) as exc:
                return str(getattr(exc, "reason", None) or exc)
            with response:
                length = response.headers.get("Content-Length", "")
                report(0, int(length) if length.isdigit() else None)
                done = 0
                while True:
                    try:
                        chunk = response.read(_CHUNK)
                    except (OSError, http.client.HTTPException) as exc:
                        return f"connection lost ({exc.__class__.__name__})"
                    if not chunk:
                        break
                    out.write(chunk)
                    done += len(chunk)
                    report(done, None)
        try:
            content = _decompressed(Path(tmp))
        except DataError:
            return "not valid gzip data (truncated or corrupt)"
        if hashlib.sha256(content).hexdigest() != SHA256[base]:
            return "checksum mismatch (SHA-256 of the decompressed file)"
        os.replace(tmp, dest)
        tmp = None
        return None
    finally:
        if tmp is not None:
            os.unlink(tmp)


class _Meter:
    """Bytes done over the (estimated, then stated) total of all files, for the progress callback."""

    def __init__(self, progress: Progress | None, sizes: dict[str, int]):
        self.progress, self.sizes = progress, sizes
        self.finished = self.current = 0

    def reporter(self, base: str) -> Callable[[int, int | None], None]:
        def report(done: int, length: int | None) -> None:
            self.current = done
            if length is not None:
                self.sizes[base] = length
            if self.progress is None:
                return
            done += self.finished
            if self.progress(done, max(sum(self.sizes.values()), done)) is False:
                raise DownloadCancelled("MNIST download cancelled")

        return report

    def finish(self, base: str) -> None:
        self.finished += self.current
        self.sizes[base] = self.current


def download_files(directory: str | os.PathLike | None = None, progress: Progress | None = None) -> Path:
    """Fetch whichever of the four files ``directory`` (default: the cache) lacks or holds damaged, trying each mirror.

    ``progress(done_bytes, total_bytes)`` is called as data arrives; returning
    ``False`` (or raising) stops the download, leaving only verified files behind.
    """
    directory = Path(directory) if directory is not None else cache_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"{directory}: cannot create the MNIST cache ({exc.strerror or exc})") from None
    todo = [b for b in FILES if not _intact(directory, b)]  # missing, or damaged: fetched again
    meter = _Meter(progress, {b: _GZ_SIZE[b] for b in todo})
    for base in todo:
        failures = []
        for mirror in MIRRORS:
            why = _fetch(mirror + base + ".gz", directory / f"{base}.gz", base, meter.reporter(base))
            if why is None:
                break
            failures.append(f"{mirror}: {why}")
        else:
            raise DataError(
                f"could not download {base}.gz ({'; '.join(failures)}); to use MNIST offline, {_howto(directory)}"
            )
        meter.finish(base)
    return directory


def _source(directory: str | os.PathLike | None) -> tuple[Path, str]:
    """Where to look, and who chose it: ``"argument"``, ``"env"`` or ``"cache"``."""
    if directory is not None:
        return Path(directory), "argument"
    if os.environ.get(ENV_DIR):
        return Path(os.environ[ENV_DIR]), "env"
    return cache_dir(), "cache"


def _load(where: Path, origin: str, download: bool, progress: Progress | None) -> MnistData:
    if origin == "argument":
        return read_directory(where)
    if origin == "env":
        try:
            return read_directory(where)
        except DataError as exc:
            raise type(exc)(f"{exc} (from ${ENV_DIR})") from None
    if all(_find(where, b) for b in FILES):
        try:
            return read_directory(where)
        except DamagedFile as exc:
            if not download:
                raise DamagedFile(f"{exc}; `nnplay download mnist` replaces it") from None
        # damaged, and downloading is allowed: fetch what is wrong again
    elif not download:
        raise MissingFiles(f"MNIST not found: {_howto(where)}")
    return read_directory(download_files(where, progress))


def load(
    directory: str | os.PathLike | None = None, download: bool = True, progress: Progress | None = None
) -> MnistData:
    """The full MNIST set (60,000 train / 10,000 test), found or fetched as the module docstring says."""
    where, origin = _source(directory)
    return _load(where, origin, download, progress)


def load_subset() -> MnistData:
    """The stratified subset bundled with the package, so MNIST scenarios open with no files at all."""
    ref = resources.files(__package__) / "data" / SUBSET_FILE
    try:
        with resources.as_file(ref) as path, np.load(path, allow_pickle=False) as z:
            arrays = [z[k] for k in ("train_images", "train_labels", "test_images", "test_labels")]
            location = str(path)
    except (OSError, KeyError, ValueError) as exc:
        raise DataError(f"bundled MNIST subset {SUBSET_FILE} is missing or damaged ({exc}); reinstall nnplay") from None
    return MnistData(*arrays, source="subset", location=location)


def load_or_subset(
    directory: str | os.PathLike | None = None, download: bool = False, progress: Progress | None = None
) -> MnistData:
    """The full set if it can be had (downloading only when asked), else the bundled subset saying why.

    A damaged file in a directory the user named, and a cancelled download,
    are not failures to hide: they propagate. Otherwise the subset's ``note``
    says why it is used, and ``fallback_reason`` too when the user had (or
    asked for) the full set: see the module docstring.
    """
    where, origin = _source(directory)
    try:
        return _load(where, origin, download, progress)
    except DownloadCancelled:
        raise
    except DamagedFile as exc:
        if origin != "cache":
            raise
        return _subset_instead(str(exc), loud=True)
    except DataError as exc:
        quiet = origin == "cache" and isinstance(exc, MissingFiles) and not download  # never installed
        return _subset_instead(str(exc), loud=not quiet)


def _subset_instead(why: str, loud: bool) -> MnistData:
    data = load_subset()
    data.note = f"using the bundled MNIST subset: {why}"
    if loud:
        data.fallback_reason = data.note
    return data

"""The CLI contract: one-line errors with exit 2, JSON records from `train`."""

import json
import subprocess
import sys

import pytest

from tui.cli import main


def nnplay(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "tui", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_version():
    r = nnplay("--version")
    assert r.returncode == 0 and r.stdout.startswith("nnplay ")


def test_list_names_every_scenario():
    r = nnplay("list")
    assert r.returncode == 0
    names = [line.split()[0] for line in r.stdout.splitlines()]
    assert "classify" in names and "gates" in names


def test_train_json_records_and_summary():
    r = nnplay("train", "classify", "--steps", "100", "--seed", "3", "--json")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert rows[-1]["summary"] is True and rows[-1]["steps"] == 100
    for rec in rows[:-1]:
        assert {"step", "epoch", "train_loss", "test_loss", "train_acc", "test_acc"} <= rec.keys()
    assert [rec["step"] for rec in rows[:-1]] == [25, 50, 75, 100]  # one evaluation per epoch (250 points / batch 10)


def test_train_is_reproducible_with_a_seed():
    a = nnplay("train", "classify", "--steps", "50", "--seed", "5", "--json").stdout
    b = nnplay("train", "classify", "--steps", "50", "--seed", "5", "--json").stdout
    c = nnplay("train", "classify", "--steps", "50", "--seed", "6", "--json").stdout
    assert a == b and a != c


@pytest.mark.parametrize("args,fragment", [
    (["train", "classify", "--set", "bogus=1"], "unknown setting 'bogus' for classify: allowed are"),
    (["train", "classify", "--set", "lr=fast"], "bad value 'fast' for lr"),
    (["train", "classify", "--set", "lr"], "expected key=value"),
    (["train", "nosuch"], "unknown scenario 'nosuch'"),
    (["train", "classify", "--steps", "x"], "invalid int value"),
    (["train", "classify", "--preset", "missing.toml"], "no such preset"),
    (["classify", "--device", "tpu"], "invalid choice"),
])
def test_bad_input_is_one_line_and_exit_2(args, fragment, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and fragment in err and "Traceback" not in err


def test_gpu_without_cupy_is_a_clear_error(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "cupy", None)  # import fails as when CuPy is not installed
    assert main(["train", "classify", "--device", "gpu", "--steps", "1"]) == 2
    assert "needs CuPy" in capsys.readouterr().err


def test_train_save_writes_a_loadable_model(tmp_path):
    out = tmp_path / "m.npz"
    r = nnplay("train", "classify", "--steps", "10", "--save", str(out))
    assert r.returncode == 0, r.stderr
    from engine.model import Sequential

    model = Sequential.load(out)
    assert len(model.get_weights()) == 6  # 3 dense layers (2-4-2-1), W and b each


def test_preset_reopens_the_same_setup(tmp_path):
    p = tmp_path / "s.toml"
    p.write_text('scenario = "classify"\nseed = 4\n[settings]\ndataset = "xor"\nlayers = [3]\n')
    a = nnplay("train", "--preset", str(p), "--steps", "30", "--json").stdout.splitlines()[-1]
    b = nnplay("train", "classify", "--set", "dataset=xor", "--set", "layers=3", "--seed", "4", "--steps", "30", "--json").stdout.splitlines()[-1]
    assert json.loads(a) == json.loads(b)


def test_args_is_a_leaf_and_playback_does_not_import_the_entry_module():
    """tui.args imports nothing from tui; playback and tapes reach the shared parser there, not through tui.cli."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(__file__).resolve().parents[1].joinpath("tui", "args.py").read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m == "" or m.startswith("tui")], imported
    code = "import sys, tui.playback, tui.tape; print('tui.cli' in sys.modules)"
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.stdout.strip() == "False", r.stderr


def one_error_line(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("nnplay: error: ") and "Traceback" not in err, err
    return err


@pytest.fixture
def no_training(monkeypatch):
    """Make any training step fail the test: an output path must be refused before training starts."""
    import scenarios

    def step(self, n=1):
        raise AssertionError("trained before checking the output path")

    monkeypatch.setattr(scenarios.get("classify"), "step", step)


@pytest.mark.parametrize("option", ["--save", "--save-preset"])
def test_unwritable_output_is_refused_before_training(option, tmp_path, no_training, capsys):
    assert main(["train", "classify", "--steps", "1000", option, "/nonexistent-dir/x.out"]) == 2
    assert "cannot write /nonexistent-dir/x.out: no such directory /nonexistent-dir" in one_error_line(capsys)
    assert main(["train", "classify", "--steps", "1000", option, str(tmp_path)]) == 2
    assert "it is a directory" in one_error_line(capsys)
    (tmp_path / "file").write_text("x")
    assert main(["train", "classify", "--steps", "1000", option, str(tmp_path / "file" / "x.out")]) == 2
    assert f"{tmp_path / 'file'} is not a directory" in one_error_line(capsys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]  # the check left nothing behind


def test_save_and_save_preset_must_differ(tmp_path, no_training, capsys):
    out = str(tmp_path / "x")
    assert main(["train", "classify", "--save", out, "--save-preset", out]) == 2
    assert "--save and --save-preset both name" in one_error_line(capsys)


def test_bad_steps_are_refused_before_the_run_is_built(monkeypatch, capsys):
    import scenarios

    def build(*args, **kwargs):
        raise AssertionError("built the run first")

    monkeypatch.setattr(scenarios.get("classify"), "__init__", build)
    for args in (["--steps", "-1"], ["--epochs", "-2"], ["--epochs", "nan"]):
        assert main(["train", "classify", *args]) == 2
        assert "must be >= 0" in one_error_line(capsys)


def test_save_preset_reopens_the_same_run(tmp_path):
    preset = tmp_path / "run.toml"
    a = nnplay("train", "classify", "--set", "dataset=xor", "--set", "layers=3", "--seed", "4", "--steps", "30",
               "--json", "--save-preset", str(preset))
    assert a.returncode == 0, a.stderr
    first = json.loads(a.stdout.splitlines()[-1])
    assert first.pop("saved_preset") == str(preset)
    assert (tmp_path / "run.npz").exists()  # trained: the weights and history go beside it
    b = nnplay("train", "--preset", str(preset), "--steps", "0", "--json")  # reopens at step 30, as saved
    assert b.returncode == 0, b.stderr
    assert json.loads(b.stdout.splitlines()[-1]) == first
    text = nnplay("train", "classify", "--steps", "5", "--save-preset", str(tmp_path / "t.toml")).stdout
    assert f"saved preset to {tmp_path / 't.toml'}: reopen with nnplay --preset" in text


# -- MNIST with damaged files: an error for a directory the user named, a loud fallback for the cache ----------

def _relabel(raw: bytes) -> bytes:
    import gzip

    data = bytearray(gzip.decompress(raw))
    data[-1] = (data[-1] + 1) % 10  # a valid IDX file, one label changed: only the SHA-256 can tell
    return gzip.compress(bytes(data))


MNIST_DAMAGES = [
    pytest.param(lambda raw: raw[: len(raw) // 2], "corrupt or truncated gzip", id="truncated"),
    pytest.param(lambda raw: raw[:1000] + bytes(b ^ 0xFF for b in raw[1000:1100]) + raw[1100:],
                 "corrupt or truncated gzip", id="corrupt"),
    pytest.param(_relabel, "content differs from canonical MNIST (SHA-256 mismatch)", id="checksum"),
]


def damaged_mnist(directory, mnist_dir, damage):
    """The canonical files (linked), t10k labels damaged; returns the damaged file's path."""
    from engine.datasets import mnist

    directory.mkdir(parents=True)
    for base in mnist.FILES:
        (directory / f"{base}.gz").symlink_to(mnist_dir / f"{base}.gz")
    bad = directory / "t10k-labels-idx1-ubyte.gz"
    raw = bad.read_bytes()
    bad.unlink()
    bad.write_bytes(damage(raw))
    return bad


@pytest.mark.parametrize("damage, message", MNIST_DAMAGES)
def test_train_mnist_on_a_damaged_named_directory_is_an_error(damage, message, mnist_dir, tmp_path, monkeypatch,
                                                              capsys):
    bad = damaged_mnist(tmp_path / "mine", mnist_dir, damage)
    monkeypatch.setenv("NNPLAY_MNIST_DIR", str(tmp_path / "mine"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert main(["train", "mnist", "--steps", "1"]) == 2
    err = one_error_line(capsys)
    assert f"{bad}: {message}" in err and "NNPLAY_MNIST_DIR" in err


@pytest.mark.parametrize("damage, message", MNIST_DAMAGES[:1] + MNIST_DAMAGES[2:])
def test_train_mnist_on_a_damaged_cache_falls_back_and_says_why(damage, message, mnist_dir, tmp_path, monkeypatch,
                                                                capsys):
    monkeypatch.delenv("NNPLAY_MNIST_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    bad = damaged_mnist(tmp_path / "xdg" / "nnplay" / "mnist", mnist_dir, damage)
    assert main(["train", "mnist", "--steps", "1", "--set", "hidden=8", "--json"]) == 0
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and err.startswith("nnplay: warning: using the bundled MNIST subset: ")
    assert f"{bad}: {message}" in err and "nnplay download mnist" in err
    assert json.loads(out.splitlines()[-1])["summary"] is True


@pytest.mark.parametrize("args,fragment", [
    (["list", "extra"], "unrecognized arguments: extra"),
    (["list", "--bogus"], "unrecognized arguments: --bogus"),
    (["download"], "the following arguments are required: dataset"),
    (["download", "cifar"], "invalid choice: 'cifar'"),
    (["download", "mnist", "--dir", ""], "argument --dir: must not be empty"),
    (["play"], "the following arguments are required: tape"),
    (["play", ""], "argument tape: must not be empty"),
    (["play", "t.tape", "--record", ""], "argument --record: must not be empty"),
    (["play", "t.tape", "--bogus"], "unrecognized arguments: --bogus"),
    (["train", "classify", "--save", ""], "argument --save: must not be empty"),
    (["train", "classify", "--save-preset", ""], "argument --save-preset: must not be empty"),
    (["train", "--preset", ""], "argument --preset: must not be empty"),
    (["train", ""], "argument scenario: must not be empty"),
    (["train", "classify", "--seed", "-1"], "argument --seed: '-1' is not a non-negative integer"),
    (["train", "classify", "--steps", "1", "--epochs", "1"], "not allowed with argument"),
    (["train", "classify", "--threads", "0"], "--threads must be >= 1"),
    ([""], "argument scenario: must not be empty"),
])
def test_every_command_refuses_bad_arguments_in_one_line(args, fragment, tmp_path, monkeypatch, capsys):
    """An empty path used to mean "none" (train --save '' saved nothing, exit 0) or "." (play '')."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "t.tape").write_text("Open gates\nStep 1\n")
    assert main(args) == 2
    assert fragment in one_error_line(capsys)


def test_a_closed_stdout_pipe_ends_quietly():
    """`nnplay train ... | head -1`: the reader leaves; nnplay stops without a traceback."""
    r = subprocess.run(f"{sys.executable} -m tui train classify --steps 100000 --json | head -1",
                       shell=True, capture_output=True, text=True, timeout=120)
    assert json.loads(r.stdout)["step"] == 25 and r.stderr == ""


def test_train_until_stops_early_and_says_which():
    r = nnplay("train", "classify", "--steps", "2000", "--until", "test_acc>=1.5", "--until", "epoch=3", "--json")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert rows[-1]["stopped_by"] == "epoch=3" and rows[-1]["steps"] == 75


def test_train_until_step_stops_exactly_there_without_steps_given():
    r = nnplay("train", "classify", "--until", "step=7", "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.splitlines()[-1])
    assert summary["steps"] == 7 and summary["stopped_by"] == "step=7"


def test_train_until_accuracy():
    r = nnplay("train", "classify", "--until", "test_acc>=0.9", "--seed", "0", "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.splitlines()[-1])
    assert summary["stopped_by"] == "test_acc>=0.9" and summary["test_acc"] >= 0.9


def test_train_until_not_met_reports_null_and_plain_output_says_so():
    r = nnplay("train", "classify", "--steps", "30", "--until", "loss<1e-9", "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.splitlines()[-1])
    assert summary["stopped_by"] is None and summary["steps"] == 30
    plain = nnplay("train", "classify", "--steps", "30", "--until", "loss<1e-9")
    assert "no stop condition was met in 30 steps" in plain.stdout
    plain = nnplay("train", "classify", "--until", "epoch=1")
    assert "stopped by epoch=1" in plain.stdout


def test_train_summary_has_stopped_by_null_without_until():
    r = nnplay("train", "classify", "--steps", "25", "--json")
    assert json.loads(r.stdout.splitlines()[-1])["stopped_by"] is None


def test_train_until_from_the_setting():
    r = nnplay("train", "regress", "--set", "until=step=12", "--json")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.splitlines()[-1])
    assert summary["steps"] == 12 and summary["stopped_by"] == "step=12"


def test_train_bad_until_is_one_line_exit_2(capsys):
    assert main(["train", "classify", "--until", "acc>0.9"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad stop condition" in err and "test_acc" in err


def test_train_help_mentions_until_cap(capsys):
    with pytest.raises(SystemExit):
        main(["train", "--help"])
    out = capsys.readouterr().out
    assert "--until" in out and "default length" in out

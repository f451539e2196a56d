"""`nnplay bench`: options, output format, skipping without data, and fair references (no timing asserts)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from engine import bench, builders
from tui import bench as bench_cli
from engine.bench import timing, workloads
from engine.losses import get_loss
from engine.optimizers import SGD

FAST = ["--quick", "--repeats", "1", "--no-torch"]


def run(capsys, *args):
    code = bench_cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def json_lines(out):
    return [json.loads(line) for line in out.splitlines()]


def test_defaults():
    args = bench_cli.parser().parse_args([])
    assert (args.workload, args.threads, args.json, args.repeats) == ("ALL", 1, False, 5)
    assert bench_cli.parser().parse_args(["--workload", "w3"]).workload == "W3"


@pytest.mark.parametrize("bad", [["--workload", "W9"], ["--threads", "0"], ["--threads", "two"],
                                 ["--repeats", "0"], ["--frobnicate"], ["extra"]])
def test_bad_options_exit_2_with_one_line(capsys, bad):
    code, out, err = run(capsys, *bad)
    assert code == 2 and out == ""
    assert err.startswith("nnplay bench: error:") and err.count("\n") == 1


def test_cli_dispatches_bench_errors():
    r = subprocess.run([sys.executable, "-m", "tui", "bench", "--workload", "W5"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "Traceback" not in r.stderr and r.stderr.count("\n") == 1


def test_w1_json_lines(capsys):
    code, out, _ = run(capsys, "--workload", "W1", "--json", *FAST)
    assert code == 0
    info, *rows = json_lines(out)
    assert info["kind"] == "info" and info["threads"] == 1 and info["torch"] is None
    assert [r["metric"] for r in rows] == ["train_steps_per_s", "grid_forward_ms"]
    for r in rows:
        assert {"workload", "name", "metric", "unit", "better", "engine", "torch", "vs_torch",
                "numpy_ref", "vs_numpy"} <= r.keys()
        assert r["workload"] == "W1" and r["torch"] is None and r["vs_torch"] is None
        assert r["engine"] > 0 and r["numpy_ref"] > 0 and r["vs_numpy"] > 0


def test_w1_table(capsys):
    code, out, _ = run(capsys, "--workload", "W1", *FAST)
    assert code == 0
    assert "no torch figures" in out and "train_steps_per_s" in out and "grid_forward_ms" in out


def test_w2_on_bundled_subset(capsys):
    code, out, _ = run(capsys, "--workload", "W2", "--json", "--subset", *FAST)
    assert code == 0
    rows = {r["metric"]: r for r in json_lines(out)[1:]}
    assert set(rows) == {"samples_per_s", "epoch_s", "test_acc_1_epoch"}
    assert all(r["data"] == "subset" and r["engine"] > 0 for r in rows.values())
    assert rows["test_acc_1_epoch"]["engine"] > 0.5  # learnt something in one pass over 2,000 digits


def test_w4_on_bundled_subset_reports_not_reached(capsys):
    code, out, _ = run(capsys, "--workload", "W4", "--json", "--subset", *FAST)
    assert code == 0
    seconds, acc, epochs = json_lines(out)[1:]
    assert seconds["reached"] == {"engine": False} and seconds["engine"] is None
    assert 0 < acc["engine"] < bench.TARGET and acc["engine_pp_below_99_2"] > 0
    assert epochs["engine"] == 1.0


def test_missing_mnist_explicit_workload_is_an_error(capsys, tmp_path):
    code, out, err = run(capsys, "--workload", "W2", "--mnist-dir", str(tmp_path), *FAST)
    assert code == 2 and out == ""
    assert "MNIST" in err and err.count("\n") == 1


def test_missing_mnist_skips_in_all(capsys, tmp_path):
    code, out, _ = run(capsys, "--json", "--mnist-dir", str(tmp_path), *FAST)
    assert code == 0
    rows = json_lines(out)[1:]
    assert [r["workload"] for r in rows if r["kind"] == "metric"] == ["W1", "W1"]
    skipped = [r for r in rows if r["kind"] == "skipped"]
    assert [r["workload"] for r in skipped] == ["W2", "W3", "W4"] and all(r["reason"] for r in skipped)


def test_ratio_means_engine_speed_over_reference_speed():
    assert bench.ratio(200.0, 100.0, "higher") == 2.0  # twice the steps/s
    assert bench.ratio(1.0, 2.0, "lower") == 2.0  # half the seconds
    assert bench.ratio(0.98, 0.97, None) is None and bench.ratio(1.0, None, "higher") is None


def test_numpy_reference_computes_the_engines_step():
    """Same weights, same batch: same loss, and the same weights after one SGD step."""
    model = workloads.playground_net(seed=3)
    ref = bench.NumpyMLP.from_model(model)
    x, y = workloads.playground_data()
    xb, yb = x[:10], y[:10]
    loss = get_loss("mse")
    engine_loss = loss.forward(model.forward(xb, True), yb)
    model.backward(loss.backward())
    SGD(0.03).step(model)
    ref_loss = ref.step(xb, yb, 0.03)
    assert engine_loss == pytest.approx(ref_loss, rel=1e-5)
    dense = [layer for layer in model.layers if layer.params]
    for layer, (w, b) in zip(dense, ref.weights, strict=True):
        np.testing.assert_allclose(layer.params["W"], w, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(layer.params["b"], b, rtol=1e-5, atol=1e-7)


def test_time_to_target_follows_the_recipe():
    """Tests at epoch 1, then every half epoch; stops at the first accuracy >= 99 %; lr decays per epoch."""
    n, recipe = 1000, dict(bench.W4_RECIPE, batch=100, lr=1.0, decay=0.5, max_epochs=5)
    state = {"seen": 0, "lrs": []}
    accs = iter([0.98, 0.9899, 0.9905, 0.999])

    def step(k):
        state["seen"] += 100 * k

    seconds, acc, epochs, reached, tests = bench.time_to_target(
        step, state["lrs"].append, lambda: next(accs), lambda: state["seen"], n, recipe)
    assert reached and acc == 0.9905 and epochs == 2.0
    assert [t[0] for t in tests] == [1.0, 1.5, 2.0] and seconds >= 0
    assert state["lrs"][0] == 1.0 and state["lrs"][-1] == pytest.approx(0.5 ** 1.5)


def test_time_to_target_gives_up_after_max_epochs():
    recipe = dict(bench.W4_RECIPE, batch=500, max_epochs=2)
    seen = [0]
    *_, epochs, reached, tests = bench.time_to_target(
        lambda k: seen.__setitem__(0, seen[0] + 500 * k), lambda lr: None, lambda: 0.5, lambda: seen[0], 1000, recipe)
    assert not reached and epochs == 2.0 and len(tests) == 3


def test_torch_copy_computes_the_same_function():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    for model, x in [(workloads.playground_net(), rng.normal(size=(7, 2)).astype(np.float32)),
                     (builders.cnn((4, 6), (12,), pool_first=True), rng.random((3, 1, 28, 28), dtype=np.float32))]:
        with torch.inference_mode():
            theirs = bench.to_torch(model, torch)(torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(model.forward(x), theirs, rtol=1e-4, atol=1e-5)


def test_info_names_the_machine_and_libraries(capsys):
    code, out, _ = run(capsys, "--workload", "W1", "--json", *FAST)
    info = json_lines(out)[0]
    assert code == 0 and info["cpu"] and info["numpy"] == np.__version__ and info["python"]
    assert info["blas"] and all({"internal_api", "version", "architecture", "num_threads"} <= b.keys() for b in info["blas"])
    assert all(b["num_threads"] == 1 for b in info["blas"])  # reported inside the thread limit


def test_w1_rows_carry_medians_and_spreads(capsys):
    code, out, _ = run(capsys, "--workload", "W1", "--json", "--quick", "--repeats", "3", "--no-torch")
    for r in json_lines(out)[1:]:
        assert r["engine_min"] <= r["engine"] <= r["engine_max"]
        assert r["vs_numpy_min"] <= r["vs_numpy"] <= r["vs_numpy_max"]


def test_w3_on_bundled_subset(capsys):
    code, out, _ = run(capsys, "--workload", "W3", "--json", "--subset", *FAST)
    rows = {r["metric"]: r for r in json_lines(out)[1:]}
    assert code == 0 and rows["samples_per_s"]["engine"] > 0 and rows["epoch_s"]["engine_cpu_s"] > 0
    assert rows["test_acc_1_epoch"]["engine"] > 0.3


def test_take_turns_alternates_and_times_each_chunk():
    order = []

    def gen(name, n):
        for i in range(n):
            order.append(name)
            yield 10

    times = timing.take_turns({"a": gen("a", 3), "b": gen("b", 2)})
    assert order == ["a", "b", "b", "a", "a"]
    assert [len(times["a"]), len(times["b"])] == [3, 2] and all(u == 10 for _, u, _ in times["a"])
    assert timing.summary([3.0, 1.0, 2.0]) == {"median": 2.0, "min": 1.0, "max": 3.0, "n": 3}
    assert timing.paired_ratios([(1.0, 20, 0), (1.0, 30, 0)], [(1.0, 10, 0), (2.0, 30, 0)]) == [2.0, 2.0]
    assert timing.chunk_sizes(10, 3) == [4, 3, 3] and timing.chunk_sizes(2, 5) == [1, 1]

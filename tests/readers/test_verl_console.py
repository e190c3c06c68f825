"""verl console logs: every real log in shared/external against MANIFEST.json, plus edge cases."""

import math
import pprint
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from paths import EXTERNAL, manifest
from entropy_lens.readers.verl_console import VerlConsoleReader, console_value, parse_fields

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "verl" / "run" / "train.log"
RAY = "\x1b[36m(TaskRunner pid=7)\x1b[0m "


@pytest.mark.parametrize("entry", manifest("verl_console_log"))
def test_real_logs_match_manifest(entry):
    path, reader = EXTERNAL / entry["file"], VerlConsoleReader()
    if entry["n_steps"] == 0:  # the crash log (run_alfworld_dev_h100_warmup.txt) has no step line
        assert not reader.sniff(path)
        return
    assert reader.sniff(path)
    table = reader.read(path)
    steps = table.frame["step"].unique().sort()
    assert (steps.len(), steps[0], steps[-1]) == (entry["n_steps"], entry["step_min"], entry["step_max"])
    assert set(table.frame["raw_name"]) == set(entry["metric_keys"]) and table.problems == []
    if entry["entropy_key"]:
        entropy = table.frame.filter(pl.col("raw_name") == entry["entropy_key"]).sort("step")["value"]
        golden = entry["entropy"]
        assert (entropy.len(), entropy[0], entropy[-1]) == (golden["n"], golden["first"], golden["last"])
        assert (entropy.min(), entropy.max()) == (golden["min"], golden["max"])


def test_pformat_values_round_trip_exactly():
    """Lines written the way verl writes them give back the float64 values bit for bit."""
    rng = np.random.default_rng(0)
    values = [np.float64(v) for v in rng.standard_normal(200) * 10.0 ** rng.integers(-8, 8, 200)]
    values += [np.int32(3), np.int64(-7), 5, True, float("inf"), np.float64("-inf")]
    fields = " - ".join(f"k{i}:{pprint.pformat(v)}" for i, v in enumerate(values))
    pairs, bad = parse_fields(fields)
    assert bad == [] and [v for _, v in pairs] == [float(v) for v in values]
    assert console_value(pprint.pformat(np.float32(0.1))) == 0.1  # float32 prints its shortest repr
    assert math.isnan(console_value("np.float64(nan)")) and math.isnan(console_value("nan"))
    assert console_value("np.longdouble('0.25')") == 0.25 and console_value("Decimal('1')") is None


def test_fixture_run_log_merges_lines_and_strips_noise():
    table = VerlConsoleReader().read(FIXTURE)
    frame = table.frame
    assert table.problems == [] and sorted(frame["step"].unique()) == [0, 1, 2, 3, 4, 5, 6]
    at3 = dict(frame.filter(pl.col("step") == 3).select("raw_name", "value").iter_rows())
    assert at3["val-core/openai/gsm8k/reward/mean@1"] == 0.5 and "actor/entropy" in at3  # two lines, one step
    grad_norm = frame.filter((pl.col("step") == 4) & (pl.col("raw_name") == "actor/grad_norm"))["value"]
    assert math.isnan(grad_norm[0])
    assert {"episode/webshop_task_score (not success_rate)", "Tokens/Sec/GPU"} <= set(frame["raw_name"])
    assert frame.filter(pl.col("step") == 5).height == 11  # after a progress bar on the same physical line


@pytest.mark.parametrize(
    ("content", "rows", "problem_lines"),
    [
        (b"", 0, []),
        (f"{RAY}step:1 - a:np.float64(0.5) - b:abc - c:1.0\n".encode(), 2, [1]),  # non-numeric value
        (b"step:1 - a:0.5\nstep:1 - a:0.7\n", 2, []),  # repeated key: both, in order (read_run keeps the later)
        (b"step:1 - a:0.5\nstep:2 - a:0.25 - b:np.float64(0.1", 2, [2]),  # cut off mid-write
        (b"step:1 - a:\xff\xfe0.5 - b:2\n\x00\x00step:2 - a:nan\n", 2, [1]),  # non-UTF-8, NUL bytes
    ],
    ids=["empty", "non-numeric", "duplicate", "truncated", "non-utf8"],
)
def test_edge_cases(tmp_path, content, rows, problem_lines):
    path = tmp_path / "stdout.log"
    path.write_bytes(content)
    table = VerlConsoleReader().read(path)
    assert table.frame.height == rows and [p.line for p in table.problems] == problem_lines
    if content.startswith(b"step:1 - a:0.5\nstep:1"):
        assert table.frame["value"].to_list() == [0.5, 0.7]


def test_sniff_needs_a_step_line(tmp_path):
    reader = VerlConsoleReader(scan_bytes=1024)
    late, markdown = tmp_path / "late.out", tmp_path / "notes.md"
    late.write_bytes(b"noise\n" * 400 + b"step:1 - a:1\n")  # first step line after 2400 bytes
    markdown.write_bytes(b"step:1 - a:1\n")
    config = tmp_path / "config.txt"
    config.write_bytes(b"training/global_step:3 - x:1\nsave_freq_step: 5 - 3\n")
    assert not reader.sniff(late) and VerlConsoleReader().sniff(late)
    assert not reader.sniff(markdown) and not reader.sniff(config)

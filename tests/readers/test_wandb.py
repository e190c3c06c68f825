"""W&B ``run-<id>.wandb`` files: real offline runs made here with ``wandb.init(mode="offline")``,
and the one transformers' ``WandbCallback`` wrote during the TRL fixture run (tests/fixtures/trl)."""

from __future__ import annotations

import json
import math
import struct
import sys
import zlib
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from entropy_lens import read_run
from entropy_lens.errors import InvalidInput, MissingDependency
from entropy_lens.readers.wandb import WandbRunReader
from entropy_lens.readers.wandb_datastore import BLOCK, HEADER, payloads

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
TRL_RUN = FIXTURES / "wandb" / "trl_grpo_run.wandb"
BIG_TEXT = "x" * 70_000  # one history record spread over three 32 KiB blocks (FIRST, MIDDLE, LAST)
N_STEPS = 300


def frame(records: list[bytes]) -> bytes:
    """The inverse of ``payloads``: LevelDB log framing with W&B's header and CRC (test helper)."""
    out = bytearray(HEADER)
    for data in records:
        first = True
        while True:
            left = BLOCK - len(out) % BLOCK
            if left < 7:
                out += b"\0" * left
                continue
            chunk, data = data[: left - 7], data[left - 7 :]
            kind = (1 if not data else 2) if first else (4 if not data else 3)
            out += struct.pack("<IHB", zlib.crc32(bytes([kind]) + chunk), len(chunk), kind) + chunk
            first = False
            if not data:
                break
    return bytes(out)


def entropy(step: int) -> float:
    return 1.0 / (step + 3)


@pytest.fixture(scope="module")
def offline_run(tmp_path_factory) -> Path:
    """A real offline run: a trainer-style step metric, NaN, nested keys, text and a media table."""
    wandb = pytest.importorskip("wandb")
    folder = tmp_path_factory.mktemp("wandb_run")
    run = wandb.init(mode="offline", dir=folder, project="p", settings=wandb.Settings(silent=True))
    run.define_metric("train/global_step")
    run.define_metric("*", step_metric="train/global_step", step_sync=True)
    run.log({"profiling/generate_s": 0.5})  # before any global step: wandb-core writes global step 0
    for step in range(1, N_STEPS + 1):
        row = {"train/global_step": 10 * step, "actor/entropy": entropy(step), "nested": {"kl": step / 7}}
        row["critic/score/mean"] = math.nan if step == 5 else step / N_STEPS
        if step == 150:
            row["note"] = BIG_TEXT
            row["samples"] = wandb.Table(columns=["prompt", "response"], data=[["p", "r"]])
        run.log(row)
        run.log({"perf/throughput": float(step)})  # no step metric in the row: step_sync fills it
    run.finish()
    (path,) = folder.glob("wandb/offline-run-*/run-*.wandb")
    return path


@pytest.fixture(scope="module")
def table(offline_run):
    return WandbRunReader().read(offline_run)


def finite_rows(frame) -> set[tuple]:
    return {row[:3] for row in frame.rows() if not math.isnan(row[2])}


def series(frame, key):
    rows = frame.filter(frame["raw_name"] == key).sort("step")
    return rows["step"].to_list(), rows["value"].to_list()


def test_history_under_the_declared_step_metric(table):
    steps, values = series(table.frame, "actor/entropy")
    assert steps == [10 * s for s in range(1, N_STEPS + 1)]
    assert values == [entropy(s) for s in range(1, N_STEPS + 1)]  # float64 JSON round trip: exact
    assert series(table.frame, "perf/throughput")[0] == steps  # synced to the last global step
    assert series(table.frame, "nested.kl")[1][6] == 1.0
    scores = dict(zip(*series(table.frame, "critic/score/mean")))
    assert math.isnan(scores[50]) and scores[60] == 6 / N_STEPS


def test_internal_keys_text_and_media_are_not_metrics(table):
    keys = set(table.frame["raw_name"].unique())
    assert keys == {"actor/entropy", "critic/score/mean", "nested.kl", "perf/throughput", "profiling/generate_s"}
    assert series(table.frame, "profiling/generate_s") == ([0], [0.5])
    assert not table.problems


def test_record_over_several_blocks_is_read(offline_run, table):
    problems = []
    sizes = [len(data) for _, data in payloads(offline_run, problems)]
    assert max(sizes) > 2 * BLOCK and not problems
    assert 1500 in series(table.frame, "actor/entropy")[0]  # the row that carried the long text


def test_framing_round_trips_byte_for_byte(offline_run):
    for path in (offline_run, TRL_RUN):
        records = [data for _, data in payloads(path, [])]
        assert frame(records) == path.read_bytes()


@pytest.mark.parametrize("cut", [7 + 3, BLOCK + 100, -5])
def test_truncated_file_keeps_what_came_before(tmp_path, offline_run, table, cut):
    data = offline_run.read_bytes()
    path = tmp_path / "run-cut.wandb"
    path.write_bytes(data[:cut])
    if cut == 7 + 3:
        with pytest.raises(InvalidInput, match="no readable history"):
            WandbRunReader().read(path)
        return
    partial = WandbRunReader().read(path)
    assert any("file ends mid-record" in p.reason for p in partial.problems)
    kept = finite_rows(partial.frame)
    assert kept and kept <= finite_rows(table.frame)


def test_bad_checksum_skips_only_its_block(tmp_path, offline_run, table):
    data = bytearray(offline_run.read_bytes())
    data[BLOCK + 40] ^= 0xFF
    path = tmp_path / "run-flipped.wandb"
    path.write_bytes(bytes(data))
    damaged = WandbRunReader().read(path)
    assert any("checksum mismatch" in p.reason for p in damaged.problems)
    steps = set(series(damaged.frame, "actor/entropy")[0])
    assert 10 * N_STEPS in steps and len(steps) < N_STEPS  # later blocks still read


def test_transformers_wandb_callback_run(tmp_path):
    pytest.importorskip("wandb")
    table = WandbRunReader().read(TRL_RUN)
    assert not table.problems
    steps, values = series(table.frame, "train/entropy")
    assert steps == [1, 2, 3]  # train/global_step, while _step counts every wandb.log call (0…28)
    state = json.loads((FIXTURES / "trl" / "grpo_run" / "checkpoint-3" / "trainer_state.json").read_text())
    assert values == [row["entropy"] for row in state["log_history"]]  # two real writers agree
    assert not any(k.startswith(("completions", "_")) for k in table.frame["raw_name"].unique())
    run = read_run(TRL_RUN)
    assert run.source_format == "wandb" and run.series("reward")["value"].to_list() == [
        row["reward"] for row in state["log_history"]
    ]


def test_plain_step_when_no_step_metric(tmp_path):
    pytest.importorskip("wandb")  # records framed by hand: flat ``key`` items, as older clients wrote
    records = [_history({"_step": 4, "actor/entropy": 0.25, "_runtime": 1.0}), _history({"_step": 5, "kl": "NaN"})]
    path = tmp_path / "run-x.wandb"
    path.write_bytes(frame(records))
    rows = WandbRunReader().read(path).frame.rows()
    assert rows[0] == (4, "actor/entropy", 0.25, "x")  # the run id, from the file name here
    assert rows[1][:2] == (5, "kl") and math.isnan(rows[1][2])


def test_values_before_a_declared_step_metric_are_counted(tmp_path):
    pytest.importorskip("wandb")
    from wandb.proto.wandb_internal_pb2 import Record

    declare = Record()
    declare.metric.glob_name, declare.metric.step_metric = "*", "trainer/global_step"
    records = [declare.SerializeToString(), _history({"_step": 0, "kl": 0.1})]
    records.append(_history({"_step": 1, "kl": 0.2, "trainer/global_step": 7}))
    path = tmp_path / "run-y.wandb"
    path.write_bytes(frame(records))
    table = WandbRunReader().read(path)
    assert table.frame.rows() == [(7, "kl", 0.2, "y")]
    assert [p.reason for p in table.problems] == ["1 values logged before their step metric"]


def _history(values: dict) -> bytes:
    from wandb.proto.wandb_internal_pb2 import Record

    record = Record()
    for key, value in values.items():
        item = record.history.item.add()
        item.key = key
        item.value_json = value if isinstance(value, str) else json.dumps(value)
    return record.SerializeToString()


def test_not_a_wandb_file(tmp_path):
    path = tmp_path / "run-x.wandb"
    path.write_bytes(b"")
    assert not WandbRunReader().sniff(path)
    with pytest.raises(InvalidInput, match="no ':W&B' header") as info:
        WandbRunReader().read(path)
    assert info.value.path == path


def test_missing_wandb_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "wandb.proto.wandb_internal_pb2", None)
    with pytest.raises(MissingDependency, match=r"pip install 'entropy-lens\[wandb\]'"):
        WandbRunReader().read(TRL_RUN)


def _read_or_invalid(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "run-h.wandb"
    path.write_bytes(data)
    try:
        WandbRunReader().read(path)
    except InvalidInput as exc:
        assert exc.path == path


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=300), with_header=st.booleans())
def test_any_bytes_parse_or_raise_invalid_input(tmp_path, body, with_header):
    pytest.importorskip("wandb")
    _read_or_invalid(tmp_path, (HEADER if with_header else b"") + body)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    records=st.lists(
        st.one_of(
            st.binary(max_size=80),
            st.dictionaries(
                st.sampled_from(["_step", "train/global_step", "actor/entropy", "x.y"]),
                st.one_of(st.text(max_size=12), st.sampled_from(["1e999", "-1e999", "NaN", "[[[", "1" * 400])),
                max_size=4,
            ).map(_history),
        ),
        max_size=6,
    )
)
def test_well_framed_arbitrary_records_parse_or_raise_invalid_input(tmp_path, records):
    pytest.importorskip("wandb")
    _read_or_invalid(tmp_path, frame(records))

"""MLflow stores written by the real MLflow client (tests/fixtures/mlflow/generate.py): a file store
and two SQL stores (sqlite, gzip-compressed here), all holding the same logged calls, and a small
uncompressed SQL store (512-byte pages) that the reader fuzz tests damage."""

from __future__ import annotations

import gzip
import math
import os
import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from entropy_lens import read_run
from entropy_lens.errors import InvalidInput, SeveralRuns
from entropy_lens.readers import read_runs
from entropy_lens.readers.mlflow import MlflowFileStoreReader, MlflowSqliteReader

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "mlflow"
MLRUNS = FIXTURE / "mlruns"
KEYS = {"actor/entropy", "critic/score/mean", "response_length/mean", "val-core/openai/gsm8k/reward/mean@1"}


def planted_entropy(run: str, step: int) -> float:
    """The curve generate.py logged."""
    if run == "ppo-b" and step == 7:
        return math.nan
    return round(0.5 - 0.02 * step + (0.1 if run == "ppo-b" else 0.0), 6)


def unpack(name: str, folder: Path) -> Path:
    path = folder / name.removesuffix(".gz")
    with gzip.open(FIXTURE / name) as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


def keyed_runs(frame) -> dict[tuple[str, int, str], float]:
    rows = frame.select("run", "step", "raw_name", "value").rows()
    return {(run, step, name): value for run, step, name, value in rows}


def check_two_runs(values: dict[tuple[str, int, str], float]) -> None:
    assert {(run, name) for run, _, name in values} == {(run, key) for run in ("ppo-a", "ppo-b") for key in KEYS}
    for run in ("ppo-a", "ppo-b"):
        for step in range(12):
            got, want = values[(run, step, "actor/entropy")], planted_entropy(run, step)
            assert got == want or (math.isnan(got) and math.isnan(want))
    assert values[("ppo-a", 10, "val-core/openai/gsm8k/reward/mean@1")] == 0.5


def test_file_store_keeps_runs_apart_and_skips_the_deleted_one():
    runs = read_runs(MLRUNS)
    assert [run.name for run in runs] == ["ppo-a", "ppo-b"]
    for run in runs:
        assert run.source_format == "mlflow" and not run.problems and not run.notes
        assert sorted(s.rows for s in run.sources) == [0, 39]  # the deleted run's folder: no rows
        assert set(run.metrics["raw_name"]) == KEYS  # 3 keys × 12 steps + 3 validation steps
    rows = [(run.name, *row) for run in runs for row in run.metrics.select("step", "raw_name", "value").rows()]
    check_two_runs({row[:3]: row[3] for row in rows})
    with pytest.raises(SeveralRuns, match="holds 2 runs: ppo-a, ppo-b. Pick one with --run NAME"):
        read_run(MLRUNS)
    assert read_run(MLRUNS, run="ppo-b").series("entropy")["value"][0] == planted_entropy("ppo-b", 0)


def test_sql_store_matches_the_file_store(tmp_path):
    database = unpack("mlflow.db.gz", tmp_path)
    assert MlflowSqliteReader().sniff(database)
    table = MlflowSqliteReader().read(database)
    assert not table.problems
    check_two_runs(keyed_runs(table.frame))
    sql = {run.name: run.metrics.select("step", "raw_name", "value") for run in read_runs(database)}
    files = {run.name: run.metrics.select("step", "raw_name", "value") for run in read_runs(MLRUNS)}
    assert sql.keys() == files.keys() == {"ppo-a", "ppo-b"}
    for name in sql:
        assert sorted(map(str, sql[name].rows())) == sorted(map(str, files[name].rows()))


def store(name: str, folder: Path) -> Path:
    """A copy of the fixture store ``name`` in ``folder`` (gzip ones unpacked)."""
    if name.endswith(".gz"):
        return unpack(name, folder)
    return Path(shutil.copy(FIXTURE / name, folder / Path(name).name))


@pytest.mark.parametrize("name", ["single.db.gz", "small/mlflow.db"])
def test_single_run_store_keeps_raw_keys_and_canonical_names(tmp_path, name):
    run = read_run(store(name, tmp_path))
    assert set(run.metrics["raw_name"]) == KEYS
    assert {"entropy", "reward", "response_length", "val/reward"} <= set(run.metric_names)
    assert run.series("entropy")["value"].to_list() == [planted_entropy("ppo-a", s) for s in range(12)]
    assert run.series("val/reward")["step"].to_list() == [0, 5, 10]


def test_store_is_opened_read_only(tmp_path):
    database = unpack("mlflow.db.gz", tmp_path)
    before = database.read_bytes(), database.stat().st_mtime_ns
    os.chmod(database, 0o444)
    os.chmod(tmp_path, 0o555)
    try:
        MlflowSqliteReader().read(database)
    finally:
        os.chmod(tmp_path, 0o755)
    assert (database.read_bytes(), database.stat().st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlflow.db"]


def test_bad_rows_of_the_sql_store_are_counted(tmp_path):
    database = unpack("single.db.gz", tmp_path)
    with sqlite3.connect(database) as connection:  # damage a copy the way a foreign writer could
        connection.execute("UPDATE metrics SET value = 'high' WHERE key = 'actor/entropy' AND step = 3")
    table = MlflowSqliteReader().read(database)
    assert len(table.problems) == 1 and "'actor/entropy': step 3, value 'high'" in table.problems[0].reason
    assert table.frame.height == 12 * 3 + 3 - 1


@pytest.mark.parametrize("data", [b"SQLite format 3\x00" + b"\x00" * 200, b"just text"])
def test_not_a_store_names_the_file(tmp_path, data):
    path = tmp_path / "mlflow.db"
    path.write_bytes(data)
    assert not MlflowSqliteReader().sniff(path)
    with pytest.raises(InvalidInput, match="not a readable MLflow store") as info:
        MlflowSqliteReader().read(path)
    assert info.value.path == path


def copy_run(tmp_path: Path, name: str) -> Path:
    """One run folder of the fixture store, alone in a store of its own."""
    source = next(p.parent for p in MLRUNS.glob("*/*/meta.yaml") if f"run_name: {name}" in p.read_text())
    target = tmp_path / "mlruns" / "1" / source.name
    shutil.copytree(source, target)
    return target


def test_a_lone_run_keeps_raw_keys(tmp_path):
    run = read_run(copy_run(tmp_path, "ppo-b"))
    assert set(run.metrics["raw_name"]) == KEYS
    assert math.isnan(run.series("entropy").filter(step=7)["value"][0])


def test_bad_metric_lines_are_counted_with_their_line(tmp_path):
    folder = copy_run(tmp_path, "ppo-a") / "metrics"
    with open(folder / "actor" / "entropy", "ab") as handle:
        handle.write(b"garbage line\n1795720000000 0.75\n1795720000001 \xff 3\n")
    table = MlflowFileStoreReader().read(folder)
    reasons = [(p.line, p.reason) for p in table.problems]
    assert [line for line, _ in reasons] == [13, 15] and all("'actor/entropy'" in r for _, r in reasons)
    assert (0, "actor/entropy", 0.75, "ppo-a") in table.frame.rows()  # MLflow < 1.0 lines have no step


def test_sniff_claims_run_metrics_folders_only(tmp_path):
    reader = MlflowFileStoreReader()
    metrics = next(MLRUNS.glob("*/*/metrics"))
    assert reader.sniff(metrics)
    assert not reader.sniff(metrics.parent) and not reader.sniff(MLRUNS)
    (tmp_path / "metrics").mkdir()
    assert not reader.sniff(tmp_path / "metrics")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.binary(max_size=200))
def test_any_metric_file_bytes_parse(tmp_path, lines):
    folder = tmp_path / "store" / "1" / "abc" / "metrics"
    folder.mkdir(parents=True, exist_ok=True)
    (folder.parent / "meta.yaml").write_text("run_id: abc\nrun_name: r\n")
    (folder / "kl").write_bytes(lines)
    table = MlflowFileStoreReader().read(folder)
    assert set(table.frame["raw_name"]) <= {"kl"}


def test_small_store_stays_under_300_kb_in_512_byte_pages():
    path = FIXTURE / "small" / "mlflow.db"
    assert path.stat().st_size < 300_000 and MlflowSqliteReader().sniff(path)
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as connection:
        assert connection.execute("PRAGMA page_size").fetchone() == (512,)


@pytest.mark.parametrize("table", ["metrics", "runs"])
def test_schema_text_that_is_not_utf8_names_the_file(tmp_path, table):
    # sqlite then reports "malformed database schema (metrics) - near "\xff"", which Python cannot decode
    data = (FIXTURE / "small" / "mlflow.db").read_bytes()
    path = tmp_path / "mlflow.db"
    create = f'CREATE TABLE "{table}" ('.encode()
    path.write_bytes(data.replace(create, create[:-1] + b"\xff", 1))
    assert path.read_bytes() != data
    assert not MlflowSqliteReader().sniff(path)
    with pytest.raises(InvalidInput, match="not a readable MLflow store") as info:
        MlflowSqliteReader().read(path)
    assert info.value.path == path


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(0, 20_000), junk=st.binary(min_size=1, max_size=64))
def test_damaged_sql_store_parses_or_raises_invalid_input(tmp_path, cut, junk):
    with gzip.open(FIXTURE / "single.db.gz") as handle:
        data = handle.read()
    path = tmp_path / "damaged.db"
    path.write_bytes(data[:cut] + junk + data[cut + len(junk) :])
    try:
        MlflowSqliteReader().read(path)
    except InvalidInput as exc:
        assert exc.path == path

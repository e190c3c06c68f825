import json
import math
import os
import stat
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from entropy_lens.errors import OutputNotWritable
from entropy_lens.outputs import MARKER, check_out_dir, dumps, jsonable, mark, write_json, write_parquet, write_text


def test_jsonable_turns_numpy_and_nonfinite_into_json():
    payload = {"a": np.float64(0.5), "b": [np.int32(3), float("nan")], "c": np.array([1.0, np.inf])}
    assert jsonable(payload) == {"a": 0.5, "b": [3, None], "c": [1.0, None]}
    assert json.loads(dumps(payload)) == {"a": 0.5, "b": [3, None], "c": [1.0, None]}


def test_atomic_writes_leave_no_temp_files(tmp_path):
    write_text(tmp_path / "r.html", "<p>x</p>")
    write_json(tmp_path / "d.json", {"x": math.nan})
    write_parquet(tmp_path / "t" / "m.parquet", pl.DataFrame({"step": [1, 2]}))
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["d.json", "m.parquet", "r.html", "t"]
    assert json.loads((tmp_path / "d.json").read_text()) == {"x": None}
    assert pl.read_parquet(tmp_path / "t" / "m.parquet")["step"].to_list() == [1, 2]


def test_failed_write_keeps_the_old_file(tmp_path):
    target = tmp_path / "d.json"
    target.write_text('{"old": true}')

    class Unserialisable:
        pass

    try:
        write_json(target, {"x": Unserialisable()})
    except TypeError:
        pass
    assert json.loads(target.read_text()) == {"old": True}
    assert [p.name for p in tmp_path.iterdir()] == ["d.json"]


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_files_get_the_mode_open_would_give(tmp_path, umask, mode):
    before = os.umask(umask)
    try:
        paths = [
            write_text(tmp_path / "r.html", "x"),
            write_json(tmp_path / "d.json", {}),
            write_parquet(tmp_path / "m.parquet", pl.DataFrame({"step": [1]})),
            mark(tmp_path / "out") / MARKER,
        ]
    finally:
        os.umask(before)
    assert [stat.S_IMODE(p.stat().st_mode) for p in paths] == [mode] * 4


def test_unwritable_places_are_one_error_naming_the_folder(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(OutputNotWritable, match=f"^{blocker}/out: cannot write output here .*is a file"):
        check_out_dir(blocker / "out", frozenset())
    with pytest.raises(OutputNotWritable, match="choose another --out$"):
        write_text(blocker / "out" / "r.html", "x")
    with pytest.raises(OutputNotWritable):
        mark(Path("/proc/entropy-lens-test"))  # not creatable, even by root


def test_the_marker_is_ours_and_only_in_output_folders(tmp_path):
    write_text(tmp_path / "plain" / "r.html", "x")
    assert not (tmp_path / "plain" / MARKER).exists()  # a plain write does not mark
    out = mark(tmp_path / "out")
    assert check_out_dir(out, frozenset({"report.html"})) == out  # the marker is not a foreign file


def test_the_marker_name_is_the_documented_one():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert MARKER == ".entropy-lens-output" and f"`{MARKER}`" in readme

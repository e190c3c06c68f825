"""Property tests: every file reader either parses a damaged file or raises ``InvalidInput`` naming it.

The readers are taken from ``registry.FILE_READERS`` when the tests run, so readers added later
are covered too. Each starts from a real file it claims (a fixture, or one of
``../shared/external``), kept at the same relative place (readers sniff folder names), and
hypothesis damages it: truncation anywhere (a half-written last line), bytes replaced by
arbitrary ones (non-UTF-8 included), junk appended, and, for JSON, one value swapped for a value
of another type (NaN and ±inf included).
"""

from __future__ import annotations

import json
import tempfile
from functools import cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paths import EXTERNAL
from entropy_lens.errors import InvalidInput
from entropy_lens.readers.base import Table
from entropy_lens.readers.registry import FILE_READERS

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
_MAX_SEED_BYTES = 256 * 1024
_KEEP_PARTS = 5  # path components kept: readers sniff up to the grandparent folder name
_COLUMNS = {"rollouts": {"step", "prompt", "response"}, "metrics": {"step", "raw_name", "value"}}

JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
JSON_VALUES = st.recursive(
    JSON_LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=6,
)


@cache
def _candidates() -> tuple[Path, ...]:
    roots = [FIXTURES] + ([EXTERNAL] if EXTERNAL.is_dir() else [])
    files = (p for root in roots for p in sorted(root.rglob("*")))
    return tuple(p for p in files if p.is_file() and 0 < p.stat().st_size <= _MAX_SEED_BYTES)


@cache
def seed_for(name: str) -> Path | None:
    """The first fixture or external file that the reader called ``name`` claims."""
    reader = next(r for r in FILE_READERS if r.name == name)
    for path in _candidates():
        try:
            if reader.sniff(path):
                return path
        except OSError:
            continue
    return None


def _swap_json_value(document, draw):
    """``document`` with one randomly chosen value (or the whole) replaced by a drawn JSON value."""
    containers = [document] if isinstance(document, (dict, list)) else []
    node = document
    while containers:
        keys = list(node.keys()) if isinstance(node, dict) else list(range(len(node)))
        if not keys:
            break
        key = draw(st.sampled_from(keys))
        child = node[key]
        if isinstance(child, (dict, list)) and draw(st.booleans()):
            node = child
            continue
        node[key] = draw(JSON_VALUES)
        return document
    return draw(JSON_VALUES)


@st.composite
def damaged(draw, seed: bytes) -> bytes:
    """``seed`` damaged in one of the ways real dumps are."""
    how = draw(st.sampled_from(["truncate", "replace", "append", "json"]))
    if how == "truncate":
        return seed[: draw(st.integers(min_value=1, max_value=max(1, len(seed) - 1)))]
    if how == "replace":
        start = draw(st.integers(min_value=0, max_value=len(seed)))
        junk = draw(st.binary(min_size=1, max_size=64))
        return seed[:start] + junk + seed[start + len(junk) :]
    if how == "append":
        return seed + draw(st.binary(min_size=1, max_size=64))
    lines = seed.split(b"\n")
    index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
    try:
        document = json.loads(lines[index]) if len(lines) > 2 else json.loads(seed)
    except (ValueError, UnicodeDecodeError):
        return seed + draw(st.binary(max_size=16))
    changed = json.dumps(_swap_json_value(document, draw)).encode()
    if len(lines) > 2:
        return b"\n".join(lines[:index] + [changed] + lines[index + 1 :])
    return changed


def _check(reader, path: Path, data: bytes) -> None:
    """``reader`` parses ``data`` at ``path`` or raises ``InvalidInput`` naming ``path``."""
    path.write_bytes(data)
    if not reader.sniff(path):
        return
    try:
        table = reader.read(path)
    except InvalidInput as exc:
        assert exc.path == path, f"{reader.name} blamed {exc.path}, not {path}"
        return
    assert isinstance(table, Table) and table.kind == reader.kind
    assert _COLUMNS.get(table.kind, set()) <= set(table.frame.columns)
    for problem in table.problems:
        assert problem.line is None or problem.line >= 1


def _placed(seed: Path, folder: Path) -> Path:
    parts = seed.parts[-_KEEP_PARTS:]
    path = folder.joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _seed_or_skip(name: str) -> Path:
    """``seed_for(name)``; the test skips when there is none (a fresh clone has no ../shared/external)."""
    seed = seed_for(name)
    if seed is None:
        pytest.skip(f"no fixture or file of {EXTERNAL} is claimed by {name}")
    return seed


def _fuzz(name: str, max_examples: int) -> None:
    seed = _seed_or_skip(name)
    reader = next(r for r in FILE_READERS if r.name == name)
    content = seed.read_bytes()

    @settings(max_examples=max_examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(data=damaged(content))
    def run(data: bytes) -> None:
        with tempfile.TemporaryDirectory() as folder:
            _check(reader, _placed(seed, Path(folder)), data)

    run()


OURS = (
    "rllm-episode",
    "rllm-strands",
    "skyrl-evals",
    "skyrl-aggregated",
    "areal-rollout",
    "roll-dump",
    "roll-stdout",
)


def test_every_file_reader_has_a_seed():
    if not EXTERNAL.is_dir():
        pytest.skip(f"{EXTERNAL} is not here (rllm-strands has no other seed)")
    assert [reader.name for reader in FILE_READERS if seed_for(reader.name) is None] == []


@pytest.mark.parametrize("name", OURS)
def test_our_readers_survive_damage(name):
    _fuzz(name, max_examples=60)


@pytest.mark.parametrize("name", sorted(r.name for r in FILE_READERS if r.name not in OURS) or ["(none)"])
def test_other_registered_readers_survive_damage(name):
    if name == "(none)":
        pytest.skip("no other file reader is registered yet")
    _fuzz(name, max_examples=25)


@pytest.mark.parametrize("name", OURS)
@pytest.mark.parametrize(
    "payload",
    [b"\xff\xfe\x00garbage", b"", b"\n\n\n", b"[" * 100_000, b'{"a": NaN, "b": -Infinity}', b"null"],
    ids=["non-utf8", "empty", "blank-lines", "deep-nesting", "nan-inf", "null"],
)
def test_our_readers_on_hostile_bytes(tmp_path, name, payload):
    seed = _seed_or_skip(name)
    reader = next(r for r in FILE_READERS if r.name == name)
    path = _placed(seed, tmp_path)
    prefix = seed.read_bytes()[:4096] if reader.name in {"rllm-strands", "roll-stdout"} else b""
    _check(reader, path, prefix + payload)

"""Generic tables: Deep-GRPO W&B CSV exports and ADRS flat JSONL against MANIFEST.json, plus edge cases."""

import json

import polars as pl
import pytest

from paths import EXTERNAL, manifest
from entropy_lens import read_run
from entropy_lens.readers.tabular import TableReader
from entropy_lens.readers.wide_metrics import wandb_names



def _close(series: pl.Series, golden: dict) -> bool:
    values = (series.len(), series[0], series[-1], series.min(), series.max())
    expected = (golden["n"], golden["first"], golden["last"], golden["min"], golden["max"])
    return values[0] == expected[0] and all(abs(a - b) <= 5e-5 for a, b in zip(values[1:], expected[1:]))


@pytest.mark.parametrize("entry", manifest("wandb_csv_export"))
def test_wandb_exports(entry):
    path, reader = EXTERNAL / entry["file"], TableReader()
    table = reader.read(path)
    assert reader.sniff(path) and table.problems == []
    names = wandb_names(entry["columns"][1:])  # after "Step": column → (run, metric)
    for column, golden in entry["series"].items():
        run, metric = names[column]
        rows = table.frame.filter((pl.col("run") == run) & (pl.col("raw_name") == metric))
        assert _close(rows.sort("step")["value"], golden), column
    assert set(table.frame.select("run", "raw_name").iter_rows()) == {names[c] for c in entry["series"]}


@pytest.mark.parametrize("entry", manifest("flat_metrics_jsonl"))
def test_flat_jsonl(entry):
    path, reader = EXTERNAL / entry["file"], TableReader()
    table = reader.read(path)
    steps = table.frame["step"].unique().sort()
    assert reader.sniff(path) and table.problems == []
    assert (steps.len(), steps[0], steps[-1]) == (entry["n_steps"], entry["step_min"], entry["step_max"])
    if entry["entropy_key"]:
        entropy = table.frame.filter(pl.col("raw_name") == entry["entropy_key"]).sort("step")["value"]
        assert _close(entropy, entry["entropy"])


def test_csv_edge_cases(tmp_path):
    path = tmp_path / "export.csv"
    rows = ["STEP,entropy,note,_runtime", "1,0.5,a,3", "2,NaN,b,4", "2.5,0.1,c,5", ",0.2,d,6", "3,oops,e,7"]
    rows.append("4,,f,8")
    path.write_text("\n".join(rows) + "\n")
    table = TableReader().read(path)
    assert table.frame.select("step", "raw_name").rows() == [(1, "entropy"), (2, "entropy")]
    assert table.frame["value"][0] == 0.5 and table.frame["value"].is_nan()[1]  # NaN kept, empty cell dropped
    assert [(p.line, p.reason) for p in table.problems] == [
        (4, "no usable step"), (5, "no usable step"), (6, "a metric cell is not a number")]


def test_jsonl_edge_cases_and_sniff(tmp_path):
    path = tmp_path / "history.jsonl"
    lines = ['{"_step": 1, "loss": 0.5, "lr": null, "flag": true}', '{"loss": 1}', "[1]", '{"_step": 2, "los']
    path.write_text("\n".join(lines))
    table = TableReader().read(path)
    assert table.frame.rows() == [(1, "loss", 0.5), (1, "flag", 1.0)]
    assert [p.line for p in table.problems] == [2, 3, 4]
    rollouts, file_logger, no_step = (tmp_path / n for n in ("r.jsonl", "f.jsonl", "n.csv"))
    rollouts.write_text('{"step": 1, "prompt": "p", "reward": 1.0}\n')
    file_logger.write_text('{"step": 1, "data": {"a": 1.0}}\n')
    no_step.write_text("epoch,loss\n1,0.5\n")
    reader = TableReader()
    assert reader.sniff(path) and not any(reader.sniff(p) for p in (rollouts, file_logger, no_step))


def test_jsonl_of_outputs_with_our_column_names_needs_no_columns(tmp_path):
    path = tmp_path / "outputs.jsonl"
    rows = [{"step": 1, "prompt": "2+2?", "response": "4", "reward": 1.0},
            {"step": 2, "prompt": "3+3?", "response": "7", "reward": 0.0}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    run = read_run(path)
    assert [s.reader for s in run.sources] == ["generic-table"] and run.sources[0].kind == "rollouts"
    got = run.rollouts.select("step", "prompt", "response", "reward").to_dicts()
    assert got == rows
    assert read_run(path, columns={"step": "step", "prompt": "prompt", "response": "response"}).n_rollouts == 2
    no_step = tmp_path / "no_step" / "outputs.jsonl"  # without a step it is not a table of ours
    no_step.parent.mkdir()
    no_step.write_text('{"prompt": "p", "response": "r"}\n')
    assert not TableReader().sniff(no_step)


def test_deep_grpo_main_chain_entropy_is_the_entropy(tmp_path):
    path = tmp_path / "entropy.csv"  # the header DEEP_GRPO's W&B export writes (../shared/external)
    path.write_text('"Step","run-a - actor/main_chain/entropy","run-a - actor/main_chain/entropy__MIN"\n'
                    '"1","0.41","0.41"\n"2","0.47","0.47"\n')
    run = read_run(path)
    assert run.series("entropy")["value"].to_list() == [0.41, 0.47]
    assert run.metrics["raw_name"].unique().to_list() == ["actor/main_chain/entropy"]


def test_real_deep_grpo_export_has_an_entropy(external):
    folder = external / "deep_grpo_wandb_csv/recipe/DEEP_GRPO/paper_draw/data/training_dynamics"
    run = read_run(folder, run="qwen2.5-0.5b-instruct-gsm8k-crpo-no-branch")
    assert run.series("entropy").height == run.series("actor/main_chain/entropy").height > 1000

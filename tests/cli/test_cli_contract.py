"""What every command promises: one `Error:` line and exit 1 for every bad option value, help that
shows every option whole at 80 columns with its default, `--version`, and progress bars on stderr
that `--quiet` silences."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from paths import DEMO_RUN

from entropy_lens import __version__
from entropy_lens.cli.main import app
from entropy_lens.cli.options import MIN_SENSITIVITY

runner = CliRunner()
RUN = Path(__file__).resolve().parent.parent / "fixtures" / "verl" / "run"
COMMAND = typer.main.get_command(app)
DEMO_CHECKPOINT = DEMO_RUN / "checkpoints/verl_agent_alfworld/grpo_tinyllama_demo/global_step_300"

#: what each command needs besides its path to get past the options (recompute: a missing model is
#: only reported after the options are checked)
NEEDS = {
    "analyze": ["--out", "{tmp}/out"],
    "inspect": [],
    "phases": [],
    "scan": [],
    "recompute": ["--model", "{tmp}/no-model", "--out", "{tmp}/rec"],
    "export": ["--out", "{tmp}/atif"],
    "watch": ["--once"],
    "seal": ["--from", str(DEMO_CHECKPOINT), "--out", "{tmp}/seal"],
    "compare": [str(RUN), "--out", "{tmp}/compare"],
}

#: (command, option, bad value, text the one error line holds)
BAD = [
    ("analyze", "--out", "{file}", "exists and is not a folder"),
    ("analyze", "--out", "{file}/sub", "cannot write output here"),
    ("analyze", "--metric", "nope", "metric 'nope' never appears"),
    ("analyze", "--sensitivity", "0", "Invalid value for '--sensitivity'"),
    ("analyze", "--sensitivity", "nan", "Invalid value for '--sensitivity'"),
    ("analyze", "--sensitivity", "abc", "Invalid value for '--sensitivity'"),
    ("analyze", "--env", "minecraft", "Invalid value for '--env'"),
    ("analyze", "--columns", "step", "is not name=column"),
    ("analyze", "--run", "nope", "no run is called 'nope'"),
    ("analyze", "--model", "{tmp}/no-model", "no-model: does not exist"),
    ("analyze", "--checkpoints", "soon", "takes `all` or steps separated by commas"),
    ("analyze", "--model-samples", "0", "Invalid value for '--model-samples'"),
    ("analyze", "--device", "toaster", "Invalid value for '--device'"),
    ("analyze", "--device-map", "balanced", "Invalid value for '--device-map'"),
    ("inspect", "--columns", "step=", "is not name=column"),
    ("inspect", "--run", "nope", "no run is called 'nope'"),
    ("phases", "--metric", "nope", "metric 'nope' never appears"),
    ("phases", "--sensitivity", "-1", "Invalid value for '--sensitivity'"),
    ("phases", "--columns", "step", "is not name=column"),
    ("phases", "--run", "nope", "no run is called 'nope'"),
    ("scan", "--env", "minecraft", "Invalid value for '--env'"),
    ("scan", "--columns", "step", "is not name=column"),
    ("scan", "--run", "nope", "no run is called 'nope'"),
    ("recompute", "--model", "{tmp}/no-model", "no-model: does not exist"),
    ("recompute", "--checkpoints", "all", "give exactly one of --model CKPT and --checkpoints"),
    ("recompute", "--out", "{file}", "exists and is not a folder"),
    ("recompute", "--split", "test", "Invalid value for '--split'"),
    ("recompute", "--step", "-1", "Invalid value for '--step'"),
    ("recompute", "--max-samples", "0", "Invalid value for '--max-samples'"),
    ("recompute", "--token-budget", "0", "Invalid value for '--token-budget'"),
    ("recompute", "--chunk-size", "0", "Invalid value for '--chunk-size'"),
    ("recompute", "--max-length", "1", "Invalid value for '--max-length'"),
    ("recompute", "--device", "toaster", "Invalid value for '--device'"),
    ("recompute", "--device-map", "gpu", "Invalid value for '--device-map'"),
    ("recompute", "--dtype", "float8", "Invalid value for '--dtype'"),
    ("recompute", "--label-rule", "vibes", "Invalid value for '--label-rule'"),
    ("recompute", "--columns", "step", "is not name=column"),
    ("recompute", "--run", "nope", "no run is called 'nope'"),
    ("export", "--out", "{file}", "exists and is not a folder"),
    ("export", "--format", "csv", "Invalid value for '--format'"),
    ("export", "--columns", "step", "is not name=column"),
    ("export", "--run", "nope", "no run is called 'nope'"),
    ("seal", "--out", "{file}", "exists and is not a folder"),
    ("seal", "--from", "{tmp}/no-model", "no-model: does not exist"),
    ("seal", "--from-diagnosis", "{tmp}", "takes the checkpoint and rollouts from the diagnosis"),
    ("seal", "--seal-weight", "-1", "Invalid value for '--seal-weight'"),
    ("seal", "--head-layers", "0", "Invalid value for '--head-layers'"),
    ("seal", "--steps", "0", "Invalid value for '--steps'"),
    ("seal", "--seed", "x", "Invalid value for '--seed'"),
    ("seal", "--lr", "0", "Invalid value for '--lr'"),
    ("seal", "--lr", "nan", "Invalid value for '--lr'"),
    ("seal", "--batch-size", "0", "Invalid value for '--batch-size'"),
    ("seal", "--micro-batch-size", "0", "Invalid value for '--micro-batch-size'"),
    ("seal", "--until-step", "-1", "Invalid value for '--until-step'"),
    ("seal", "--split", "test", "Invalid value for '--split'"),
    ("seal", "--save-every", "0", "Invalid value for '--save-every'"),
    ("seal", "--device", "cuda", "Invalid value for '--device'"),
    ("compare", "--out", "{file}", "exists and is not a folder"),
    ("compare", "--samples", "0", "Invalid value for '--samples'"),
    ("compare", "--device", "toaster", "Invalid value for '--device'"),
    ("watch", "--interval", "0", "Invalid value for '--interval'"),
    ("watch", "--interval", "soon", "Invalid value for '--interval'"),
]
#: options with no bad value: flags, and free text
FREE = {"--help", "--strict", "--quiet", "--json", "--trust-checkpoint", "--once", "--agent-name", "--model-name",
        "--separation"}
FREE_OF = {("watch", "--metric")}  # a live run may log the metric later


def options_of(name: str) -> list[str]:
    return [p.opts[0] if p.opts[0].startswith("--") else p.opts[-1] for p in COMMAND.commands[name].params
            if p.param_type_name == "option"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A small verl run (console log, file logger, rollout and validation dumps)."""
    folder = tmp_path_factory.mktemp("contract") / "run"
    shutil.copytree(RUN, folder)
    return folder


def one_error(result, text: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert [line for line in lines if line.startswith("Error: ")] == lines[-1:], result.stderr
    assert text in lines[-1] and "Traceback" not in result.output


def test_every_option_of_every_command_has_a_bad_value_tested():
    tested = {(command, option) for command, option, _, _ in BAD}
    untested = [
        (name, option) for name in COMMAND.commands for option in options_of(name)
        if option not in FREE and (name, option) not in FREE_OF | tested
    ]
    assert untested == []


@pytest.mark.parametrize("command, option, value, text", BAD, ids=[f"{c} {o} {v}" for c, o, v, _ in BAD])
def test_bad_option_value_is_one_error_line(run_dir, tmp_path, command, option, value, text):
    (tmp_path / "a-file").write_text("x")
    fill = {"tmp": tmp_path, "file": tmp_path / "a-file"}
    needed = [a.format(**fill) for a in NEEDS[command]]
    if option in needed:  # replace the needed value
        at = needed.index(option)
        del needed[at : at + 2]
    result = runner.invoke(app, [command, str(run_dir), *needed, option, value.format(**fill)])
    one_error(result, text)
    assert not (tmp_path / "out").exists()  # nothing written on a user error


@pytest.mark.parametrize("command", list(NEEDS))
def test_missing_path_is_one_error_line(tmp_path, command):
    args = [a.format(tmp=tmp_path) for a in NEEDS[command]]
    one_error(runner.invoke(app, [command, str(tmp_path / "missing"), *args]), "missing: does not exist")


def test_usage_errors_are_one_error_line():
    one_error(runner.invoke(app, ["analyse"]), "No such command 'analyse'")
    one_error(runner.invoke(app, ["analyze"]), "Missing argument 'RUN_DIR'")
    one_error(runner.invoke(app, ["scan", "x", "--bogus"]), "No such option: --bogus")


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout == f"entropy-lens {__version__}\n"


@pytest.mark.parametrize("name", list(NEEDS))
def test_help_fits_80_columns_and_shows_every_option_whole(name):
    result = runner.invoke(app, [name, "--help"], env={"COLUMNS": "80"}, terminal_width=80)
    assert result.exit_code == 0
    text = result.stdout
    assert max(len(line) for line in text.splitlines()) <= 80
    for option in options_of(name):
        assert f"{option} " in text or f"{option}\n" in text, option
    assert "<bool>" not in text and "--no-" not in text  # flags are flags
    assert "…]" not in text and "[default: ]" not in text
    for param in COMMAND.commands[name].params:
        shown = param.param_type_name == "option" and not param.is_flag and param.default not in (None, [])
        if shown:
            assert f"[default: {getattr(param.default, 'value', param.default)}" in " ".join(text.split()), param.name


def test_analyze_help_says_where_the_output_goes():
    text = runner.invoke(app, ["analyze", "--help"], env={"COLUMNS": "80"}, terminal_width=80).stdout
    assert "entropy-lens-<run folder name>[-<run>] in the current" in " ".join(text.split())
    assert f"(≥ {MIN_SENSITIVITY})" in text


def test_progress_on_stderr_unless_quiet(run_dir, tmp_path):
    shown = runner.invoke(app, ["scan", str(run_dir)], env={"FORCE_COLOR": "1", "COLUMNS": "100"})
    assert shown.exit_code == 0, shown.output
    assert "Reading 7 file(s)" in shown.stderr and "Scanning outputs" in shown.stderr
    assert "Reading" not in shown.stdout
    quiet = runner.invoke(app, ["scan", str(run_dir), "--quiet"], env={"FORCE_COLOR": "1", "COLUMNS": "100"})
    assert quiet.exit_code == 0 and quiet.stderr == ""
    assert quiet.stdout == shown.stdout
    piped = runner.invoke(app, ["scan", str(run_dir)])  # stderr not a terminal: no bars in a log
    assert piped.exit_code == 0 and piped.stderr == ""


@pytest.mark.slow
def test_recompute_shows_scoring_progress_unless_quiet(tmp_path):
    """--quiet silences transformers' own "Loading weights" bar too."""
    pytest.importorskip("transformers")
    from paths import DEMO_RUN

    checkpoint = DEMO_RUN / "checkpoints/verl_agent_alfworld/grpo_tinyllama_demo/global_step_150"
    args = ["recompute", str(DEMO_RUN / "rollout_data"), "--model", str(checkpoint), "--max-samples", "4",
            "--device", "cpu"]
    env = {"FORCE_COLOR": "1", "COLUMNS": "100"}
    shown = runner.invoke(app, [*args, "--out", str(tmp_path / "a")], env=env)
    assert shown.exit_code == 0, shown.output
    assert "Scoring outputs" in shown.stderr and "4/4" in shown.stderr
    quiet = runner.invoke(app, [*args, "--out", str(tmp_path / "b"), "--quiet"], env=env)
    assert quiet.exit_code == 0 and quiet.stderr == ""
    piped = runner.invoke(app, [*args, "--out", str(tmp_path / "c")])  # stderr not a terminal: no bars
    assert piped.exit_code == 0 and piped.stderr == ""


@pytest.mark.parametrize("name", ["analyze", "phases"])
def test_sensitivity_floor(name, tmp_path):
    command = COMMAND.commands[name]
    with command.make_context(name, [str(tmp_path), "--sensitivity", str(MIN_SENSITIVITY)]) as context:
        assert context.params["sensitivity"] == MIN_SENSITIVITY == 0.01
    for value in ("0.0099", "inf", "-inf"):
        one_error(runner.invoke(app, [name, str(tmp_path), "--sensitivity", value]), "--sensitivity")

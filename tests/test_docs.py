"""The documents tell the truth: every `entropy-lens` command written in README.md and docs/*.md
parses against the real command line and the cheap ones run on the demo run; every command is
documented and has --help; named test and bench files exist; named extras exist; documented
defaults equal the code's; the Python examples compile."""

from __future__ import annotations

import inspect
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from paths import DEMO_RUN, ROOT
from entropy_lens.cli.main import app
from entropy_lens.recompute.score_rollouts import score_encoded

runner = CliRunner()
COMMAND = typer.main.get_command(app)
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
TEXT = {path.name: path.read_text(encoding="utf-8") for path in DOCUMENTS}
CHECKPOINT = DEMO_RUN / "checkpoints/verl_agent_alfworld/grpo_tinyllama_demo/global_step_300"
#: placeholders the documents write → what the test runs them on
PLACEHOLDERS = {
    "RUN_DIR": str(DEMO_RUN), "FILE_OR_RUN_DIR": str(DEMO_RUN), "ROLLOUTS": str(DEMO_RUN), "FILE": str(DEMO_RUN),
    "data/demo_run": str(DEMO_RUN), "CKPT": str(CHECKPOINT), "ENV": "alfworld", "DIR": "{out}",
    "demo-report": "{out}", ".": str(DEMO_RUN),  # `cd run && entropy-lens analyze .`
}
CHEAP = {"inspect", "phases", "watch"}  # seconds on the demo run; the others are run by the slow test


def shell_commands() -> list[tuple[str, str]]:
    """(document, command line) for every `entropy-lens <command> …` in code spans and shell blocks
    (a bare `entropy-lens <command>` is the command's name, not a command line)."""
    found = []
    for name, text in TEXT.items():
        spans = re.findall(r"```(?:bash|sh|console)\n(.*?)```", text, re.DOTALL) + re.findall(r"`([^`\n]+)`", text)
        for span in spans:
            for line in span.splitlines():
                for part in line.split("&&"):
                    part = part.strip()
                    if re.fullmatch(rf"entropy-lens ({'|'.join(COMMAND.commands)}) .+", part):
                        found.append((name, part))
    return sorted(set(found))


COMMANDS = shell_commands()


def argv(line: str, out: Path) -> list[str]:
    """The command line as arguments: optional parts [..] kept, placeholders filled in."""
    words = shlex.split(line.replace("[", " ").replace("]", " "))[1:]
    return [PLACEHOLDERS.get(w, w).format(out=out) for w in words]


def test_the_documents_hold_commands():
    assert {line.split()[1] for _, line in COMMANDS} == set(COMMAND.commands)


@pytest.mark.parametrize("document, line", COMMANDS, ids=[f"{d}: {c}" for d, c in COMMANDS])
def test_documented_command_parses(tmp_path, document, line):
    name, *args = argv(line, tmp_path / "out")
    with COMMAND.commands[name].make_context(name, list(args)) as context:  # option names, types, ranges
        assert context.params


@pytest.mark.parametrize(
    "document, line", [(d, c) for d, c in COMMANDS if c.split()[1] in CHEAP],
    ids=[f"{d}: {c}" for d, c in COMMANDS if c.split()[1] in CHEAP],
)
def test_cheap_documented_command_runs_on_the_demo(tmp_path, monkeypatch, document, line):
    monkeypatch.chdir(tmp_path)  # default output folders go here
    args = argv(line, tmp_path / "out") + (["--once"] if line.split()[1] == "watch" else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output


@pytest.mark.slow
@pytest.mark.parametrize(
    "document, line", [(d, c) for d, c in COMMANDS if c.split()[1] in {"analyze", "scan", "export"}],
)
def test_documented_command_runs_on_the_demo(tmp_path, monkeypatch, document, line):
    monkeypatch.chdir(tmp_path)  # default output folders go here
    result = runner.invoke(app, argv(line, tmp_path / "out"))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", list(COMMAND.commands))
def test_every_command_is_documented_and_has_help(name):
    assert f"`entropy-lens {name} " in TEXT["README.md"]
    assert runner.invoke(app, [name, "--help"]).exit_code == 0


def test_named_test_and_bench_files_exist():
    named = {m for text in TEXT.values() for m in re.findall(r"\b((?:tests|bench)/[\w/]+\.py)\b", text)}
    assert named and sorted(p for p in named if not (ROOT / p).is_file()) == []


def test_named_extras_exist():
    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    sources = [*TEXT.values(), *(p.read_text() for p in (ROOT / "entropy_lens").rglob("*.py"))]
    pattern = r"entropy-lens\[(\w+)\]|\.\[(\w+)\]|MissingDependency\(\"[\w-]+\", \"(\w+)\""
    named = {e for text in sources for group in re.findall(pattern, text) for e in group if e}
    assert named and sorted(named - extras) == []


def test_documented_token_budget_is_the_code_default():
    documented = re.search(r"`--token-budget` padded tokens \(default ([\d,]+)", TEXT["recompute.md"]).group(1)
    assert int(documented.replace(",", "")) == inspect.signature(score_encoded).parameters["token_budget"].default
    cli = next(p for p in COMMAND.commands["recompute"].params if p.name == "token_budget")
    assert cli.default == int(documented.replace(",", ""))


@pytest.mark.parametrize("name", sorted(TEXT))
def test_python_examples_compile(name):
    for block in re.findall(r"```python\n(.*?)```", TEXT[name], re.DOTALL):
        compile(block, name, "exec")

"""User errors end in one `Error: …` line naming the path and exit status 1, no traceback."""

from typer.testing import CliRunner

from entropy_lens.cli.main import app

runner = CliRunner()


def test_missing_run_dir(tmp_path):
    result = runner.invoke(app, ["inspect", str(tmp_path / "missing")])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"Error: {tmp_path / 'missing'}: does not exist"
    assert "Traceback" not in result.output


def test_empty_run_dir(tmp_path):
    result = runner.invoke(app, ["inspect", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {tmp_path}: is an empty folder")


def test_unrecognised_run_dir(tmp_path):
    (tmp_path / "README").write_text("not a run")
    result = runner.invoke(app, ["inspect", str(tmp_path)])
    assert result.exit_code == 1
    assert "no metrics, rollout dumps or checkpoints in a known format" in result.stderr


def test_help_lists_every_command():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("inspect",):
        assert command in result.output


def test_unreadable_file_is_one_error_naming_it(tmp_path, monkeypatch):
    from entropy_lens.readers.tabular import TableReader

    table = tmp_path / "metrics.csv"
    table.write_text("step,entropy\n1,0.5\n")

    def denied(self, path):
        raise PermissionError(13, "Permission denied")  # what a non-root user gets for mode 000

    monkeypatch.setattr(TableReader, "read", denied)
    result = runner.invoke(app, ["inspect", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {table}: cannot be read (Permission denied)\n"


def test_a_multi_line_reason_stays_on_one_error_line(tmp_path, monkeypatch):
    import entropy_lens.cli.inspect as command
    from entropy_lens.errors import InvalidInput

    def broken(path, **_):
        raise InvalidInput(path, "parquet: out of spec\n\nHint: the footer is damaged", line=None)

    monkeypatch.setattr(command, "read_runs", broken)
    result = runner.invoke(app, ["inspect", str(tmp_path)])
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path}: parquet: out of spec Hint: the footer is damaged\n"


def test_inspect_on_an_unreadable_folder_does_not_suggest_inspect(tmp_path):
    (tmp_path / "README").write_text("not a run")
    result = runner.invoke(app, ["inspect", str(tmp_path)])
    assert result.exit_code == 1 and "entropy-lens inspect" not in result.stderr
    assert "(1 file looked at)" in result.stderr and "--columns" in result.stderr


def test_an_output_folder_is_not_read_as_a_run(tmp_path):
    from entropy_lens.outputs import MARKER, mark, write_text

    out = mark(tmp_path / "report")
    write_text(out / "diagnosis.json", "{}")
    result = runner.invoke(app, ["inspect", str(out)])
    assert result.exit_code == 1
    assert result.stderr == (
        f"Error: {out}: is an entropy-lens output folder ({MARKER}), not a run; point at the run it came from\n"
    )

"""``python -m entropy_lens``: the ``entropy-lens`` command, also what ``torchrun -m entropy_lens`` starts."""

from entropy_lens.cli.main import app

if __name__ == "__main__":
    app(prog_name="entropy-lens")

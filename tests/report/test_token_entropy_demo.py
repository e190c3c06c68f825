"""``analyze --model`` on the demo run with its own checkpoint: every example shown gets its tokens
coloured, the coloured text is the excerpt's text, and the stated scale is the data's."""

from __future__ import annotations

import html
import math
import re

import pytest

from entropy_lens.run_report import analyze

pytestmark = pytest.mark.slow
pytest.importorskip("torch")


@pytest.fixture(scope="module")
def page(demo_run, tmp_path_factory) -> str:
    checkpoint = demo_run / "checkpoints/verl_agent_alfworld/grpo_tinyllama_demo/global_step_300/actor/huggingface"
    out = tmp_path_factory.mktemp("demo") / "out"
    _, written = analyze(demo_run, out, model=checkpoint, model_samples=16, device="cpu")
    return written["report.html"].read_text(encoding="utf-8")


def articles(page: str) -> list[str]:
    return page.split('<section id="examples">')[1].split("</section>")[0].split('<article class="example">')[1:]


def test_every_example_is_coloured_and_reads_as_its_excerpt(page):
    shown = articles(page)
    assert len(shown) >= 10
    sentence = page.split('id="token-scale"')[1].split("</p>")[0]
    assert f"Tokens of {len(shown)} examples coloured" in sentence and "global_step_300" in sentence
    for article in shown:
        excerpt = re.sub(r"<[^>]+>", "", article.split("<pre>")[1].split("</pre>")[0])
        tokens = article.split('<pre class="tok">')[1].split("</pre>")[0]
        text = re.sub(r"<[^>]+>", "", re.sub(r'<span class="cut">[^<]*</span>', "", tokens))
        assert html.unescape(text) == html.unescape(re.sub(r"^… | …$", "", excerpt))


def test_scale_is_the_data_shown(page):
    titles = re.findall(r'<span class="t\d" title="([0-9.]+) nats">', page)
    values = [float(t) for t in titles]
    assert values and all(0 <= v <= math.log(1971) + 0.01 for v in values)
    top = re.search(r"linear from 0 to ([0-9.]+) nats, the highest entropy among the (\d+) tokens shown", page)
    assert float(top[1]) == pytest.approx(max(values), abs=0.01)
    assert int(top[2]) == len(values)  # the demo's examples are ASCII: one token per piece

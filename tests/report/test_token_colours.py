"""Example tokens coloured by recomputed entropy: the scale is stated and true, darker is higher,
model text stays text, and without recomputation the page says why nothing is coloured."""

from __future__ import annotations

import re

import polars as pl
from entropy_lens.report import render_html
from entropy_lens.report.examples import CONTEXT, SHORT
from entropy_lens.report.token_colours import LIGHT_TEXT_FROM, MAX_TOKENS, PALETTE, shade, window

SCORED = {"separation": {"checkpoint": "/ckpt/global_step_300", "split": "val", "n_samples": 8,
                         "mean_policy_entropy": 1.0, "overall": {}, "per_step": []}}


def piece(text: str, *values: float) -> dict:
    return {"text": text, "entropy": list(values) if values else None}


def example(pieces: list[dict], **extra) -> dict:
    response = "".join(p["text"] for p in pieces)
    return {"sample_id": "s1", "step": 3, "split": "train", "detector": "sentence_dup", "response": response,
            "tokens": pieces, "tokens_under": "/ckpt/global_step_300"} | extra


def luminance(colour: str) -> float:
    """WCAG relative luminance of ``#RRGGBB``."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def spans(page: str) -> list[tuple[str, str, str]]:
    """``(class, title, text)`` of every token span in the examples."""
    return re.findall(r'<span class="(t\d|ctx)" title="([^"]*)">([^<]*)</span>', page.split('id="examples"')[1])


def test_constants():
    assert len(PALETTE) == 9 and MAX_TOKENS == 600 and LIGHT_TEXT_FROM == 7


def test_darker_colour_means_higher_entropy():
    levels = [luminance(c) for c in PALETTE]
    assert levels == sorted(levels, reverse=True) and len(set(levels)) == len(levels)
    page = render_html(SCORED, pl.DataFrame(), [example([piece("sure", 0.1), piece(" maybe", 2.5), piece(" x", 1.0)])])
    shades = {text: int(cls[1]) for cls, _, text in spans(page)}
    assert luminance(PALETTE[shades[" maybe"]]) < luminance(PALETTE[shades[" x"]]) < luminance(PALETTE[shades["sure"]])
    assert shades == {"sure": 0, " maybe": len(PALETTE) - 1, " x": 3}  # 1.0 / 2.5 × 9 = 3.6


def test_white_text_exactly_where_it_reads_better():
    """LIGHT_TEXT_FROM: the first colour on which white text has more contrast than black (WCAG)."""
    def contrast(a: float, b: float) -> float:
        return (max(a, b) + 0.05) / (min(a, b) + 0.05)

    white_better = [contrast(1.0, luminance(c)) > contrast(0.0, luminance(c)) for c in PALETTE]
    assert white_better == [i >= LIGHT_TEXT_FROM for i in range(len(PALETTE))]


def test_shade_is_linear_from_zero_to_the_top():
    assert [shade(v, 9.0) for v in (0.0, 0.99, 1.0, 4.5, 8.99, 9.0, 12.0, -1.0)] == [0, 0, 1, 4, 8, 8, 8, 0]
    assert shade(0.0, 0.0) == 0


def test_legend_range_is_the_data_shown():
    """The top of the scale is the highest entropy among the tokens shown, whatever lies outside the excerpt."""
    far = [piece("a" * 40, 0.2)] * 40  # 1,600 characters before the evidence: outside the excerpt
    pieces = far + [piece(" EVIDENCE", 1.7), piece(" tail", 0.4)] + [piece("b" * 40, 0.3)] * 40
    pieces[0] = piece("a" * 40, 6.0)  # the highest entropy of the output, not shown
    item = example(pieces, evidence=" EVIDENCE")
    assert len(item["response"]) > SHORT
    page = render_html(SCORED, pl.DataFrame(), [item])
    sentence = page.split('id="token-scale"')[1].split("</p>")[0]
    assert "linear from 0 to 1.70 nats, the highest entropy among the" in sentence
    shown = spans(page)
    assert max(float(title.split()[0]) for cls, title, _ in shown if cls != "ctx") == 1.7
    assert f"the {len(shown)} tokens shown" in sentence
    assert re.findall(r'<span class="t(\d)">([^<]*)</span>', sentence)[-1] == ("8", "1.5–1.7")
    assert "Tokens of 1 example coloured" in sentence and "/ckpt/global_step_300" in sentence
    assert "… </span>" in page.split('class="tok"')[1].split("</pre>")[0]  # cut at the front, said so


def test_window_follows_the_excerpt():
    pieces = [piece("x" * 10, 1.0) for _ in range(100)]
    cut = window(pieces, 95, 305)
    assert len(cut["pieces"]) == 22 and cut["cut_start"] and cut["cut_end"]  # pieces 9..30 overlap
    whole = window(pieces, 0, 1000)
    assert len(whole["pieces"]) == 100 and not whole["cut_start"] and not whole["cut_end"]
    many = window([piece("y", 1.0)] * (MAX_TOKENS + 5), 0, 2 * CONTEXT + MAX_TOKENS + 5)
    assert len(many["pieces"]) == MAX_TOKENS and many["cut_end"]


def test_model_text_in_tokens_stays_text():
    pieces = [piece("<script>", 1.0), piece("document.title='xxxPWN'", 2.0), piece("</script>", 0.5),
              piece(" a & b", 0.2), piece('" onmouseover="x', 0.3)]
    page = render_html(SCORED, pl.DataFrame(), [example(pieces)])
    assert "<script" not in page and "xxxPWN'</span>" not in page
    body = page.split('class="tok"')[1]
    assert "&lt;script&gt;</span>" in body and " a &amp; b</span>" in body and "&#34; onmouseover=&#34;x" in body


def test_environment_text_is_uncoloured_context():
    pieces = [piece("<search>q</search>", 0.5), piece("<information>", None), piece("doc", None),
              piece("</information>", None), piece("<answer>", 1.5)]
    page = render_html(SCORED, pl.DataFrame(), [example(pieces)])
    shown = spans(page)
    assert ("ctx", "environment text: context, not scored", "&lt;information&gt;doc&lt;/information&gt;") in shown
    assert [cls for cls, _, _ in shown] == ["t3", "ctx", "t8"]
    assert "uncoloured italic: environment text, not scored" in page
    plain = render_html(SCORED, pl.DataFrame(), [example([piece("a", 0.5)])])
    assert "environment text" not in plain  # not said where there is none


def test_a_character_of_several_tokens_shows_each_value_and_takes_the_highest():
    page = render_html(SCORED, pl.DataFrame(), [example([piece("🙂", 0.5, 2.0, 0.1, 0.1), piece("a", 1.0)])])
    assert ("t8", "4 tokens of one character: 0.50, 2.00, 0.10, 0.10 nats", "🙂") in spans(page)
    assert "among the 5 tokens shown; 1 character spread over several tokens takes the highest of their tokens." in page
    single = render_html(SCORED, pl.DataFrame(), [example([piece("a", 1.0)])])
    assert "among the 1 token shown." in single and "spread over" not in single  # said only when true


def test_without_recomputation_the_page_says_why():
    item = example([piece("a", 1.0)])
    del item["tokens"]
    page = render_html({}, pl.DataFrame(), [item])
    assert ("Tokens are not coloured by entropy: no checkpoint was scored (entropy-lens analyze --model CKPT, "
            "or --checkpoints all, recomputes them).") in page
    assert 'class="tok"' not in page
    scored = render_html(SCORED, pl.DataFrame(), [item])
    assert "Tokens are not coloured by entropy: no token entropies were recomputed for these examples." in scored
    assert "not coloured" not in render_html({}, pl.DataFrame(), [])  # no example, nothing to say


def test_only_examples_with_tokens_are_counted():
    plain = example([piece("b", 1.0)], sample_id="s2")
    del plain["tokens"]
    page = render_html(SCORED, pl.DataFrame(), [example([piece("a", 1.0)]), plain])
    assert "Tokens of 1 example coloured" in page and page.count('class="tok"') == 1


def test_all_zero_entropy_is_the_lightest_colour():
    page = render_html(SCORED, pl.DataFrame(), [example([piece("a", 0.0), piece("b", 0.0)])])
    assert {cls for cls, _, _ in spans(page)} == {"t0"}
    assert "linear from 0 to 0.00 nats" in page and '<span class="t0">0.0–0.0</span></span>' in page

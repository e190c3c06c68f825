"""``EruptionCallback``: the eruption alarm inside a training run, in the trainer's own logs.

The fast test trains a tiny model with ``transformers.Trainer`` and makes its ``log`` carry a
planted ``entropy`` series, the way TRL's ``GRPOTrainer.log`` merges its per-step metrics (a real
GRPO run cannot be made to erupt on cue, and a tiny random model's entropy does not move). The slow
test runs TRL's real ``GRPOTrainer`` on a tiny random Llama and checks the callback reads the
``entropy`` it logs and writes the alarm into ``log_history``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from entropy_lens.phases import OnlineEruptionDetector  # noqa: E402
from entropy_lens.watch_callback import BASELINE_KEY, ONSET_KEY, VALUE_KEY, EruptionCallback  # noqa: E402

ONSET, STEPS = 70, 110


def planted_entropy(step: int) -> float:
    """0.4 nats ± 0.03, then from step ``ONSET`` a ramp of 0.15 nats per step for 8 steps."""
    noise = 0.03 * np.random.default_rng(step).standard_normal()
    return 0.4 + noise + 0.15 * min(max(step - ONSET, 0), 8)


class _Regression(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(2, 1)

    def forward(self, x, y):
        return {"loss": torch.nn.functional.mse_loss(self.linear(x).squeeze(-1), y)}


class _PlantedTrainer(transformers.Trainer):
    def log(self, logs, *args, **kwargs):
        logs = {**logs, "entropy": planted_entropy(self.state.global_step)}
        super().log(logs, *args, **kwargs)


def test_alarm_lands_in_the_trainer_log_at_the_onset(tmp_path):
    x = torch.randn(STEPS, 2)
    data = [{"x": row, "y": row.sum()} for row in x]
    args = transformers.TrainingArguments(
        output_dir=str(tmp_path), per_device_train_batch_size=1, max_steps=STEPS, logging_steps=1,
        report_to=[], use_cpu=True, save_strategy="no", disable_tqdm=True,
    )
    callback = EruptionCallback()
    trainer = _PlantedTrainer(model=_Regression(), args=args, train_dataset=data, callbacks=[callback])
    trainer.train()
    (alarm,) = callback.alarms
    assert abs(alarm.onset_step - ONSET) <= 2 and ONSET < alarm.step <= ONSET + 8
    (record,) = [r for r in trainer.state.log_history if ONSET_KEY in r]
    assert record["step"] == alarm.step and record[ONSET_KEY] == alarm.onset_step
    assert record[VALUE_KEY] == pytest.approx(planted_entropy(alarm.step))
    assert record[BASELINE_KEY] == pytest.approx(0.4, abs=0.05)


def _tiny_model_and_tokenizer():
    path = Path(__file__).parent / "fixtures" / "trl" / "generate.py"
    spec = importlib.util.spec_from_file_location("trl_fixture_generate", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.tiny_model_and_tokenizer(), module.reward_len


@pytest.mark.slow
def test_real_grpo_trainer_entropy_reaches_the_callback(tmp_path):
    """TRL's ``GRPOTrainer`` logs ``entropy``; after 100 planted steps at 0.2 nats, the random
    model's real entropy (≈ ln 97 ≈ 4.6 nats) is an eruption, flagged in ``log_history``."""
    trl = pytest.importorskip("trl")
    datasets = pytest.importorskip("datasets")
    torch.manual_seed(0)
    (model, tokenizer), reward = _tiny_model_and_tokenizer()
    detector = OnlineEruptionDetector()
    rng = np.random.default_rng(0)
    for step in range(-99, 1):
        detector.update(step, 0.2 + 0.01 * rng.standard_normal())
    callback = EruptionCallback(detector=detector)
    args = trl.GRPOConfig(
        output_dir=str(tmp_path), per_device_train_batch_size=4, num_generations=2, max_completion_length=8,
        max_steps=8, logging_steps=1, save_strategy="no", use_cpu=True, report_to=[], seed=0,
        num_completions_to_print=0, disable_tqdm=True,
    )
    trainer = trl.GRPOTrainer(
        model=model, reward_funcs=[reward], args=args, processing_class=tokenizer, callbacks=[callback],
        train_dataset=datasets.Dataset.from_dict({"prompt": ["2+2=", "3+5=", "1+1=", "9-4="]}),
    )
    trainer.train()
    logged = [r["entropy"] for r in trainer.state.log_history if "entropy" in r]
    assert len(logged) == 8 and min(logged) > 1.0
    (alarm,) = callback.alarms
    assert alarm.onset_step in (0, 1) and alarm.step <= 8
    assert any(r.get(ONSET_KEY) == alarm.onset_step for r in trainer.state.log_history)

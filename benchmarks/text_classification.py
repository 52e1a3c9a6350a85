#!/usr/bin/env python
# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""What AMSDFF costs over the plain baseline (encoder + CLS pooling + linear head) on the same encoder: the time of
one training step (forward, backward, AdamW step) and of one inference forward, at batch 32 x 128 tokens (the
issue's target shape) and 32 x 64 (the suite's), plus each module switched off in turn.

All models are built once from the offline all-MiniLM-L6-v2 and timed in interleaved rounds (every model once per
round, in a rotating order, on the same fixed batch), so that drift in the machine's speed hits them all alike; a
model's cost is the median over rounds of its time divided by the baseline's in the same round. Accuracy is the
text suite's job (benchmarks/text_suite.py).

Usage:
    python benchmarks/text_classification.py                 # about 10 minutes on 2 CPU cores
    python benchmarks/text_classification.py --rounds 8 --shapes 32x128

Writes benchmarks/results/text_classification.md (the table) and .json (every timing).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import torch
from common import RESULTS_DIR, machine, write_results

from modeling_amsdff import AmsdffForSequenceClassification
from modeling_amsdff.offline_data import minilm_path
from modeling_amsdff.registry import AMSDFF_BASELINE_ARGUMENTS, AMSDFF_EVERY_MODULE_ARGUMENTS


EVERY_MODULE = AMSDFF_EVERY_MODULE_ARGUMENTS  # what the stored runs ran
MODELS = {
    "baseline": dict(AMSDFF_BASELINE_ARGUMENTS),
    "amsdff": EVERY_MODULE,
    "amsdff, no feature enhancer": {**EVERY_MODULE, "use_feature_enhancer": False},
    "amsdff, no multi-scale attention": {**EVERY_MODULE, "use_multi_scale_attention": False},
    "amsdff, no dynamic fusion": {"use_dynamic_fusion": False},  # the defaults since 0.4
    "amsdff, CLS pooling only": {**EVERY_MODULE, "pooling_modes": ("cls",)},
}
TARGETS = {"training step": 1.10, "inference": 1.05}  # the ceilings for AMSDFF / baseline at 32 x 128
WARMUP_ROUNDS = 3


def make_batch(batch_size: int, tokens: int) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(0)
    return {
        "input_ids": torch.randint(1000, 20000, (batch_size, tokens), generator=generator),
        "attention_mask": torch.ones(batch_size, tokens, dtype=torch.long),
        "labels": torch.randint(0, 2, (batch_size,), generator=generator),
    }


def time_inference(model, batch) -> float:
    model.eval()
    inputs = {key: value for key, value in batch.items() if key != "labels"}
    with torch.no_grad():
        start = time.perf_counter()
        model(**inputs)
        return time.perf_counter() - start


def time_training_step(model, optimizer, batch) -> float:
    model.train()
    start = time.perf_counter()
    model(**batch).loss.backward()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    return time.perf_counter() - start


def measure(models: dict, shape: tuple[int, int], rounds: int) -> dict[str, dict[str, list[float]]]:
    """Seconds per round for every model: {model: {"training step": [...], "inference": [...]}}."""
    batch = make_batch(*shape)
    optimizers = {name: torch.optim.AdamW(model.parameters(), lr=1e-5) for name, model in models.items()}
    times = {name: {"training step": [], "inference": []} for name in models}
    names = list(models)
    for round_index in range(WARMUP_ROUNDS + rounds):
        order = names[round_index % len(names) :] + names[: round_index % len(names)]
        for name in order:
            step = time_training_step(models[name], optimizers[name], batch)
            inference = time_inference(models[name], batch)
            if round_index >= WARMUP_ROUNDS:
                times[name]["training step"].append(step)
                times[name]["inference"].append(inference)
    return times


def relative(times: dict, name: str, kind: str) -> float:
    """Median over rounds of the model's time over the baseline's in the same round."""
    return statistics.median(a / b for a, b in zip(times[name][kind], times["baseline"][kind]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--shapes", nargs="+", default=["32x128", "32x64"], help="batch x tokens")
    parser.add_argument("--output", default=os.path.join(RESULTS_DIR, "text_classification"))
    args = parser.parse_args()
    torch.manual_seed(0)
    models = {
        name: AmsdffForSequenceClassification.from_pretrained_backbone(minilm_path(), num_labels=2, **kwargs)
        for name, kwargs in MODELS.items()
    }
    parameters = {name: sum(p.numel() for p in model.parameters()) for name, model in models.items()}
    results = {}
    lines = [
        f"Machine: {machine()}. Encoder: all-MiniLM-L6-v2 (offline), every token real (no padding). "
        f"{args.rounds} interleaved rounds after {WARMUP_ROUNDS} warm-up rounds; time: the median over rounds; "
        "relative: the median over rounds of the model's time / the baseline's in the same round. "
        f"Targets at 32 x 128: training step <= {TARGETS['training step']}x, inference <= {TARGETS['inference']}x.",
        "",
    ]
    for shape_text in args.shapes:
        shape = tuple(int(part) for part in shape_text.split("x"))
        times = measure(models, shape, args.rounds)
        results[shape_text] = times
        lines += [
            f"**batch {shape[0]} x {shape[1]} tokens**",
            "",
            "| model | parameters | training step | relative | inference | relative |",
            "|---|---|---|---|---|---|",
        ]
        for name in models:
            cells = []
            for kind in ("training step", "inference"):
                cells += [
                    f"{statistics.median(times[name][kind]) * 1000:.0f} ms",
                    f"{relative(times, name, kind):.3f}x",
                ]
            lines.append(f"| {name} | {parameters[name] / 1e6:.2f}M | " + " | ".join(cells) + " |")
        lines.append("")
        print("\n".join(lines[-len(models) - 5 :]), flush=True)
    write_results(
        args.output,
        "AMSDFF's cost over the baseline",
        "\n".join(lines),
        {"machine": machine(), "parameters": parameters, "seconds": results},
    )
    print(f"wrote {args.output}.md and .json")


if __name__ == "__main__":
    main()

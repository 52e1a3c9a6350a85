#!/usr/bin/env python
# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""AMSDFF vs the plain baseline (encoder + CLS pooling + linear head) on the same encoder, data, seeds and budget.

Both are trained by `train.py` on the offline Rotten Tomatoes corpus (de-duplicated, stratified split, split seed 42)
with the offline all-MiniLM-L6-v2 encoder. Reports test accuracy and macro-F1 (mean +- std over seeds), training
samples/s (Trainer), inference samples/s, parameters, and the cost of one training step (forward + backward +
AdamW step on a fixed 32 x 64-token batch, median of repeated steps) relative to the baseline.

Usage:
    python benchmarks/text_classification.py                      # the README numbers (about 25 min on 2 cores)
    python benchmarks/text_classification.py --seeds 0 --max_train_samples 500 --epochs 1   # a quick look
    python benchmarks/text_classification.py --step_cost_only

Writes benchmarks/results/text_classification.md (the table) and .json (every run).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time

import torch
from common import RESULTS_DIR, machine, mean_std

from modeling_amsdff import AmsdffForSequenceClassification
from modeling_amsdff.offline_data import load_rotten_tomatoes, minilm_path
from modeling_amsdff.registry import AMSDFF_BASELINE_ARGUMENTS

import train


# ---- budget (same for both models) -------------------------------------------------------------------------------
MAX_TRAIN_SAMPLES = 2000  # training snippets
MAX_EVAL_SAMPLES = 500  # validation snippets (the test split is used whole)
EPOCHS = 2
BATCH_SIZE = 32
MAX_SEQ_LENGTH = 64  # tokens
LEARNING_RATE = 1e-4  # AdamW, cosine schedule, 10% warmup, weight decay 0.01, gradient clipping 1.0
SEEDS = (0, 1, 2)
STEP_BATCH, STEP_TOKENS, STEP_REPEATS = 32, 64, 15  # the training-step cost measurement

MODELS = {"baseline": dict(AMSDFF_BASELINE_ARGUMENTS), "amsdff": {}}


def step_cost(model_kwargs: dict) -> float:
    """Median seconds of one full training step on a fixed batch (forward, backward, AdamW step)."""
    torch.manual_seed(0)
    model = AmsdffForSequenceClassification.from_pretrained_backbone(minilm_path(), num_labels=2, **model_kwargs)
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    batch = {
        "input_ids": torch.randint(1000, 20000, (STEP_BATCH, STEP_TOKENS)),
        "attention_mask": torch.ones(STEP_BATCH, STEP_TOKENS, dtype=torch.long),
        "labels": torch.randint(0, 2, (STEP_BATCH,)),
    }
    times = []
    for step in range(STEP_REPEATS + 3):
        start = time.perf_counter()
        model(**batch).loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if step >= 3:  # warm-up steps excluded
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def inference_rate(folder: str, texts: list[str]) -> float:
    """Test-set snippets per second through the saved model (batch 64, no gradients, after one warm-up batch)."""
    from transformers import AutoTokenizer

    model = AmsdffForSequenceClassification.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    batches = [texts[i : i + 64] for i in range(0, len(texts), 64)]
    with torch.no_grad():
        model(**tokenizer(batches[0], truncation=True, max_length=MAX_SEQ_LENGTH, padding=True, return_tensors="pt"))
        start = time.perf_counter()
        for batch in batches:
            encoded = tokenizer(batch, truncation=True, max_length=MAX_SEQ_LENGTH, padding=True, return_tensors="pt")
            model(**encoded)
    return len(texts) / (time.perf_counter() - start)


def train_once(name: str, seed: int, args, workdir: str) -> dict:
    out = os.path.join(workdir, f"{name}-seed{seed}")
    argv = [
        "--output_dir",
        out,
        "--model_type",
        "baseline" if name == "baseline" else "amsdff",
        "--max_train_samples",
        str(args.max_train_samples),
        "--max_eval_samples",
        str(MAX_EVAL_SAMPLES),
        "--num_train_epochs",
        str(args.epochs),
        "--per_device_train_batch_size",
        str(BATCH_SIZE),
        "--per_device_eval_batch_size",
        "64",
        "--max_seq_length",
        str(MAX_SEQ_LENGTH),
        "--learning_rate",
        str(LEARNING_RATE),
        "--lr_scheduler_type",
        "cosine",
        "--warmup_steps",
        "0.1",
        "--weight_decay",
        "0.01",
        "--seed",
        str(seed),
        "--eval_strategy",
        "no",
        "--save_strategy",
        "no",
        "--report_to",
        "none",
        "--logging_steps",
        "20",
        "--use_cpu",
        "--disable_tqdm",
        "true",
    ]
    start = time.perf_counter()
    results = train.main(argv)
    model = AmsdffForSequenceClassification.from_pretrained(out)
    return {
        "model": name,
        "seed": seed,
        "test_accuracy": results["predict_accuracy"],
        "test_f1_macro": results["predict_f1_macro"],
        "train_samples_per_second": results["train_samples_per_second"],
        "parameters": sum(p.numel() for p in model.parameters()),
        "wall_seconds": time.perf_counter() - start,
        "folder": out,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--max_train_samples", type=int, default=MAX_TRAIN_SAMPLES)
    parser.add_argument("--epochs", type=float, default=EPOCHS)
    parser.add_argument("--step_cost_only", action="store_true")
    parser.add_argument("--output", default=os.path.join(RESULTS_DIR, "text_classification"))
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)

    print(f"machine: {machine()}", flush=True)
    costs = {name: step_cost(kwargs) for name, kwargs in MODELS.items()}
    ratio = costs["amsdff"] / costs["baseline"]
    print(
        f"training step ({STEP_BATCH} x {STEP_TOKENS} tokens): "
        + ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in costs.items())
        + f"; AMSDFF / baseline = {ratio:.3f}",
        flush=True,
    )
    if args.step_cost_only:
        return

    test_texts = load_rotten_tomatoes()["test"]["text"]
    runs = []
    with tempfile.TemporaryDirectory() as workdir:
        for seed in args.seeds:
            for name in MODELS:
                run = train_once(name, seed, args, workdir)
                run["inference_samples_per_second"] = inference_rate(run.pop("folder"), test_texts)
                runs.append(run)
                print(json.dumps(run), flush=True)

    rows = []
    for name in MODELS:
        mine = [r for r in runs if r["model"] == name]
        rows.append(
            f"| {name} | {mean_std([r['test_accuracy'] for r in mine])} "
            f"| {mean_std([r['test_f1_macro'] for r in mine])} "
            f"| {statistics.mean(r['train_samples_per_second'] for r in mine):.1f} "
            f"| {statistics.mean(r['inference_samples_per_second'] for r in mine):.1f} "
            f"| {costs[name] * 1000:.0f} ms ({costs[name] / costs['baseline']:.2f}x) "
            f"| {mine[0]['parameters'] / 1e6:.2f}M |"
        )
    table = "\n".join(
        [
            f"Machine: {machine()}. Data: offline Rotten Tomatoes (fresh/rotten), {args.max_train_samples} training "
            f"snippets, the whole test split ({len(test_texts)} snippets). Encoder: all-MiniLM-L6-v2. "
            f"Budget: {args.epochs} epochs, batch {BATCH_SIZE}, max {MAX_SEQ_LENGTH} tokens, AdamW lr "
            f"{LEARNING_RATE}, cosine, 10% warmup. "
            f"Seeds: {args.seeds} (mean ± std).",
            "",
            "| model | test accuracy | test macro-F1 | train samples/s | inference samples/s | training step "
            "| parameters |",
            "|---|---|---|---|---|---|---|",
            *rows,
        ]
    )
    print("\n" + table)
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output + ".md", "w") as handle:
        handle.write(table + "\n")
    with open(args.output + ".json", "w") as handle:
        json.dump({"machine": machine(), "step_cost_seconds": costs, "runs": runs}, handle, indent=2)
    print(f"wrote {args.output}.md and .json")


if __name__ == "__main__":
    main()

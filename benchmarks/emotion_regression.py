#!/usr/bin/env python
# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Emotion regression heads on the VADER sentence ground truth: base vs gated (the default scaled softmax gate,
the seed's softmax, sigmoid) vs mixture of experts, on the same encoder (offline all-MiniLM-L6-v2), split, seeds and
budget, plus a TF-IDF + ridge baseline. Targets: mean valence and rater standard deviation, metrics in their
original units. Also: does the mixture route the four domains (tweets, movie reviews, Amazon reviews, NYT editorials)
to different experts? The mean router weights per domain on the test split answer that.

Usage:
    python benchmarks/emotion_regression.py                 # the README numbers (about 35 min on 2 CPU cores)
    python benchmarks/emotion_regression.py --seeds 0 --max_train_samples 500 --epochs 1   # a quick look
    python benchmarks/emotion_regression.py --heads base gated moe     # the defaults only (about 25 min)

Writes benchmarks/results/emotion_regression.md (tables) and .json (every run).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile

import numpy as np
import torch
from common import QUIET_CPU_RUN, RESULTS_DIR, TEXT_SCHEDULE, machine, mean_std

from modeling_amsdff import EmotionRegressionForSequenceClassification
from modeling_amsdff.metrics import regression_metrics
from modeling_amsdff.offline_data import load_vader

import train


# ---- budget (same for every head) ----------------------------------------------------------------------------------
MAX_TRAIN_SAMPLES = 3000  # training sentences, the first of the fixed split (all four domains, stratified)
EPOCHS = 2
BATCH_SIZE = 32
MAX_SEQ_LENGTH = 64  # tokens
LEARNING_RATE = 1e-4  # AdamW, cosine schedule, 10% warmup, weight decay 0.01, gradient clipping 1.0; Huber loss
SEEDS = (0, 1, 2)
TARGETS = ("valence_mean", "valence_std")

# --heads name -> (table label, --model_type, --config_overrides)
HEADS = {
    "base": ("base", "bert_regression", None),
    "gated": ("gated (scaled softmax, the default)", "gated_bert", None),
    "gated-softmax": ("gated (softmax, as the seed states)", "gated_bert", "gate_activation=softmax"),
    "gated-sigmoid": ("gated (sigmoid)", "gated_bert", "gate_activation=sigmoid"),
    "moe": ("moe (4 experts)", "moe_regression", None),
}


def tfidf_ridge(train_split, test_split) -> dict:
    """TF-IDF (word 1-2 grams) + ridge regression, one model per target, trained on the same sentences."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import Ridge

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True)
    features = vectorizer.fit_transform(train_split["text"])
    test_features = vectorizer.transform(test_split["text"])
    predictions = np.stack([Ridge(alpha=1.0).fit(features, train_split[t]).predict(test_features) for t in TARGETS], 1)
    return regression_metrics(predictions, np.stack([test_split[t] for t in TARGETS], 1), list(TARGETS))


def predict(folder: str, texts: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
    """Predictions (original units) and, for a mixture, router weights of the saved model on `texts`."""
    from transformers import AutoTokenizer

    model = EmotionRegressionForSequenceClassification.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    predictions, routing = [], []
    with torch.no_grad():
        for start in range(0, len(texts), 64):
            batch = tokenizer(
                texts[start : start + 64],
                truncation=True,
                max_length=MAX_SEQ_LENGTH,
                padding=True,
                return_tensors="pt",
            )
            output = model(**batch)
            predictions.append(output.logits.numpy())
            if output.router_weights is not None:
                routing.append(output.router_weights.numpy())
    return np.concatenate(predictions), (np.concatenate(routing) if routing else None)


def train_head(name: str, seed: int, args, workdir: str, test_split) -> dict:
    _, model_type, overrides = HEADS[name]
    out = os.path.join(workdir, f"{model_type}-{seed}-{len(os.listdir(workdir))}")
    argv = [
        "--output_dir",
        out,
        "--model_type",
        model_type,
        "--max_train_samples",
        str(args.max_train_samples),
        "--max_eval_samples",
        "500",
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
        *TEXT_SCHEDULE,
        "--seed",
        str(seed),
        *QUIET_CPU_RUN,
        "--logging_steps",
        "25",
        "--do_train",
    ]
    if overrides:
        argv += ["--config_overrides", overrides]
    results = train.main(argv)
    predictions, routing = predict(out, test_split["text"])
    targets = np.stack([test_split[t] for t in TARGETS], 1)
    model = EmotionRegressionForSequenceClassification.from_pretrained(out)
    run = {
        "head": name,
        "seed": seed,
        **regression_metrics(predictions, targets, list(TARGETS)),
        "train_samples_per_second": results["train_samples_per_second"],
        "parameters": sum(p.numel() for p in model.parameters()),
        "head_parameters": sum(p.numel() for p in model.classifier.parameters()),
    }
    if routing is not None:
        domains = np.asarray(test_split["domain"])
        run["router_weights_by_domain"] = {
            d: routing[domains == d].mean(0).round(4).tolist() for d in sorted(set(domains))
        }
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--max_train_samples", type=int, default=MAX_TRAIN_SAMPLES)
    parser.add_argument("--epochs", type=float, default=EPOCHS)
    parser.add_argument("--heads", nargs="+", default=list(HEADS), choices=list(HEADS), help="Heads to train.")
    parser.add_argument("--output", default=os.path.join(RESULTS_DIR, "emotion_regression"))
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    print(f"machine: {machine()}", flush=True)

    data = load_vader()
    test = data["test"]
    ridge_same = tfidf_ridge(data["train"].select(range(args.max_train_samples)), test)
    ridge_all = tfidf_ridge(data["train"], test)
    print(json.dumps({"tfidf_ridge_same_data": ridge_same, "tfidf_ridge_all_train": ridge_all}), flush=True)

    runs = []
    with tempfile.TemporaryDirectory() as workdir:
        for seed in args.seeds:
            for name in args.heads:
                run = train_head(name, seed, args, workdir, test)
                runs.append(run)
                print(json.dumps(run), flush=True)

    def row(label, metrics_list, speed="", params=""):
        cells = [mean_std([m[f"rmse_{t}"] for m in metrics_list], 3) for t in TARGETS]
        cells += [mean_std([m[f"mae_{t}"] for m in metrics_list], 3) for t in TARGETS]
        cells += [mean_std([m[f"pearson_{t}"] for m in metrics_list], 3) for t in TARGETS]
        return f"| {label} | " + " | ".join(cells) + f" | {speed} | {params} |"

    lines = [
        f"Machine: {machine()}. Data: VADER sentence ground truth, fixed split (seed 42, stratified by domain), "
        f"{args.max_train_samples} training sentences, the whole test split ({len(test)} sentences). Encoder: "
        f"all-MiniLM-L6-v2, pooler output. Budget: {args.epochs} epochs, batch {BATCH_SIZE}, max {MAX_SEQ_LENGTH} "
        f"tokens, AdamW lr {LEARNING_RATE}, cosine, 10% warmup, Huber loss (delta 0.6) on normalised targets. "
        f"Seeds {args.seeds} (mean ± std). valence = mean rating in [-4, 4]; disagreement = raters' std.",
        "",
        "| model | RMSE valence | RMSE disagreement | MAE valence | MAE disagreement | Pearson valence "
        "| Pearson disagreement | train samples/s | parameters (head) |",
        "|---|---|---|---|---|---|---|---|---|",
        row(f"TF-IDF + ridge ({args.max_train_samples} sentences)", [ridge_same]),
        row(f"TF-IDF + ridge (all {len(data['train'])} training sentences)", [ridge_all]),
    ]
    for name in args.heads:
        mine = [r for r in runs if r["head"] == name]
        speed = f"{statistics.mean(r['train_samples_per_second'] for r in mine):.1f}"
        params = f"{mine[0]['parameters'] / 1e6:.2f}M ({mine[0]['head_parameters'] / 1e3:.0f}k)"
        lines.append(row(HEADS[name][0], mine, speed, params))
    moe = [r for r in runs if "router_weights_by_domain" in r]
    if moe:
        domains = sorted(moe[0]["router_weights_by_domain"])
        header = "| seed | domain | " + " | ".join(f"expert {i}" for i in range(4)) + " |"
        lines += [
            "",
            "Mean router weight per expert, by domain, on the test split (mixture of experts; one table row "
            "per seed and domain; each row sums to 1):",
            "",
            header,
            "|---|---|---|---|---|---|",
        ]
        for run in moe:
            for domain in domains:
                weights = run["router_weights_by_domain"][domain]
                lines.append(f"| {run['seed']} | {domain} | " + " | ".join(f"{w:.3f}" for w in weights) + " |")
    table = "\n".join(lines)
    print("\n" + table)
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output + ".md", "w") as handle:
        handle.write(table + "\n")
    with open(args.output + ".json", "w") as handle:
        json.dump(
            {
                "machine": machine(),
                "tfidf_ridge_same_data": ridge_same,
                "tfidf_ridge_all_train": ridge_all,
                "runs": runs,
            },
            handle,
            indent=2,
        )
    print(f"wrote {args.output}.md and .json")


if __name__ == "__main__":
    main()

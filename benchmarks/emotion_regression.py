#!/usr/bin/env python
# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Emotion regression heads on the VADER sentence ground truth: base vs gated (the config's default gate and the
others: scaled softmax, scaled sigmoid, the seed's softmax, sigmoid) vs mixture of experts, on the same encoder
(offline all-MiniLM-L6-v2), split, seeds and budget, plus a TF-IDF + ridge baseline. Targets: mean valence and rater
standard deviation, metrics in their original units. Also: does the mixture route the four domains (tweets, movie
reviews, Amazon reviews, NYT editorials) to different experts? The mean router weights per domain, the routing and
load entropies and the domain-expert mutual information on the test split answer that, for the seed's dense router
and for what the sparse mixture-of-experts literature does (top-2 and noisy routing, a higher router learning rate,
a smaller balance coefficient, a router z-loss).

Usage:
    python benchmarks/emotion_regression.py                 # the defaults: base, gated, moe (about 25 min)
    python benchmarks/emotion_regression.py --heads gated-softmax gated-sigmoid   # other gates (about 8 min each)
    python benchmarks/emotion_regression.py --heads moe-noisy-top-2 moe-head-lr moe-balance-0.001 moe-z-loss
                                              # the router tries of issue 27 (about 9 min each)
    python benchmarks/emotion_regression.py --seeds 0 --max_train_samples 500 --epochs 1 --output /tmp/quick

Runs accumulate in benchmarks/results/emotion_regression.json (one per head and seed, written after each; a run
already there with the same budget is not repeated) and the table in .md is written from all of them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile

import numpy as np
import torch
from common import QUIET_CPU_RUN, RESULTS_DIR, TEXT_SCHEDULE, machine, machines_line, mean_std

from modeling_amsdff import EmotionRegressionConfig, EmotionRegressionForSequenceClassification
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

# --heads name -> (table label, --model_type, --config_overrides, other train.py arguments); every gate is named, so
# that runs stay what they were when the default changes
HEADS = {
    "base": ("base", "base_regression", None, ()),
    "gated-scaled-sigmoid": ("gated (scaled sigmoid)", "gated_regression", "gate_activation=scaled_sigmoid", ()),
    "gated-scaled-softmax": ("gated (scaled softmax)", "gated_regression", "gate_activation=scaled_softmax", ()),
    "gated-softmax": ("gated (softmax, as the seed states)", "gated_regression", "gate_activation=softmax", ()),
    "gated-sigmoid": ("gated (sigmoid)", "gated_regression", "gate_activation=sigmoid", ()),
    "moe": ("moe (4 experts)", "moe_regression", None, ()),
    "base-head-lr": ("base, head at lr 1e-3", "base_regression", None, ("--head_learning_rate", "1e-3")),
    # what the sparse mixture-of-experts literature does to make a router choose (issue 27, item 4)
    "moe-head-lr": ("moe, head and router at lr 1e-3", "moe_regression", None, ("--head_learning_rate", "1e-3")),
    "moe-balance-0.001": ("moe, balance coefficient 0.001", "moe_regression", "router_aux_loss_coef=0.001", ()),
    "moe-z-loss": ("moe, router z-loss 0.001", "moe_regression", "router_z_loss_coef=0.001", ()),
    "moe-top-2": ("moe, top-2 routing", "moe_regression", "router_top_k=2", ()),
    "moe-noisy-top-2": (
        "moe, noisy top-2 routing",
        "moe_regression",
        "router_top_k=2,router_noisy_gating=True",
        (),
    ),
    "moe-noisy-top-2-head-lr": (
        "moe, noisy top-2, head and router at lr 1e-3",
        "moe_regression",
        "router_top_k=2,router_noisy_gating=True",
        ("--head_learning_rate", "1e-3"),
    ),
}
ROUTING_KEYS = ("routing_entropy", "load_entropy", "domain_information_bits")
DEFAULT_GATE = "gated-" + EmotionRegressionConfig().gate_activation.replace("_", "-")
DEFAULT_HEADS = ("base", DEFAULT_GATE, "moe")


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
    _, model_type, overrides, extra = HEADS[name]
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
    results = train.main(argv + list(extra))
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
        run.update(routing_statistics(routing, domains))
    return run


def entropy(p: np.ndarray) -> np.ndarray:
    """Shannon entropy in bits along the last axis (0 log 0 = 0)."""
    p = np.clip(p, 0.0, 1.0)
    return -(np.where(p > 0, p * np.log2(np.where(p > 0, p, 1.0)), 0.0)).sum(-1)


def routing_statistics(routing: np.ndarray, domains: np.ndarray) -> dict:
    """How the router uses its experts on the test split. `routing_entropy`: the mean over examples of the entropy of
    the example's router weights, as a fraction of log2(num_experts) (1 = every example spread evenly over every
    expert, 0 = each example to one expert). `load_entropy`: the same for the experts' mean weight over the split
    (1 = the experts share the work evenly). `domain_information_bits`: the mutual information between the domain and
    the expert chosen (an example's router weights read as the probability of each expert): 0 when every domain is
    routed alike, at most log2(4 domains) = 2 bits."""
    bits = np.log2(routing.shape[1])
    load = routing.mean(0)
    information = 0.0
    for domain in sorted(set(domains)):
        share = float((domains == domain).mean())
        by_domain = routing[domains == domain].mean(0)
        used = by_domain > 0  # an expert a domain never uses adds nothing (0 log 0 = 0)
        information += share * float((by_domain[used] * np.log2(by_domain[used] / load[used])).sum())
    return {
        "routing_entropy": round(float(entropy(routing).mean() / bits), 4),
        "load_entropy": round(float(entropy(load) / bits), 4),
        "domain_information_bits": round(information, 4),
    }


def load_runs(path: str, budget: dict) -> list[dict]:
    """The runs already in `path`.json with the same budget (none when the budget differs)."""
    if not os.path.isfile(path + ".json"):
        return []
    with open(path + ".json") as handle:
        saved = json.load(handle)
    if saved.get("budget") != budget:
        return []
    filed = f"{saved['machine']}, as the file named it: the run did not record its own" if "machine" in saved else None
    return [run if run.get("machine") or not filed else {**run, "machine": filed} for run in saved["runs"]]


def write_report(path: str, budget: dict, references: dict, runs: list[dict]) -> None:
    def row(label, metrics_list, speed="", params=""):
        cells = [mean_std([m[f"rmse_{t}"] for m in metrics_list], 3) for t in TARGETS]
        cells += [mean_std([m[f"mae_{t}"] for m in metrics_list], 3) for t in TARGETS]
        cells += [mean_std([m[f"pearson_{t}"] for m in metrics_list], 3) for t in TARGETS]
        return f"| {label} | " + " | ".join(cells) + f" | {speed} | {params} |"

    seeds = sorted({run["seed"] for run in runs})
    lines = [
        f"{machines_line(runs)} Data: VADER sentence ground truth, fixed split (seed 42, stratified by domain), "
        f"{budget['max_train_samples']} training sentences, the whole test split. Encoder: all-MiniLM-L6-v2, pooler "
        f"output. Budget: {budget['epochs']} epochs, batch {BATCH_SIZE}, max {MAX_SEQ_LENGTH} tokens, AdamW lr "
        f"{LEARNING_RATE}, cosine, 10% warmup, Huber loss (delta 0.6) on normalised targets. Seeds {seeds} (mean ± "
        "std over the seeds each head ran). valence = mean rating in [-4, 4]; disagreement = raters' std.",
        "",
        "| model | RMSE valence | RMSE disagreement | MAE valence | MAE disagreement | Pearson valence "
        "| Pearson disagreement | train samples/s | parameters (head) |",
        "|---|---|---|---|---|---|---|---|---|",
        row(f"TF-IDF + ridge ({budget['max_train_samples']} sentences)", [references["tfidf_ridge_same_data"]]),
        row("TF-IDF + ridge (all training sentences)", [references["tfidf_ridge_all_train"]]),
    ]
    for name in HEADS:
        mine = [r for r in runs if r["head"] == name]
        if mine:
            speed = f"{statistics.mean(r['train_samples_per_second'] for r in mine):.1f}"
            params = f"{mine[0]['parameters'] / 1e6:.2f}M ({mine[0]['head_parameters'] / 1e3:.0f}k)"
            label = HEADS[name][0] + (", the default" if name == DEFAULT_GATE else "")
            lines.append(row(label, mine, speed, params))
    moe = [name for name in HEADS if any("routing_entropy" in r for r in runs if r["head"] == name)]
    if moe:
        lines += [
            "",
            "How each mixture uses its experts on the test split (mean ± std over seeds). routing entropy: the mean "
            "entropy of an example's router weights as a fraction of log2(4) (1 = every example spread evenly over "
            "the four experts, 0.5 = two experts evenly); load entropy: the same for the experts' mean weight (1 = "
            "the work shared evenly); domain information: the mutual information between the domain and the expert "
            "(bits; 0 = every domain routed alike, at most 2).",
            "",
            "| model | seeds | routing entropy | load entropy | domain information (bits) | RMSE valence "
            "| RMSE disagreement |",
            "|---|---|---|---|---|---|---|",
        ]
        for name in moe:
            mine = [r for r in runs if r["head"] == name and "routing_entropy" in r]
            cells = [mean_std([r[key] for r in mine], 3) for key in ROUTING_KEYS]
            cells += [mean_std([r[f"rmse_{t}"] for r in mine], 3) for t in TARGETS]
            seed_list = ", ".join(str(r["seed"]) for r in sorted(mine, key=lambda r: r["seed"]))
            lines.append(f"| {HEADS[name][0]} | {seed_list} | " + " | ".join(cells) + " |")
        domains = sorted(next(r for r in runs if "routing_entropy" in r)["router_weights_by_domain"])
        lines += [
            "",
            "Mean router weight per expert, by domain, on the test split, seed 0 of each mixture (expert numbers are "
            "arbitrary; each row sums to 1):",
            "",
            "| model | domain | " + " | ".join(f"expert {i}" for i in range(4)) + " |",
            "|---|---|---|---|---|---|",
        ]
        for name in moe:
            for run in (r for r in runs if r["head"] == name and r["seed"] == 0 and "routing_entropy" in r):
                for domain in domains:
                    weights = run["router_weights_by_domain"][domain]
                    lines.append(f"| {HEADS[name][0]} | {domain} | " + " | ".join(f"{w:.3f}" for w in weights) + " |")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + ".md", "w") as handle:
        handle.write("\n".join(lines) + "\n")
    with open(path + ".json", "w") as handle:
        json.dump({"budget": budget, **references, "runs": runs}, handle, indent=2)  # each run names its machine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--max_train_samples", type=int, default=MAX_TRAIN_SAMPLES)
    parser.add_argument("--epochs", type=float, default=EPOCHS)
    parser.add_argument("--heads", nargs="+", default=list(DEFAULT_HEADS), choices=list(HEADS), help="Heads to train.")
    parser.add_argument("--rerun", action="store_true", help="Train the --heads again (their runs are replaced).")
    parser.add_argument("--output", default=os.path.join(RESULTS_DIR, "emotion_regression"))
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count() or 1)
    print(f"machine: {machine()}", flush=True)

    data = load_vader()
    test = data["test"]
    budget = {"max_train_samples": args.max_train_samples, "epochs": args.epochs}
    references = {
        "tfidf_ridge_same_data": tfidf_ridge(data["train"].select(range(args.max_train_samples)), test),
        "tfidf_ridge_all_train": tfidf_ridge(data["train"], test),
    }
    print(json.dumps(references), flush=True)
    runs = load_runs(args.output, budget)
    if args.rerun:
        runs = [run for run in runs if run["head"] not in args.heads]
    with tempfile.TemporaryDirectory() as workdir:
        for seed in args.seeds:
            for name in args.heads:
                if any(run["head"] == name and run["seed"] == seed for run in runs):
                    continue
                runs.append({**train_head(name, seed, args, workdir, test), "machine": machine()})
                print(json.dumps(runs[-1]), flush=True)
                write_report(args.output, budget, references, runs)
    write_report(args.output, budget, references, runs)
    print(open(args.output + ".md").read())


if __name__ == "__main__":
    main()

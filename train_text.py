#!/usr/bin/env python
# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Train a text model of this package with the `transformers` Trainer: AMSDFF (or its plain baseline) for text
classification, the emotion-regression family (base, gated, mixture of experts) for multi-dimensional regression.
`train.py` runs this for the text `--model_type`s; it also runs on its own with the same arguments.

Arguments follow the transformers example `run_classification.py`, plus every `TrainingArguments` flag, the
training strategies of the emotion-regression seed and LoRA. The model builds on a pretrained encoder (with no
`--model_name_or_path`, the offline all-MiniLM-L6-v2) or continues a saved model of its family. With no data
arguments it trains on the family's offline real data: Rotten Tomatoes for classification, the VADER sentence ground
truth for regression (targets: mean valence and rater standard deviation). Splits are stratified and fixed by
`--split_seed 42`.

Examples:

    # AMSDFF on the offline Rotten Tomatoes data and MiniLM encoder; evaluates on the test split and writes a Hub repo
    python train.py --output_dir outputs/amsdff-rt --num_train_epochs 2 --per_device_train_batch_size 32

    # the plain baseline (encoder + CLS pooling + linear head) with the same budget
    python train.py --model_type baseline --output_dir outputs/baseline-rt --num_train_epochs 2

    # mixture-of-experts regression of VADER valence and rater disagreement, with the seed's training strategies
    python train.py --model_type moe_regression --output_dir outputs/moe-vader --density_weighting \\
        --freeze_layers 3 --unfreeze_epoch 1 --token_masking --head_learning_rate 1e-3 --regression_loss auto

    # gated head with a sigmoid gate, early stopping on validation RMSE
    python train.py --model_type gated_regression --config_overrides gate_activation=sigmoid \\
        --output_dir outputs/gated --eval_strategy epoch --save_strategy epoch --load_best_model_at_end \\
        --metric_for_best_model rmse --greater_is_better false --early_stopping_patience 2 --num_train_epochs 10

    # online: a Hub encoder and dataset, AMSDFF modules configured from the command line
    python train.py --model_name_or_path distilbert-base-uncased --dataset_name ag_news \\
        --config_overrides "num_experts=4,classification_loss=focal,scales=(1,3)" --output_dir outputs/amsdff-agnews

    # local files (csv/tsv/json/jsonl/parquet): several text columns, several regression targets
    python train.py --model_type base_regression --train_file scores.csv --text_column_names title,body \\
        --label_column_names joy,anger,fear --output_dir outputs/emotions
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile

import numpy as np
from datasets import DatasetDict
from datasets.fingerprint import Hasher
from transformers import AutoConfig, AutoTokenizer, DataCollatorWithPadding, set_seed

from modeling_amsdff.arguments import (
    UNTRAINED_HEAD,
    ImageDataArguments,
    LoraArguments,
    ModelArguments,
    RunTrainingArguments,
    StrategyArguments,
    TextDataArguments,
    apply_default_stages,
    parse_arguments,
    parse_config_overrides,
)
from modeling_amsdff.augmentation import Eda, TextAugmentationCollator, check_augmentation, load_wordnet
from modeling_amsdff.data import DataError, DataFacts, clean_splits, column_values, prepare_text_data
from modeling_amsdff.experiments import side_run_arguments
from modeling_amsdff.hub import hub_id
from modeling_amsdff.inference import load_saved
from modeling_amsdff.lora import check_lora_arguments
from modeling_amsdff.offline_data import MINILM_HUB_ID, minilm_path
from modeling_amsdff.registry import (
    FAMILIES_BY_MODEL_TYPE,
    IMAGE_CLASSIFICATION,
    TEXT_REGRESSION,
    ModelFamily,
    model_types_for,
    preset,
)
from modeling_amsdff.runner import (
    config_arguments,
    continue_saved_model,
    cross_validate_folds,
    cross_validation_folds,
    input_paths,
    label_arguments,
    make_trainer,
    run_command_line,
    search_hyperparameters,
    start_run,
    train_evaluate_predict,
    writing_output_dir,
)
from modeling_amsdff.text_cleaning import ALL_STEPS, check_steps
from modeling_amsdff.tracking import log_run_outputs, tracked_runs
from modeling_amsdff.training import ProgressiveFreezingCallback, RandomTokenMaskingCollator, density_weights


logger = logging.getLogger("train")

TEXT_ARGUMENTS = (ModelArguments, TextDataArguments, StrategyArguments, LoraArguments, RunTrainingArguments)
IMAGE_ONLY_HINT = (
    f"to the image models (--model_type {model_types_for(IMAGE_CLASSIFICATION)}); text models read "
    "--dataset_name or --train_file/--validation_file/--test_file."
)
REGRESSION_MODELS = model_types_for(TEXT_REGRESSION)


def check_strategy_arguments(strategy: StrategyArguments, lora_args: LoraArguments, family: ModelFamily) -> None:
    regression_family = family.task == TEXT_REGRESSION
    if strategy.regression_loss not in (None, "huber", "mse", "auto"):
        raise ValueError(f"--regression_loss must be huber, mse or auto, got {strategy.regression_loss!r}.")
    if strategy.regression_loss is not None and not regression_family:
        raise ValueError(
            f"--regression_loss applies to the regression models ({REGRESSION_MODELS}); a classifier takes "
            "`regression_loss` through --config_overrides."
        )
    if strategy.density_weighting and not regression_family:
        raise ValueError(f"--density_weighting needs a regression model ({REGRESSION_MODELS}).")
    if strategy.freeze_layers and lora_args.use_lora:
        raise ValueError("--freeze_layers and --use_lora both decide what trains; use one of them.")


def build_model(
    model_args: ModelArguments,
    family: ModelFamily,
    preset_arguments: dict,
    facts: DataFacts,
    overrides: dict,
    trains: bool = True,
):
    """A new model on a pretrained encoder, or a saved model of this family checked against the data; returns the
    model and the folder or Hub id its tokenizer comes from. A new model is refused when the run does not train."""
    path = model_args.model_name_or_path or minilm_path()
    hub_kwargs = model_args.hub_kwargs()
    config = load_saved(AutoConfig.from_pretrained, path, trust_remote_code=model_args.trust_remote_code, **hub_kwargs)
    if config.model_type == family.model_type:
        return continue_saved_model(model_args, family, path, facts, overrides, config), path
    if config.model_type in FAMILIES_BY_MODEL_TYPE:
        raise DataError(
            f"{path!r} holds a {config.model_type} model; --model_type {model_args.model_type} needs an encoder or a "
            "model of its own family."
        )
    if not trains:
        raise ValueError(UNTRAINED_HEAD)
    if model_args.config_name:
        preset_arguments = config_arguments(model_args, family)
    arguments = {**preset_arguments, **overrides, **label_arguments(family, facts)}
    load = family.model_class.from_pretrained_backbone
    model = load_saved(load, path, backbone_kwargs=hub_kwargs, **arguments)
    return model, path


def text_cleaning_of_run(asked: bool, config, path: str) -> list[str] | None:
    """The cleaning steps of the run: a saved model's own (`text_cleaning` in its config: it was trained on cleaned
    texts, so it keeps them, with or without --clean_text), else all steps with --clean_text, else none."""
    saved = check_steps(getattr(config, "text_cleaning", None), f"text_cleaning in {path}'s config")
    if saved and not asked:
        logger.info(f"{path} was trained on cleaned texts: this run cleans them the same way ({saved}).")
    return saved or (list(ALL_STEPS) if asked else None)


def text_length(data_args: TextDataArguments, tokenizer) -> int:
    """Tokens per text after truncation: --max_seq_length, at most what the tokenizer's model takes."""
    return min(data_args.max_seq_length, tokenizer.model_max_length)


def tokenize_splits(splits, tokenizer, data_args: TextDataArguments, training_args):
    """Tokenised splits that keep only what the model takes (its inputs, `labels`, `sample_weight`), and the
    training split's raw `text` when it is augmented on the fly."""
    max_length = text_length(data_args, tokenizer)
    padding = "max_length" if data_args.pad_to_max_length else False

    def tokenize(batch):
        return tokenizer(batch["text"], truncation=True, max_length=max_length, padding=padding)

    # datasets fingerprints each split's map from the function, which holds the tokenizer: hashing a tokenizer takes
    # a quarter of a second or more, so it is hashed once here (with max_length, padding and this code), not per split.
    transform = Hasher.hash(tokenize)
    with training_args.main_process_first(desc="tokenizing"):
        splits = DatasetDict(
            {
                name: split.map(
                    tokenize,
                    batched=True,
                    load_from_cache_file=not data_args.overwrite_cache,
                    new_fingerprint=Hasher.hash((split._fingerprint, transform, "batched")),
                    desc=f"tokenizing ({name})",
                )
                for name, split in splits.items()
            }
        )
    keep = set(tokenizer.model_input_names) | {"labels", "sample_weight"}
    for split in splits:
        kept = keep | ({"text"} if split == "train" and data_args.augmentation else set())
        splits[split] = splits[split].remove_columns([c for c in splits[split].column_names if c not in kept])
    return splits


def search_regression_loss(
    build, splits, tokenizer, facts: DataFacts, strategy, training_args, trainer_kwargs
) -> dict:
    """Train briefly with Huber and with MSE on the same examples; returns each one's validation RMSE."""
    subset = splits["train"].select(range(min(strategy.loss_search_samples, len(splits["train"]))))
    scores = {}
    with tempfile.TemporaryDirectory() as scratch:
        for loss in ("huber", "mse"):
            set_seed(training_args.seed)
            args = side_run_arguments(
                training_args,
                os.path.join(scratch, loss),
                num_train_epochs=strategy.loss_search_epochs,
                max_steps=-1,
            )
            quick_splits = {"train": subset, "validation": splits["validation"]}
            trainer = make_trainer(
                build({"regression_loss": loss}), args, quick_splits, tokenizer, facts, **trainer_kwargs
            )
            trainer.train()
            scores[loss] = trainer.evaluate()["eval_rmse"]
            logger.info(f"Loss search: {loss} -> validation RMSE {scores[loss]:.4f}")
    logger.info(f"Loss search: keeping {min(scores, key=scores.get)} ({scores})")
    return scores


def main(argv: list[str] | None = None) -> dict:
    argv = sys.argv[1:] if argv is None else argv
    model_args, data_args, strategy, lora_args, training_args = parse_arguments(
        TEXT_ARGUMENTS, argv, (ImageDataArguments,), IMAGE_ONLY_HINT
    )
    apply_default_stages(training_args)
    family, preset_arguments = preset(model_args.model_type)
    if family.is_image:
        raise ValueError(f"--model_type {model_args.model_type} is an image model: run train.py or train_image.py.")
    overrides = parse_config_overrides(model_args.config_overrides, family.config_class)
    if strategy.regression_loss in ("huber", "mse"):
        overrides["regression_loss"] = strategy.regression_loss
    check_strategy_arguments(strategy, lora_args, family)
    check_augmentation(data_args.augmentation, data_args.augmentation_probability)
    check_lora_arguments(
        lora_args, training_args, is_image=False, continues_a_model=bool(model_args.model_name_or_path)
    )
    inputs = input_paths(model_args, data_args, training_args)
    training_args, push_to_hub = start_run(training_args, family, lora_args, inputs)

    splits, facts = prepare_text_data(
        data_args, family, training_args.do_predict, cache_dir=model_args.cache_dir, token=model_args.token
    )
    logger.info(f"Data: {facts.num_examples}, problem: {facts.problem_type}, labels: {facts.label_names}")

    model, model_path = build_model(model_args, family, preset_arguments, facts, overrides, training_args.do_train)
    cleaning = text_cleaning_of_run(data_args.clean_text, model.config, model_path)
    if cleaning:
        model.config.text_cleaning = cleaning
    splits = clean_splits(splits, cleaning, data_args.drop_empty_texts)
    tokenizer = AutoTokenizer.from_pretrained(
        model_args.tokenizer_name or model_path,
        cache_dir=model_args.cache_dir,
        use_fast=model_args.use_fast_tokenizer,
        revision=model_args.model_revision,
        token=model_args.token,
    )
    if data_args.max_seq_length > tokenizer.model_max_length:  # said, as transformers' run_classification.py does
        logger.warning(
            f"--max_seq_length {data_args.max_seq_length} is longer than the model takes "
            f"({tokenizer.model_max_length} tokens): using {tokenizer.model_max_length}."
        )
    test_texts = column_values(splits["test"], "text") if "test" in splits else None  # for predictions.csv
    splits = tokenize_splits(splits, tokenizer, data_args, training_args)
    if strategy.density_weighting:
        weights = density_weights(
            np.asarray(column_values(splits["train"], "labels")),
            strategy.density_bins,
            strategy.density_alpha,
            strategy.density_max_weight or None,
        )
        splits["train"] = splits["train"].add_column("sample_weight", weights.tolist())
        logger.info(f"Density weights: min {weights.min():.3f}, max {weights.max():.3f}, mean {weights.mean():.3f}")

    train_collator = (
        RandomTokenMaskingCollator(
            tokenizer, strategy.mask_token_probability, strategy.mask_sample_probability, seed=training_args.seed
        )
        if strategy.token_masking
        else None
    )
    if data_args.augmentation == "eda":
        eda = Eda(load_wordnet(), seed=training_args.seed)
        train_collator = TextAugmentationCollator(
            tokenizer, eda, data_args.augmentation_probability, text_length(data_args, tokenizer), pad=train_collator
        )
    trainer_kwargs = {
        "data_collator": None if data_args.pad_to_max_length else DataCollatorWithPadding(tokenizer),
        "train_data_collator": train_collator,
        "head_learning_rate": strategy.head_learning_rate,
        "metric_name": data_args.metric_name,
        # one for every Trainer of the run: it remembers what it froze
        "callbacks": (ProgressiveFreezingCallback(strategy.freeze_layers, strategy.unfreeze_epoch),)
        if strategy.freeze_layers
        else (),
    }

    def new_model(config_arguments: dict):
        """A new model of this run with `config_arguments` over the run's (a loss try, a search trial, a fold)."""
        fresh = build_model(model_args, family, preset_arguments, facts, {**overrides, **config_arguments})[0]
        if cleaning:
            fresh.config.text_cleaning = cleaning
        return fresh

    results = {}
    if strategy.regression_loss == "auto" and training_args.do_train:
        scores = search_regression_loss(new_model, splits, tokenizer, facts, strategy, training_args, trainer_kwargs)
        results = {f"loss_search_{name}_eval_rmse": value for name, value in scores.items()}
        overrides["regression_loss"] = min(scores, key=scores.get)  # every later model of the run takes it
        set_seed(training_args.seed)
        model = new_model({})

    path = model_args.model_name_or_path
    base_model = hub_id(path) if path else MINILM_HUB_ID
    card = {
        "base_model": base_model,
        "hyperparameters": {"max_seq_length": text_length(data_args, tokenizer)},  # the length used
        "template_values": {
            "regression": family.task == TEXT_REGRESSION,
            "base_model_url": path
            if path and os.path.isdir(path)
            else f"https://huggingface.co/{path or MINILM_HUB_ID}",
        },
    }

    folds = cross_validation_folds(training_args, splits, facts)  # refused here, before anything is written
    experiments = {}
    with writing_output_dir(training_args), tracked_runs(training_args) as runs:
        if training_args.do_train and training_args.hyperparameter_search_trials:
            training_args, best_config, experiments["search"] = search_hyperparameters(
                new_model, family, facts, splits, tokenizer, training_args, **trainer_kwargs
            )
            results["hyperparameter_search_best"] = experiments["search"]
            overrides.update(best_config)  # every later model of the run takes the best trial's config values
            if best_config and not training_args.hyperparameter_search_only:
                set_seed(training_args.seed)
                model = new_model({})
        if folds and not training_args.hyperparameter_search_only:
            cross_validation, experiments["cross_validation"] = cross_validate_folds(
                new_model, facts, splits, tokenizer, training_args, folds, **trainer_kwargs
            )
            results.update(cross_validation)
        if not training_args.hyperparameter_search_only:
            results = train_evaluate_predict(
                model,
                family,
                facts,
                splits,
                tokenizer,
                training_args,
                lora_args,
                results,
                experiments=experiments,
                card=card,
                push_to_hub=push_to_hub,
                predict_inputs=test_texts,
                **trainer_kwargs,
            )
        log_run_outputs(runs, training_args.output_dir, results, training_args.mlflow_registered_model_name)
    return results


if __name__ == "__main__":
    run_command_line(main)

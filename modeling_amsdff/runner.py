# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""What the text and image training scripts do alike around their `Trainer`, as helpers that each script's `main()`
calls in the order of transformers' example scripts and that return to it: set up logging and check the output
folder, search and cross-validate when asked, build the Trainer with the package's callbacks, train (with LoRA if
asked), evaluate and predict, save the metrics, then write the plots and the model card and push. No helper calls
back into a script; the only functions handed down are the scripts' model factories, as the Trainer's `model_init`.
Not copied to the Hub with a model."""

from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager
from dataclasses import fields, replace

import datasets
import numpy as np
import transformers
from transformers import AutoConfig, EarlyStoppingCallback, PreTrainedConfig, set_seed

from .callbacks import LossComponentsCallback
from .data import DataError, DataFacts, column_values
from .experiments import (
    LOWER_IS_BETTER,
    cross_validate,
    cross_validation_summary,
    fold_indices,
    hyperparameter_search,
    load_search_space,
    with_arguments,
)
from .hub import HubPushError, push_folder, write_run_card
from .inference import load_saved
from .lora import finish_lora, start_lora
from .metrics import build_compute_metrics, confusion, per_class_report, write_predictions
from .output_dir import (
    PREDICTIONS_FILE,
    RUN,
    DiskFullError,
    OutputDirError,
    adopt_files,
    check_output_dir,
    claim_final_save,
    discard_previous_run,
    is_disk_full,
    may_write,
    record_folder,
    remove_final_model,
    resolve_resume_checkpoint,
    set_aside_previous_run,
    start_manifest,
)
from .plots import plots_available, write_plots
from .registry import TEXT_REGRESSION, ModelFamily
from .tracking import check_tracking
from .training import StrategyTrainer


logger = logging.getLogger("train")

PUSHED_CHECKPOINTS = ("checkpoint", "all_checkpoints")  # --hub_strategy values asking for checkpoints on the Hub


def check_experiment_arguments(training_args, family: ModelFamily, lora_args) -> None:
    """The search and cross-validation flags, checked before any data is loaded."""
    for name, least in (("cross_validation_folds", 2), ("hyperparameter_search_trials", 1)):
        value = getattr(training_args, name)
        if value is not None and (not isinstance(value, int) or value < least):
            raise ValueError(f"--{name} must be at least {least}, got {value}.")
        if value and lora_args.use_lora:
            raise ValueError(f"--{name} does not combine with --use_lora (each trial or fold builds a full model).")
        if value and not training_args.do_train:
            raise ValueError(f"--{name} trains models: it needs --do_train.")
    searching = bool(training_args.hyperparameter_search_trials)
    if (training_args.hyperparameter_search_space or training_args.hyperparameter_search_only) and not searching:
        raise ValueError(
            "--hyperparameter_search_space/--hyperparameter_search_only need --hyperparameter_search_trials."
        )
    if searching:
        try:
            import optuna  # noqa: F401
        except ImportError:
            raise ValueError(
                "--hyperparameter_search_trials needs Optuna: pip install 'modeling_amsdff[hpo]'."
            ) from None
        load_search_space(training_args.hyperparameter_search_space, family.is_image, family.config_class)


# The arguments that name something a run reads: its output folder may not be, hold or lie inside any of them.
INPUT_ARGUMENTS = (
    "model_name_or_path",
    "config_name",
    "tokenizer_name",
    "image_processor_name",
    "dataset_name",
    "train_file",
    "validation_file",
    "test_file",
    "train_dir",
    "validation_dir",
    "test_dir",
    "hyperparameter_search_space",
)


def input_paths(*argument_groups) -> dict[str, str]:
    """The local paths a run reads, by argument name, from its parsed argument dataclasses."""
    return {
        name: value
        for group in argument_groups
        for name in INPUT_ARGUMENTS
        if isinstance(value := getattr(group, name, None), str) and os.path.exists(value)
    }


def start_run(training_args, family: ModelFamily, lora_args, inputs: dict[str, str] | None = None) -> tuple:
    """Logging as the example scripts set it, the checks every run makes before it loads anything (`inputs`: the local
    paths the run reads, see `input_paths`), and the seed.

    Returns the training arguments with the Trainer's own Hub push turned off, and whether to push the finished
    folder (`push_folder` does it once at the end; the Trainer's pushes would replace the card with its generic one).
    """
    logging.basicConfig(
        format="%(asctime)s - %(levelname)s - %(name)s - %(message)s",
        datefmt="%H:%M:%S",
        handlers=[logging.StreamHandler(sys.stdout)],
    )
    log_level = training_args.get_process_log_level()
    logger.setLevel(log_level)
    datasets.utils.logging.set_verbosity(log_level)
    transformers.utils.logging.set_verbosity(log_level)

    resume = resolve_resume_checkpoint(training_args.resume_from_checkpoint, training_args.output_dir)
    check_output_dir(training_args.output_dir, training_args.overwrite_output_dir, resume, inputs)
    if training_args.early_stopping_patience is not None:
        if training_args.eval_strategy == "no" or not training_args.load_best_model_at_end:
            raise ValueError(
                "--early_stopping_patience needs --eval_strategy epoch (or steps), the same --save_strategy, "
                "--load_best_model_at_end and --metric_for_best_model (e.g. rmse with --greater_is_better false)."
            )
        metric = (training_args.metric_for_best_model or "loss").removeprefix("eval_")
        if metric in LOWER_IS_BETTER and training_args.greater_is_better:
            raise ValueError(
                f"--metric_for_best_model {training_args.metric_for_best_model} is lower-is-better: pass "
                "--greater_is_better false."
            )
    check_experiment_arguments(training_args, family, lora_args)
    check_tracking(training_args)
    push_to_hub = training_args.push_to_hub
    if push_to_hub and not training_args.do_train:
        raise ValueError("--push_to_hub uploads the model a run trains: it needs --do_train.")
    if push_to_hub and training_args.hub_strategy.value in PUSHED_CHECKPOINTS:
        raise ValueError(
            f"--hub_strategy {training_args.hub_strategy.value}: train.py pushes the finished output folder once, at "
            "the end (with its model card), never checkpoints; use --hub_strategy end (or leave it out)."
        )
    set_seed(training_args.seed)
    return replace(training_args, push_to_hub=False, resume_from_checkpoint=resume), push_to_hub


def check_saved_labels(config, path: str, num_labels: int, label_names: list[str] | None) -> None:
    """A saved model continues training only on data with as many labels (and the same names, when given)."""
    saved = list(config.id2label.values())
    if config.num_labels != num_labels or (label_names and saved != list(label_names)):
        raise DataError(
            f"The saved model {path!r} predicts {config.num_labels} labels {saved}, but the data has {num_labels} "
            f"{list(label_names or [])}. Pass --ignore_mismatched_sizes to give it a new head for these labels, start "
            "a new model instead, or use matching data."
        )


def label_arguments(family: ModelFamily, facts: DataFacts) -> dict:
    """The config arguments that fit a model's head to the data: its labels (or targets and their statistics)."""
    arguments = {
        "num_labels": len(facts.label_names),
        "id2label": dict(enumerate(facts.label_names)),
        "label2id": {name: i for i, name in enumerate(facts.label_names)},
    }
    if family.task == TEXT_REGRESSION:
        arguments["label_means"], arguments["label_scales"] = facts.label_means, facts.label_scales
    else:
        arguments["problem_type"] = facts.problem_type
    return arguments


def continue_saved_model(
    model_args, family: ModelFamily, path: str, facts: DataFacts, overrides: dict, config: PreTrainedConfig = None
):
    """The saved model of `family` in `path` (whose `config` the caller may have read already), to train further: its
    labels must be the data's, or, with --ignore_mismatched_sizes, it gets a new head for them (as transformers
    re-heads a model)."""
    if config is None:
        remote = {"trust_remote_code": model_args.trust_remote_code, **model_args.hub_kwargs()}
        config = load_saved(AutoConfig.from_pretrained, path, **remote)
    if config.model_type != family.model_type:
        raise DataError(
            f"{path!r} holds a {config.model_type} model; --model_type {model_args.model_type} continues "
            f"{family.model_type} models (or builds a new one)."
        )
    if model_args.ignore_mismatched_sizes:
        overrides = {**overrides, **label_arguments(family, facts), "ignore_mismatched_sizes": True}
    else:
        # A one-output regression of a classifier family names no classes: only the count is compared.
        unnamed = facts.problem_type == "regression" and family.task != TEXT_REGRESSION
        check_saved_labels(config, path, len(facts.label_names), None if unnamed else facts.label_names)
    return load_saved(family.model_class.from_pretrained, path, **model_args.hub_kwargs(), **overrides)


def config_arguments(model_args, family: ModelFamily) -> dict:
    """The arguments of the config that --config_name names (of the model's family), without the ones that describe
    the encoder, the labels or the targets: they replace the --model_type preset of a new model."""
    config = load_saved(family.config_class.from_pretrained, model_args.config_name, **model_args.hub_kwargs())
    if config.model_type != family.model_type:
        raise DataError(
            f"--config_name {model_args.config_name!r} holds a {config.model_type} config; --model_type "
            f"{model_args.model_type} needs a {family.model_type} one."
        )
    common = {field.name for field in fields(PreTrainedConfig)} | {"backbone_config", "label_means", "label_scales"}
    return {
        field.name: getattr(config, field.name) for field in fields(family.config_class) if field.name not in common
    }


def make_trainer(
    model,
    training_args,
    splits: datasets.DatasetDict,
    processing_class,
    facts: DataFacts,
    *,
    model_init=None,
    data_collator=None,
    train_data_collator=None,
    callbacks: tuple = (),
    head_learning_rate: float | None = None,
    metric_name: str | None = None,
) -> StrategyTrainer:
    """The Trainer of a run: the splits the stages need, the task's metrics, early stopping when asked, and the
    logging of every loss component and expert share (`LossComponentsCallback`)."""
    callbacks = list(callbacks)
    if getattr(training_args, "early_stopping_patience", None) is not None:
        callbacks.append(EarlyStoppingCallback(early_stopping_patience=training_args.early_stopping_patience))
    evaluates = training_args.do_eval or training_args.eval_strategy != "no"
    trainer = StrategyTrainer(
        model=model,
        model_init=model_init,
        args=training_args,
        train_dataset=splits.get("train") if training_args.do_train else None,
        eval_dataset=splits.get("validation") if evaluates else None,
        processing_class=processing_class,
        data_collator=data_collator,
        compute_metrics=build_compute_metrics(facts.problem_type, facts.label_names, metric_name),
        callbacks=callbacks,
        head_learning_rate=head_learning_rate,
        train_data_collator=train_data_collator,
    )
    LossComponentsCallback.attach(trainer)
    return trainer


@contextmanager
def writing_output_dir(training_args):
    """The run writes its output folder inside this block. With --overwrite_output_dir, the earlier run's files are
    set aside first and removed once the block has finished (a failed run leaves them where the log says); the
    folder's manifest (`amsdff_manifest.json`) lists what the run writes, also when the block fails."""
    output_dir, previous_run = training_args.output_dir, None
    with training_args.main_process_first(desc="preparing the output folder"):
        if training_args.should_save:
            if training_args.overwrite_output_dir and not training_args.resume_from_checkpoint:
                previous_run = set_aside_previous_run(output_dir)
            start_manifest(output_dir)
    try:
        yield
    except Exception as error:
        if not isinstance(error, DiskFullError) and is_disk_full(error, output_dir):
            kept = f" The earlier run's files are in {previous_run}." if previous_run else ""
            raise DiskFullError(
                f"The disk holding {output_dir!r} is full: the run stopped while writing there ({error}), and left no "
                "final model that loads as if complete. Free some space (or choose another --output_dir) and run "
                f"again; --resume_from_checkpoint true continues from the last complete checkpoint, if any.{kept}"
            ) from error
        raise
    finally:
        if training_args.should_save and os.path.isdir(output_dir):
            try:
                record_folder(output_dir, RUN)
            except OSError as error:  # e.g. the disk is full: never hide the error that stopped the run
                logger.warning(f"Could not write the manifest of {output_dir}: {error}")
    discard_previous_run(previous_run)


def cross_validation_folds(training_args, splits: datasets.DatasetDict, facts: DataFacts) -> list | None:
    """The folds of --cross_validation_folds, made from the training split with the run's seed (refused here, before
    anything is written, when the data cannot be cut so)."""
    if not (training_args.do_train and training_args.cross_validation_folds):
        return None
    labels = np.asarray(column_values(splits["train"], "labels"))
    count, seed = training_args.cross_validation_folds, training_args.seed
    return fold_indices(labels, facts.problem_type, count, seed, facts.label_names)


def search_hyperparameters(
    new_model, family: ModelFamily, facts: DataFacts, splits, processing_class, training_args, **trainer_kwargs
) -> tuple:
    """--hyperparameter_search_trials: Optuna trials, each a Trainer whose `model_init` is `new_model(config
    arguments)` (the trial's values of config fields), scored on the validation split. Returns the run's training
    arguments with the best trial's values, the best trial's config arguments, and both together (for the card and
    `all_results.json`)."""
    best_args, best_config = hyperparameter_search(
        lambda args, model_init: make_trainer(
            None, args, splits, processing_class, facts, model_init=model_init, **trainer_kwargs
        ),
        new_model,
        training_args,
        load_search_space(training_args.hyperparameter_search_space, family.is_image, family.config_class),
        training_args.hyperparameter_search_trials,
        facts.problem_type == "regression",
    )
    return with_arguments(training_args, best_args), best_config, {**best_args, **best_config}


def cross_validate_folds(
    new_model, facts: DataFacts, splits, processing_class, training_args, folds: list, **trainer_kwargs
) -> tuple[dict, dict]:
    """--cross_validation_folds: a Trainer per fold whose `model_init` is `new_model()`, trained on the fold's
    training part and evaluated on its held-out part. Returns the metrics' means and standard deviations (for
    `all_results.json`) and the card's summary."""
    report = cross_validate(
        lambda args, fold_splits: make_trainer(
            None, args, fold_splits, processing_class, facts, model_init=lambda: new_model({}), **trainer_kwargs
        ),
        training_args,
        splits["train"],
        facts,
        folds,
    )
    results = {}
    for name, mean in report["mean"].items():
        results[f"cross_validation_{name}_mean"] = mean
        results[f"cross_validation_{name}_std"] = report["std"][name]
    set_seed(training_args.seed)
    return results, {"folds": report["folds"], "summary": cross_validation_summary(report)}


def evaluate_validation(trainer, validation_split) -> dict:
    """Evaluate on the validation split; the metrics are logged and saved (eval_results.json) and returned."""
    metrics = dict(trainer.evaluate(), eval_samples=len(validation_split))
    trainer.log_metrics("eval", metrics)
    trainer.save_metrics("eval", metrics)
    return metrics


def train_evaluate_predict(
    model,
    family: ModelFamily,
    facts: DataFacts,
    splits,
    processing_class,
    training_args,
    lora_args,
    results: dict,
    *,
    experiments: dict,
    card: dict,
    push_to_hub: bool,
    predict_inputs: list[str] | None = None,
    **trainer_kwargs,
) -> dict:
    """The run's own stages, in order: LoRA adapters when asked, the Trainer, training and the final save
    (--do_train), evaluation (--do_eval), prediction of the test split (--do_predict; `predict_inputs`, the test
    texts or image files, go into predictions.csv), then `finish_run` (plots, card, push). Returns `results` with
    every stage's metrics."""
    lora = prediction = None
    report = {}
    if lora_args.use_lora:
        model, lora = start_lora(model, family, processing_class, lora_args, training_args)
    trainer = make_trainer(model, training_args, splits, processing_class, facts, **trainer_kwargs)
    results = dict(results)
    if training_args.do_train:
        results.update(train_and_save(trainer, family, processing_class, len(splits["train"]), lora_args, results))
    if training_args.do_eval:
        results.update(evaluate_validation(trainer, splits["validation"]))
    if training_args.do_predict:
        prediction, metrics, report = predict_test_split(trainer, splits["test"], facts, predict_inputs)
        results.update(metrics)
    return finish_run(
        trainer,
        family,
        facts,
        splits,
        processing_class,
        results,
        prediction=prediction,
        report=report,
        experiments=experiments,
        lora=lora,
        card=card,
        push_to_hub=push_to_hub,
    )


def finish_run(
    trainer,
    family: ModelFamily,
    facts: DataFacts,
    splits,
    processing_class,
    results: dict,
    *,
    prediction=None,
    report: dict | None = None,
    experiments: dict | None = None,
    lora: dict | None = None,
    card: dict,
    push_to_hub: bool,
) -> dict:
    """After the stages, on the main process: the plots (unless --no_plots), then, when the run trained, the model
    card (`card`: the `write_run_card` arguments the task adds; `report`: the test split's confusion matrix and
    per-class scores) and the push. Returns `results` with the pushed commit's URL when it pushed."""
    if not trainer.is_world_process_zero():
        return results
    plots = []
    if not trainer.args.no_plots:
        if plots_available():
            plots = write_plots(trainer, facts, splits, prediction, processing_class, family.is_image)
            logger.info(f"Plots: {', '.join(path for _, path in plots)}")
        else:
            logger.warning("No plots: matplotlib is not installed (pip install 'modeling_amsdff[plots]'); --no_plots.")
    if trainer.args.do_train:
        write_run_card(
            trainer,
            family,
            facts,
            results,
            plots=plots,
            experiments=experiments or {},
            lora=lora,
            **(report or {}),
            **card,
        )
        if push_to_hub:
            results = dict(results, hub_commit_url=push_output_dir(trainer.args))
    return results


def train_and_save(trainer, family: ModelFamily, processing_class, train_samples: int, lora_args, results) -> dict:
    """Train (resuming when asked), merge a LoRA adapter into the model, save the final model (a save cut short by a
    full disk leaves no partial weights) and the training metrics and state; returns the training metrics."""
    args = trainer.args
    train_result = trainer.train(resume_from_checkpoint=args.resume_from_checkpoint)
    metrics = dict(train_result.metrics, train_samples=train_samples)
    if lora_args.use_lora:
        finish_lora(trainer, family, processing_class)
    if args.should_save:
        claim_final_save(args.output_dir)
    try:
        trainer.save_model()
    except Exception as error:
        if args.should_save and is_disk_full(error, args.output_dir):
            removed = remove_final_model(args.output_dir)
            logger.error(f"The final model's save was cut short; removed its partial weights {removed}.")
        raise
    trainer.log_metrics("train", metrics)
    trainer.save_metrics("train", dict(metrics, **results))
    trainer.save_state()
    return metrics


def predict_test_split(trainer, test_split, facts: DataFacts, predict_inputs: list[str] | None) -> tuple:
    """Predict the test split: its metrics (saved as predict_results.json, with the confusion matrix and per-class
    scores of a classifier), and `predictions.csv` when the inputs are given. Returns the prediction, its metrics and
    the card's `confusion_matrix` / `per_class`."""
    prediction = trainer.predict(test_split, metric_key_prefix="predict")
    metrics = dict(prediction.metrics, predict_samples=len(test_split))
    trainer.log_metrics("predict", metrics)
    confusion_matrix = per_class = None
    if facts.problem_type == "single_label_classification":
        confusion_matrix = confusion(prediction.predictions, prediction.label_ids, len(facts.label_names))
        logger.info(f"Test confusion matrix (rows: true {facts.label_names}):\n{np.array(confusion_matrix)}")
    if facts.problem_type != "regression":
        per_class = per_class_report(
            prediction.predictions, prediction.label_ids, facts.problem_type, facts.label_names
        )
    trainer.save_metrics(
        "predict", dict(metrics, predict_confusion_matrix=confusion_matrix, predict_per_class=per_class)
    )
    path = os.path.join(trainer.args.output_dir, PREDICTIONS_FILE)
    writes = trainer.is_world_process_zero() and predict_inputs is not None
    if writes and not may_write(trainer.args.output_dir, PREDICTIONS_FILE):
        logger.warning(f"{path} is not this run's (it appeared while the run went on): no predictions written.")
    elif writes:
        count = write_predictions(
            path, prediction.predictions, prediction.label_ids, facts.problem_type, facts.label_names, predict_inputs
        )
        adopt_files(trainer.args.output_dir, [PREDICTIONS_FILE])
        logger.info(f"Predictions for the {count} test examples: {path}")
    return prediction, metrics, {"confusion_matrix": confusion_matrix, "per_class": per_class}


def push_output_dir(training_args) -> str:
    """Push the finished output folder (`push_folder`) to --hub_model_id (default: the folder's name); its URL. The
    folder's manifest is written first, so that the push holds the run to what it wrote (`check_only_run_files`), as
    amsdff-push does (links in the folder, and the other files of a LoRA run's base folder elsewhere)."""
    repo_id = training_args.hub_model_id or os.path.basename(os.path.abspath(training_args.output_dir))
    record_folder(training_args.output_dir, RUN, keep_in_progress=True)
    url = push_folder(
        training_args.output_dir,
        repo_id,
        token=training_args.hub_token,
        private=training_args.hub_private_repo,
        revision=training_args.hub_revision,
    )
    print(f"Pushed {training_args.output_dir} to the Hub: {url}", flush=True)  # shown at any log level
    return url


def run_command_line(main) -> None:
    """Run a training script's `main`: problems with the user's arguments, config or data end in one clear line
    (exit code 2), not a stack trace from deep inside; `AMSDFF_DEBUG=1` shows the trace."""
    try:
        main()
    except (DataError, OutputDirError, HubPushError, ValueError) as error:
        if os.environ.get("AMSDFF_DEBUG"):
            raise
        print(f"error: {error}", file=sys.stderr)
        sys.exit(2)

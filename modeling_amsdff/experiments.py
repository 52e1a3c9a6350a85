# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Hyperparameter search and K-fold cross-validation around a run's Trainer (`--hyperparameter_search_trials`,
`--cross_validation_folds`). Both re-create the model for every trial or fold through the run's model factory, train
on the training split only and score on held-out data that is not the test split: the search on the validation
split, each fold on its own held-out part of the training split. Not copied to the Hub with a model.

The search is `Trainer.hyperparameter_search` with the Optuna backend: a seeded TPE sampler, and a median pruner that
stops a trial whose validation metric falls behind at an evaluation (so pruning needs evaluations during training:
the search evaluates every epoch unless --eval_strategy says otherwise). A search space names `TrainingArguments`
fields (set by the Trainer for each trial) and fields of the family's config (set on the trial's new model)."""

from __future__ import annotations

import json
import logging
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import fields, replace

import numpy as np
from transformers import TrainingArguments

from .data import DataError


logger = logging.getLogger("train")

SEARCH_FILE = "hyperparameter_search.json"
CROSS_VALIDATION_FILE = "cross_validation_results.json"
LOWER_IS_BETTER = ("rmse", "mae", "loss")

# The search space of each task when no --hyperparameter_search_space is given: the optimizer's settings that matter
# most at the budgets these models train with (the fine-tuning ranges of the text encoders; around the image recipe).
DEFAULT_SEARCH_SPACES = {
    "text": {
        "learning_rate": {"type": "float", "low": 1e-5, "high": 3e-4, "log": True},
        "weight_decay": {"type": "float", "low": 0.0, "high": 0.1},
        "warmup_steps": {"type": "float", "low": 0.0, "high": 0.2},
        "per_device_train_batch_size": {"type": "categorical", "choices": [16, 32]},
    },
    "image": {
        "learning_rate": {"type": "float", "low": 5e-4, "high": 1e-2, "log": True},
        "weight_decay": {"type": "float", "low": 0.0, "high": 0.1},
        "warmup_steps": {"type": "float", "low": 0.0, "high": 0.1},
        "per_device_train_batch_size": {"type": "categorical", "choices": [32, 64, 128]},
    },
}
TRIAL_KINDS = {"float": ("low", "high"), "int": ("low", "high"), "categorical": ("choices",)}


def side_run_arguments(training_args, output_dir: str, **changes):
    """The training arguments of a side run (a search trial, a fold, a loss try): the run's own, writing into a scratch
    `output_dir`, saving and reporting nothing, without early stopping or evaluation unless `changes` ask for it."""
    return replace(
        training_args,
        output_dir=output_dir,
        **{
            "eval_strategy": "no",
            "save_strategy": "no",
            "load_best_model_at_end": False,
            "early_stopping_patience": None,
            "report_to": [],
            "push_to_hub": False,
            **changes,
        },
    )


# ---- search space --------------------------------------------------------------------------------------------------


def load_search_space(path: str | None, is_image: bool, config_class) -> dict[str, dict]:
    """The search space of a run: the JSON file `path` ({name: {"type": "float"|"int", "low", "high", "log"?} or
    {"type": "categorical", "choices": [...]}}) or the task's default, checked: every name must be a
    `TrainingArguments` field or a field of the family's config."""
    if path is None:
        return DEFAULT_SEARCH_SPACES["image" if is_image else "text"]
    if not os.path.isfile(path):
        raise ValueError(f"--hyperparameter_search_space {path!r}: no such file.")
    try:
        with open(path) as handle:
            space = json.load(handle)
    except json.JSONDecodeError as error:
        raise ValueError(f"--hyperparameter_search_space {path!r} is not valid JSON: {error}") from error
    if not isinstance(space, dict) or not space:
        raise ValueError(f"--hyperparameter_search_space {path!r} must be a non-empty JSON object of parameters.")
    known = {field.name for field in fields(TrainingArguments)} | set(config_class.__dataclass_fields__)
    unknown = sorted(set(space) - known)
    if unknown:
        raise ValueError(
            f"--hyperparameter_search_space {path!r} names {unknown}, which are neither training arguments nor "
            f"{config_class.__name__} fields."
        )
    for name, spec in space.items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        if kind not in TRIAL_KINDS or any(key not in spec for key in TRIAL_KINDS[kind]):
            raise ValueError(
                f"--hyperparameter_search_space: {name} must be {{'type': 'float'|'int', 'low': ..., 'high': ...}} "
                f"or {{'type': 'categorical', 'choices': [...]}}, got {spec!r}."
            )
        if kind != "categorical" and not spec["low"] < spec["high"]:
            raise ValueError(f"--hyperparameter_search_space: {name} needs low < high, got {spec!r}.")
        if kind == "categorical" and not (isinstance(spec["choices"], list) and spec["choices"]):
            raise ValueError(f"--hyperparameter_search_space: {name} needs a non-empty list of choices.")
    return space


def suggest(trial, name: str, spec: dict):
    if spec["type"] == "float":
        return trial.suggest_float(name, spec["low"], spec["high"], log=spec.get("log", False))
    if spec["type"] == "int":
        return trial.suggest_int(name, spec["low"], spec["high"], log=spec.get("log", False))
    return trial.suggest_categorical(name, spec["choices"])


def objective_metric(training_args, is_regression: bool) -> tuple[str, str]:
    """(validation metric, "maximize" | "minimize") the search ranks trials by: --metric_for_best_model, else
    accuracy for classifiers and RMSE for regression."""
    metric = (training_args.metric_for_best_model or ("rmse" if is_regression else "accuracy")).removeprefix("eval_")
    lower = (
        metric in LOWER_IS_BETTER
        if training_args.metric_for_best_model is None
        else not training_args.greater_is_better
    )
    return metric, "minimize" if lower else "maximize"


# ---- hyperparameter search -----------------------------------------------------------------------------------------


def hyperparameter_search(
    make_trainer: Callable,
    build: Callable[[dict], object],
    training_args,
    space: dict,
    trials: int,
    is_regression: bool,
) -> tuple[dict, dict]:
    """Runs `trials` Optuna trials; returns (the best trial's training arguments, its config arguments) and writes
    every trial to `<output_dir>/hyperparameter_search.json`.

    `make_trainer(args, model_init)` builds the run's Trainer around a model factory; `build(config_arguments)` makes
    a new model with those config arguments."""
    import optuna

    argument_names = {field.name for field in fields(TrainingArguments)}
    in_args = {name: spec for name, spec in space.items() if name in argument_names}
    in_config = {name: spec for name, spec in space.items() if name not in argument_names}
    metric, direction = objective_metric(training_args, is_regression)

    def model_init(trial=None):
        chosen = {name: suggest(trial, name, spec) for name, spec in in_config.items()} if trial else {}
        return build(chosen)

    def objective(metrics: dict) -> float:
        if f"eval_{metric}" not in metrics:
            raise ValueError(f"The search ranks trials by eval_{metric}, which the evaluation does not report.")
        return metrics[f"eval_{metric}"]

    storage = optuna.storages.InMemoryStorage()
    with tempfile.TemporaryDirectory() as scratch:
        evaluation = "epoch" if training_args.eval_strategy == "no" else training_args.eval_strategy
        args = side_run_arguments(training_args, scratch, eval_strategy=evaluation)
        trainer = make_trainer(args, model_init)
        best = trainer.hyperparameter_search(
            hp_space=lambda trial: {name: suggest(trial, name, spec) for name, spec in in_args.items()},
            compute_objective=objective,
            n_trials=trials,
            direction=direction,
            backend="optuna",
            sampler=optuna.samplers.TPESampler(seed=training_args.seed),
            pruner=optuna.pruners.MedianPruner(n_startup_trials=2),
            storage=storage,
            study_name="train.py",
        )
    study = optuna.load_study(study_name="train.py", storage=storage)
    report = {
        "metric": f"eval_{metric}",
        "direction": direction,
        "trials_requested": trials,
        "space": space,
        "best_trial": int(best.run_id),
        "best_value": best.objective,
        "best_hyperparameters": best.hyperparameters,
        "trials": [
            {"number": t.number, "state": t.state.name, "value": t.value, "params": t.params} for t in study.trials
        ],
    }
    os.makedirs(training_args.output_dir, exist_ok=True)
    with open(os.path.join(training_args.output_dir, SEARCH_FILE), "w") as handle:
        json.dump(report, handle, indent=2)
    pruned = sum(t.state == optuna.trial.TrialState.PRUNED for t in study.trials)
    logger.info(f"Search: best trial {best.run_id} ({metric} {best.objective:.4f}), {pruned} of {trials} pruned")
    chosen = best.hyperparameters
    best_args = {name: value for name, value in chosen.items() if name in in_args}
    best_config = {name: value for name, value in chosen.items() if name in in_config}
    return best_args, best_config


def with_arguments(training_args, chosen: dict):
    """`training_args` with the searched values, cast to the type each field has (as the Trainer sets them)."""
    cast = {
        name: type(getattr(training_args, name))(value) if getattr(training_args, name) is not None else value
        for name, value in chosen.items()
    }
    return replace(training_args, **cast)


# ---- cross-validation ----------------------------------------------------------------------------------------------


def fold_indices(labels: np.ndarray, problem_type: str, folds: int, seed: int, label_names: list[str]) -> list:
    """(training indices, held-out indices) of each fold: stratified by class for single-label data (every fold
    holds each class in proportion), by label sets with iterative stratification for multi-label data (the
    `iterative-stratification` package; without it, plain shuffled folds, with a warning), shuffled folds for
    regression."""
    from sklearn.model_selection import KFold, StratifiedKFold

    if folds < 2:
        raise ValueError(f"--cross_validation_folds must be at least 2, got {folds}.")
    if folds > len(labels):
        raise DataError(f"--cross_validation_folds {folds} is more than the {len(labels)} training examples.")
    positions = np.zeros((len(labels), 1))
    if problem_type == "single_label_classification":
        counts = np.bincount(labels.astype(int), minlength=len(label_names))
        present = np.flatnonzero(counts)
        smallest = present[counts[present].argmin()]
        if counts[smallest] < folds:
            raise DataError(
                f"--cross_validation_folds {folds} is larger than the smallest class: {label_names[smallest]!r} has "
                f"{counts[smallest]} training example(s), and every fold must hold each class."
            )
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        return list(splitter.split(positions, labels))
    if problem_type == "multi_label_classification":
        try:
            from iterstrat.ml_stratifiers import MultilabelStratifiedKFold
        except ImportError:
            logger.warning(
                "Multi-label folds without iterative stratification (pip install iterative-stratification): "
                "plain shuffled folds."
            )
        else:
            splitter = MultilabelStratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
            return list(splitter.split(positions, labels.astype(int)))
    return list(KFold(n_splits=folds, shuffle=True, random_state=seed).split(positions))


def cross_validate(make_trainer: Callable, training_args, train, facts, folds: list) -> dict:
    """Trains a new model on each fold's training part and evaluates it on its held-out part (the test split is not
    used); `folds` as `fold_indices` makes them; `make_trainer(args, splits)` makes a fold's Trainer, whose
    `model_init` makes its new model. Writes every fold's metrics and their mean and sample standard deviation to
    `<output_dir>/cross_validation_results.json` and returns that report."""
    per_fold = []
    for number, (train_indices, held_indices) in enumerate(folds):
        with tempfile.TemporaryDirectory() as scratch:
            args = side_run_arguments(training_args, scratch, do_eval=True)  # whatever stages the run asked for
            splits = {"train": train.select(train_indices), "validation": train.select(held_indices)}
            trainer = make_trainer(args, splits)
            trainer.train()  # seeds with the run's seed, then makes the fold's model with `model_init`
            metrics = trainer.evaluate(metric_key_prefix="fold")
        metrics = {
            key.removeprefix("fold_"): value
            for key, value in metrics.items()
            if isinstance(value, (int, float)) and not key.endswith(("_runtime", "_per_second"))
        }
        metrics.update(fold=number, train_examples=len(train_indices), held_out_examples=len(held_indices))
        logger.info(f"Fold {number + 1}/{len(folds)}: {metrics}")
        per_fold.append(metrics)
    names = [key for key in per_fold[0] if key not in ("fold", "train_examples", "held_out_examples")]
    report = {
        "folds": len(folds),
        "stratified": facts.problem_type != "regression",
        "per_fold": per_fold,
        "mean": {name: float(np.mean([fold[name] for fold in per_fold])) for name in names},
        "std": {name: float(np.std([fold[name] for fold in per_fold], ddof=1)) for name in names},
    }
    os.makedirs(training_args.output_dir, exist_ok=True)
    with open(os.path.join(training_args.output_dir, CROSS_VALIDATION_FILE), "w") as handle:
        json.dump(report, handle, indent=2)
    return report


def cross_validation_summary(report: dict) -> dict[str, str]:
    """'mean ± std' of each metric of a cross-validation report, for the model card."""
    return {
        name: f"{mean:.4f} ± {report['std'][name]:.4f}" for name, mean in report["mean"].items() if math.isfinite(mean)
    }

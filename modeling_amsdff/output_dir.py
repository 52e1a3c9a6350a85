# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""A training run's output folder: never overwritten by accident, replaced whole by `--overwrite_output_dir`, and
resumed from its last complete checkpoint. Not copied to the Hub with a model."""

from __future__ import annotations

import fnmatch
import glob
import json
import logging
import os
import re
import shutil
import tempfile


logger = logging.getLogger("train")

WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
MODEL_FILES = ("config.json", *WEIGHT_FILES, "adapter_config.json")
# What a run of this package leaves in its output folder (the Trainer, save_pretrained, the tokenizer or image
# processor, the model card, LoRA): --overwrite_output_dir removes these and nothing else.
RUN_FILES = (
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "model-*-of-*.safetensors",
    "model.safetensors.index.json",
    "pytorch_model*.bin",
    "configuration_*.py",
    "modeling_*.py",
    "image_processing_*.py",
    "losses.py",
    "pooling.py",
    "pretrained_encoder.py",
    "regression_heads.py",
    "shared_layers.py",  # version 0.1.0
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "*.model",
    "chat_template.*",
    "preprocessor_config.json",
    "processor_config.json",
    "README.md",
    "training_args.bin",
    "trainer_state.json",
    "*_results.json",
    "checkpoint-*",
    "runs",
    "lora_adapter",
    "lora_base",
    "plots",
    "hyperparameter_search.json",
)
CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
TRUE = ("true", "yes", "1", "latest")


class OutputDirError(ValueError):
    """Raised when an output folder holds something a run would overwrite, or a checkpoint cannot be resumed."""


def check_output_dir(output_dir: str, overwrite: bool, resume: bool | str | None = None) -> None:
    """Refuse to write into a folder that already holds a saved model or checkpoints, unless told to.

    Resuming (`--resume_from_checkpoint`) reuses the folder on purpose and is allowed; so is `--overwrite_output_dir`
    (see `set_aside_previous_run`).
    """
    if overwrite or resume or not os.path.isdir(output_dir):
        return
    found = [name for name in MODEL_FILES if os.path.exists(os.path.join(output_dir, name))]
    found += [os.path.basename(p) for p in glob.glob(os.path.join(output_dir, "checkpoint-*"))]
    if found:
        existing = ""
        config_path = os.path.join(output_dir, "config.json")
        if os.path.isfile(config_path):
            try:
                with open(config_path) as handle:
                    config = json.load(handle)
                existing = f" (a {config.get('model_type', 'model')} {config.get('architectures') or ''})"
            except (OSError, json.JSONDecodeError):
                pass
        raise OutputDirError(
            f"Output folder {output_dir!r} already holds a model{existing}: {', '.join(sorted(found)[:5])}. Choose "
            "another --output_dir, pass --resume_from_checkpoint true to continue it, or --overwrite_output_dir to "
            "replace it."
        )


def check_overwritable(output_dir: str) -> list[str]:
    """The entries of `output_dir` that --overwrite_output_dir would replace; refuses a folder that also holds files
    no run of this package writes (they are the user's, and are never removed)."""
    if not os.path.isdir(output_dir):
        return []
    entries = sorted(os.listdir(output_dir))
    foreign = [name for name in entries if not any(fnmatch.fnmatch(name, pattern) for pattern in RUN_FILES)]
    if foreign:
        raise OutputDirError(
            f"--overwrite_output_dir replaces an earlier run, but {output_dir!r} also holds {foreign[:5]}, which no "
            "run of this package writes. Choose another --output_dir, or move them first."
        )
    return entries


def set_aside_previous_run(output_dir: str) -> str | None:
    """Move an earlier run's files out of `output_dir` (into a hidden folder beside it), so that the folder ends up
    holding only this run's files. Returns that folder, which `discard_previous_run` removes once this run has
    finished: a run that fails leaves the earlier one there, and says where."""
    entries = check_overwritable(output_dir)
    if not entries:
        return None
    target = os.path.abspath(output_dir)
    aside = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.previous-run-", dir=os.path.dirname(target))
    for name in entries:
        os.rename(os.path.join(target, name), os.path.join(aside, name))
    logger.warning(f"--overwrite_output_dir: the earlier run's files are in {aside} until this run finishes.")
    return aside


def discard_previous_run(aside: str | None) -> None:
    if aside and os.path.isdir(aside):
        shutil.rmtree(aside)


def checkpoint_problems(path: str) -> list[str]:
    """What a checkpoint folder lacks to be resumed (empty for a complete one). The Trainer writes
    `trainer_state.json` last, so a save cut short (a killed process, a full disk) lacks it."""
    problems = []
    if not os.path.isfile(os.path.join(path, "trainer_state.json")):
        problems.append("trainer_state.json")
    if not any(os.path.isfile(os.path.join(path, name)) for name in WEIGHT_FILES):
        problems.append("the model weights")
    for name in ("optimizer.pt", "scheduler.pt"):
        file = os.path.join(path, name)
        if os.path.isfile(file) and os.path.getsize(file) == 0:
            problems.append(f"{name} (empty)")
    return problems


def last_complete_checkpoint(output_dir: str) -> str | None:
    """The checkpoint of `output_dir` with the highest step that can be resumed; incomplete ones are skipped (and
    logged)."""
    if not os.path.isdir(output_dir):
        return None
    steps = sorted(
        (int(match.group(1)), name)
        for name in os.listdir(output_dir)
        if (match := CHECKPOINT.match(name)) and os.path.isdir(os.path.join(output_dir, name))
    )
    for _, name in reversed(steps):
        path = os.path.join(output_dir, name)
        problems = checkpoint_problems(path)
        if not problems:
            return path
        logger.warning(f"Skipping incomplete checkpoint {path} (missing {', '.join(problems)}).")
    return None


def resolve_resume_checkpoint(value: str | bool | None, output_dir: str) -> str | None:
    """The checkpoint folder `--resume_from_checkpoint` names: a path (which must be complete), or `true` for the last
    complete checkpoint of `output_dir`; None to start afresh."""
    if value is None or value is False or str(value).lower() in ("false", "no", "0", ""):
        return None
    if value is True or str(value).lower() in TRUE:
        found = last_complete_checkpoint(output_dir)
        if found is None:
            raise OutputDirError(f"--resume_from_checkpoint true: {output_dir!r} holds no complete checkpoint.")
        return found
    if not os.path.isdir(value):
        raise OutputDirError(f"--resume_from_checkpoint {value!r} is not a checkpoint folder.")
    problems = checkpoint_problems(value)
    if problems:
        raise OutputDirError(
            f"--resume_from_checkpoint {value!r} is incomplete (missing {', '.join(problems)}); its save was cut "
            "short. Pass --resume_from_checkpoint true to resume from the last complete checkpoint."
        )
    return value

# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Turning a training run's output folder into a complete Hub repository (model card with `model-index`), and
protecting folders that already hold a model. Not copied to the Hub with a model."""

from __future__ import annotations

import glob
import json
import os
import re
from pathlib import Path

from huggingface_hub import EvalResult, ModelCard, ModelCardData


MODEL_CARDS_DIR = Path(__file__).resolve().parent.parent / "model_cards"
MODEL_FILES = (
    "config.json",
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "adapter_config.json",
)


class OutputDirError(ValueError):
    """Raised when an output folder holds a model that a run would overwrite."""


def check_output_dir(output_dir: str, overwrite: bool, resume: bool | str | None = None) -> None:
    """Refuse to write into a folder that already holds a saved model or checkpoints, unless told to.

    Resuming (`--resume_from_checkpoint`) reuses the folder on purpose and is allowed; so is `--overwrite_output_dir`.
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
            "another --output_dir, pass --resume_from_checkpoint to continue it, or --overwrite_output_dir to "
            "replace it."
        )


def write_model_card(
    output_dir: str,
    *,
    template: str,
    model_name: str,
    base_model: str | None,
    dataset_id: str | None,
    dataset_name: str,
    task_type: str,
    pipeline_tag: str,
    metrics: dict[str, float],
    metric_names: dict[str, str],
    dataset_split: str = "test",
    tags: tuple[str, ...] = (),
    license: str = "apache-2.0",
    **template_kwargs,
) -> ModelCard:
    """Render `model_cards/<template>.md` into `output_dir/README.md` with Hub metadata and `model-index`.

    Args:
        metrics: the measured results, keyed as `metric_names` (e.g. `{"predict_accuracy": 0.81}`).
        metric_names: maps each key of `metrics` that goes into `model-index` to its metric type
            (`{"predict_accuracy": "accuracy"}`).
        template_kwargs: further values used by the template (training arguments, results tables ...).
    """
    eval_results = [
        EvalResult(
            task_type=task_type,
            dataset_type=dataset_id or re.sub(r"[^a-z0-9]+", "-", dataset_name.lower()).strip("-")[:64],
            dataset_name=dataset_name,
            dataset_split=dataset_split,
            metric_type=metric_type,
            metric_name=metric_type.replace("_", " "),
            metric_value=round(float(metrics[key]), 4),
        )
        for key, metric_type in metric_names.items()
        if key in metrics
    ]
    card_data = ModelCardData(
        model_name=model_name,
        base_model=base_model,
        datasets=[dataset_id] if dataset_id else None,
        eval_results=eval_results or None,
        library_name="transformers",
        pipeline_tag=pipeline_tag,
        license=license,
        tags=["custom_code", *tags],
    )
    card = ModelCard.from_template(
        card_data,
        template_path=str(MODEL_CARDS_DIR / f"{template}.md"),
        model_name=model_name,
        base_model=base_model,
        dataset_name=dataset_name,
        metrics=metrics,
        **template_kwargs,
    )
    card.save(os.path.join(output_dir, "README.md"))
    return card

# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Turning a training run's output folder into a complete Hub repository (the model card with `model-index`, from
the templates in `model_cards/`, which ship with the package), and pushing a finished folder. Not copied to the Hub
with a model."""

from __future__ import annotations

import json
import os
import platform
import re
from pathlib import Path
from typing import TYPE_CHECKING

from huggingface_hub import EvalResult, ModelCard, ModelCardData


if TYPE_CHECKING:
    from .data import DataFacts
    from .registry import ModelFamily


MODEL_CARDS_DIR = Path(__file__).resolve().parent / "model_cards"
# Metric keys of train.py's results -> the metric types of the card's model-index.
CARD_METRICS = {
    "accuracy": "accuracy",
    "f1_macro": "f1",
    "f1_micro": "f1_micro",
    "rmse": "rmse",
    "mae": "mae",
    "pearson": "pearsonr",
}


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


def hub_id(path: str | None) -> str | None:
    """`path` if it names a Hub repository (owner/name, not a local folder), else None."""
    return path if path and "/" in path and not os.path.isdir(path) else None


def write_run_card(
    trainer,
    family: ModelFamily,
    facts: DataFacts,
    results: dict,
    *,
    base_model: str | None,
    hyperparameters: dict,
    template_values: dict,
    confusion_matrix: list[list[int]] | None = None,
    lora: dict | None = None,
) -> ModelCard:
    """The model card of a finished `train.py` run, in its output folder: the family's description and template, the
    data, the test (else validation) metrics as `model-index`, the hyperparameters and the machine."""
    args = trainer.args
    config = trainer.model.config
    prefix = "predict" if args.do_predict else "eval"
    shown = {
        key: value
        for key, value in results.items()
        if key.startswith(prefix + "_") and isinstance(value, float) and not key.endswith(("_runtime", "_per_second"))
    }
    metric_names = {f"{prefix}_{key}": name for key, name in CARD_METRICS.items() if f"{prefix}_{key}" in shown}
    summary, description, tags = family.describe(config)
    hyperparameters = {
        "learning_rate": args.learning_rate,
        "epochs": args.num_train_epochs,
        "batch_size": args.per_device_train_batch_size,
        "seed": args.seed,
        "optimizer": str(getattr(args.optim, "value", args.optim)),
        "optim_args": args.optim_args,
        "warmup_steps": args.warmup_steps,
        "weight_decay": args.weight_decay,
        "lr_scheduler": str(args.lr_scheduler_type),
        **hyperparameters,
    }
    import torch

    task = "image-classification" if family.is_image else "text-classification"
    machine = f"{platform.machine()}, {os.cpu_count()} CPU cores, torch {torch.__version__}"
    if torch.cuda.is_available():
        machine += f", {torch.cuda.get_device_name()}"
    lora_text = None
    if lora:
        lora_text = ", ".join(
            f"{key} {value:,}" if isinstance(value, int) else f"{key} {value}"
            for key, value in lora.items()
            if key != "base"
        )
    split = "test" if args.do_predict else "validation"
    return write_model_card(
        args.output_dir,
        template="image-model" if family.is_image else "text-model",
        model_name=os.path.basename(os.path.normpath(args.output_dir)),
        base_model=base_model,
        dataset_id=facts.dataset_id,
        dataset_name=facts.dataset_name,
        task_type=task,
        pipeline_tag=task,
        metrics=shown,
        metric_names=metric_names,
        dataset_split=split,
        tags=tags,
        model_description=description,
        repo_id=args.hub_model_id or args.output_dir,
        id2label=config.id2label,
        eval_split=split,
        num_eval_examples=facts.num_examples.get("test", 0) if args.do_predict else 0,
        confusion_matrix=confusion_matrix,
        num_train_examples=facts.num_examples.get("train", 0),
        architecture_summary=summary,
        num_parameters=f"{trainer.model.num_parameters():,}",
        lora=lora_text,
        lora_base=lora["base"] if lora else None,
        hyperparameters=json.dumps(hyperparameters),
        machine=machine,
        limitations=(
            "Measured on a single held-out split of one corpus. The modeling code is loaded with "
            "`trust_remote_code=True`: read it before running it."
        ),
        **template_values,
    )


# ---- pushing a saved folder ----------------------------------------------------------------------------------------

# Training leftovers that are not part of the model repository.
PUSH_IGNORE_PATTERNS = [
    "checkpoint-*",
    "checkpoint-*/**",
    "runs/**",
    "**/__pycache__/**",
    "*.pyc",
    ".git/**",
    ".ipynb_checkpoints/**",
]


class HubPushError(RuntimeError):
    """Raised when a folder is not a complete model repository, or the Hub refuses the push."""


def check_repository_folder(folder: str) -> dict:
    """Check that `folder` is a complete Hub repository of a model of this package, before anything is uploaded:
    config with `auto_map`, the code files it names and the modules they import, weights, a tokenizer or image
    processor, and a model card whose metadata parses. Returns the config."""
    if not os.path.isdir(folder):
        raise HubPushError(f"{folder!r} is not a folder.")
    config_path = os.path.join(folder, "config.json")
    if not os.path.isfile(config_path):
        raise HubPushError(
            f"{folder!r} has no config.json: it is not a saved model (save it with save_pretrained "
            "or train it with train.py)."
        )
    with open(config_path) as handle:
        config = json.load(handle)
    auto_map = config.get("auto_map") or {}
    if not auto_map:
        raise HubPushError(f"{config_path} has no auto_map: `trust_remote_code=True` could not find the model code.")
    missing = []
    pending = sorted({reference.split("--")[-1].rsplit(".", 1)[0] for reference in auto_map.values()})
    seen = set()
    while pending:  # the modules auto_map names, and the relative imports of those modules
        module = pending.pop()
        if module in seen:
            continue
        seen.add(module)
        path = os.path.join(folder, f"{module}.py")
        if not os.path.isfile(path):
            missing.append(f"{module}.py")
            continue
        with open(path) as handle:
            pending += re.findall(r"^\s*from \.(\w+) import", handle.read(), re.MULTILINE)
    weights = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
    if not any(os.path.isfile(os.path.join(folder, name)) for name in weights):
        missing.append("model.safetensors")
    processors = ("tokenizer_config.json", "preprocessor_config.json")
    if not any(os.path.isfile(os.path.join(folder, name)) for name in processors):
        missing.append("a tokenizer (tokenizer_config.json) or image processor (preprocessor_config.json)")
    if not os.path.isfile(os.path.join(folder, "README.md")):
        missing.append("README.md (the model card)")
    if missing:
        raise HubPushError(f"{folder!r} is not a complete model repository; missing: {', '.join(missing)}.")
    try:
        ModelCard.load(os.path.join(folder, "README.md"))  # parses the YAML metadata and model-index
    except Exception as error:  # noqa: BLE001 - any parse failure means a card the Hub would reject
        raise HubPushError(f"The model card {os.path.join(folder, 'README.md')} does not parse: {error}") from error
    return config


def push_folder(
    folder: str,
    repo_id: str,
    *,
    token: str | None = None,
    private: bool | None = None,
    revision: str | None = None,
    commit_message: str | None = None,
    create_pr: bool = False,
) -> str:
    """Upload a saved model folder (what train.py writes) to the Hub repository `repo_id` ("name" alone goes to
    the token's own namespace), creating it if needed. The token comes from `token`, else `HF_TOKEN` or the one saved
    by `hf auth login`; the Hub from `HF_ENDPOINT`. Checkpoints and logs are left out. Returns the commit URL."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    config = check_repository_folder(folder)
    api = HfApi(token=token)
    try:
        if "/" not in repo_id:
            repo_id = f"{api.whoami()['name']}/{repo_id}"
        api.create_repo(repo_id, private=private, exist_ok=True)
        if revision and revision != "main":
            api.create_branch(repo_id, branch=revision, exist_ok=True)
        commit = api.upload_folder(
            folder_path=folder,
            repo_id=repo_id,
            revision=revision,
            commit_message=commit_message or f"Upload {', '.join(config.get('architectures') or ['model'])}",
            ignore_patterns=PUSH_IGNORE_PATTERNS,
            create_pr=create_pr,
        )
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else "?"
        hint = (
            " Check the token (HF_TOKEN, --hub_token or `hf auth login`) and its write access."
            if status in (401, 403)
            else ""
        )
        raise HubPushError(
            f"Pushing {folder!r} to {repo_id!r} on {api.endpoint} failed (HTTP {status}): "
            f"{error.server_message or error}.{hint}"
        ) from error
    return commit.pr_url or commit.commit_url

# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Turning a training run's output folder into a complete Hub repository (the model card with `model-index`, from
the templates in `model_cards/`, which ship with the package), and pushing a finished folder. Not copied to the Hub
with a model."""

from __future__ import annotations

import fnmatch
import glob
import json
import logging
import math
import os
import platform
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from huggingface_hub import EvalResult, ModelCard, ModelCardData

from .data import slug
from .output_dir import (
    MANIFEST_NAME,
    PREDICTIONS_FILE,
    RUN,
    adopt_files,
    code_modules,
    describe_files,
    folder_entries,
    may_write,
    read_manifest,
    same_or_nested,
    unchanged,
)


if TYPE_CHECKING:
    from .data import DataFacts
    from .registry import ModelFamily


logger = logging.getLogger("train")

MODEL_CARDS_DIR = Path(__file__).resolve().parent / "model_cards"
# Where a run writes its model card: README.md, or beside it when a file of that name appeared while the run went on.
RUN_CARD_NAMES = ("README.md", "MODEL_CARD.md")
# Metric keys of train.py's results -> (type, name, arguments) of the card's model-index: the Hub's metric types,
# with the averaging of F1 in its arguments.
CARD_METRICS = {
    "accuracy": ("accuracy", "Accuracy", None),
    "f1_macro": ("f1", "F1 (macro)", {"average": "macro"}),
    "f1_micro": ("f1", "F1 (micro)", {"average": "micro"}),
    "f1_weighted": ("f1", "F1 (weighted)", {"average": "weighted"}),
    "precision_macro": ("precision", "Precision (macro)", {"average": "macro"}),
    "recall_macro": ("recall", "Recall (macro)", {"average": "macro"}),
    "roc_auc": ("roc_auc", "ROC-AUC (one-vs-rest, macro)", None),
    "average_precision": ("average_precision", "Average precision (macro)", None),
    "rmse": ("rmse", "RMSE", None),
    "mae": ("mae", "MAE", None),
    "pearson": ("pearsonr", "Pearson r", None),
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
    metric_names: dict[str, str | tuple[str, str, dict | None]],
    dataset_split: str = "test",
    tags: tuple[str, ...] = (),
    file_name: str = "README.md",
    license: str = "apache-2.0",
    dataset_type: str | None = None,
    language: str | None = None,
    **template_kwargs,
) -> ModelCard:
    """Render `model_cards/<template>.md` into `output_dir/README.md` with Hub metadata and `model-index`.

    Args:
        metrics: the measured results, keyed as `metric_names` (e.g. `{"predict_accuracy": 0.81}`).
        metric_names: maps each key of `metrics` that goes into `model-index` to its metric type, or to (type, name,
            arguments) (`{"predict_f1_macro": ("f1", "F1 (macro)", {"average": "macro"})}`).
        dataset_type: the data set's id in `model-index` (default: `dataset_id`, else a slug of `dataset_name`).
        template_kwargs: further values used by the template (training arguments, results tables ...).
    """
    eval_results = []
    for key, metric in metric_names.items():
        if key not in metrics:
            continue
        metric_type, metric_name, metric_args = (
            (metric, metric.replace("_", " "), None) if isinstance(metric, str) else metric
        )
        eval_results.append(
            EvalResult(
                task_type=task_type,
                dataset_type=dataset_type or dataset_id or slug(dataset_name),
                dataset_name=dataset_name,
                dataset_split=dataset_split,
                metric_type=metric_type,
                metric_name=metric_name,
                metric_args=metric_args,
                metric_value=round(float(metrics[key]), 4),
            )
        )
    card_data = ModelCardData(
        model_name=model_name,
        base_model=base_model,
        datasets=[dataset_id] if dataset_id else None,
        eval_results=eval_results or None,
        language=language,
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
    card.save(os.path.join(output_dir, file_name))
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
    per_class: dict[str, dict] | None = None,
    plots: list[tuple[str, str]] = (),
    experiments: dict | None = None,
    lora: dict | None = None,
) -> ModelCard | None:
    """The model card of a finished `train.py` run, in its output folder: the family's description and template, the
    data, the test (else validation) metrics as `model-index`, the hyperparameters and the machine. Never written over
    a file the run cannot prove its own (`may_write`): then beside it, or not at all (None), with a warning."""
    args = trainer.args
    config = trainer.model.config
    prefix = "predict" if args.do_predict else "eval"
    shown = {
        key: value
        for key, value in results.items()
        if key.startswith(prefix + "_") and isinstance(value, float) and not key.endswith(("_runtime", "_per_second"))
    }
    metric_names = {f"{prefix}_{key}": metric for key, metric in CARD_METRICS.items() if f"{prefix}_{key}" in shown}
    summary, description, tags = family.describe(config)
    # What the run did (the Trainer's state), not what was asked: --max_steps may end it before --num_train_epochs.
    hyperparameters = {
        "learning_rate": args.learning_rate,
        "epochs": round(trainer.state.epoch or 0.0, 4),
        "steps": trainer.state.global_step,
        "batch_size": args.per_device_train_batch_size,
        "total_batch_size": args.per_device_train_batch_size * args.gradient_accumulation_steps * args.world_size,
        "seed": args.seed,
        "optimizer": str(getattr(args.optim, "value", args.optim)),
        "optim_args": args.optim_args,
        "warmup_steps": args.warmup_steps,
        "weight_decay": args.weight_decay,
        "lr_scheduler": str(getattr(args.lr_scheduler_type, "value", args.lr_scheduler_type)),
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
    adapter_path = os.path.abspath(os.path.join(args.output_dir, LORA_ADAPTER_DIR))
    file_name = next((name for name in RUN_CARD_NAMES if may_write(args.output_dir, name)), None)
    if file_name is None:
        logger.warning(
            f"No model card written: {' and '.join(RUN_CARD_NAMES)} in {args.output_dir} are not this run's (they "
            "appeared while it went on) and are left alone. Move them out and train again to get the card."
        )
        return None
    if file_name != RUN_CARD_NAMES[0]:
        logger.warning(
            f"{os.path.join(args.output_dir, RUN_CARD_NAMES[0])} is not this run's (it appeared while the run went "
            f"on) and is left alone; the model card is in {file_name}. A push needs the card as README.md: move "
            f"yours out and rename {file_name}."
        )
    card = write_model_card(
        args.output_dir,
        file_name=file_name,
        template="image-model" if family.is_image else "text-model",
        model_name=args.hub_model_id or os.path.basename(os.path.normpath(args.output_dir)),
        base_model=base_model,
        dataset_id=facts.dataset_id,
        dataset_type=facts.dataset_type,
        dataset_name=facts.dataset_name,
        language=facts.language,
        task_type=task,
        pipeline_tag=task,
        metrics=shown,
        metric_names=metric_names,
        dataset_split=split,
        tags=tags,
        model_description=description,
        usage=model_usage(
            args.output_dir,
            args.hub_model_id or os.path.abspath(args.output_dir),  # the repository id once pushed (`push_folder`)
            adapter=adapter_path if lora else None,
            lora_base=lora["base"] if lora else None,
        ),
        id2label=config.id2label,
        eval_split=split,
        num_eval_examples=facts.num_examples.get(split, 0),  # the split's size after --max_*_samples
        confusion_matrix=confusion_matrix,
        per_class=per_class,
        plots=list(plots),
        cross_validation=(experiments or {}).get("cross_validation"),
        hyperparameter_search=(experiments or {}).get("search"),
        num_train_examples=facts.num_examples.get("train", 0),
        architecture_summary=summary,
        num_parameters=f"{trainer.model.num_parameters():,}",
        lora=lora_text,
        hyperparameters=json.dumps(hyperparameters),
        machine=machine,
        limitations=(
            "Measured on a single held-out split of one corpus. The modeling code is loaded with "
            "`trust_remote_code=True`: read it before running it."
        ),
        **template_values,
    )
    adopt_files(args.output_dir, [file_name])
    return card


# ---- pushing a saved folder ----------------------------------------------------------------------------------------

# Training leftovers that are not part of the model repository, and the LoRA folders, which get repositories of their
# own (see `push_folder`).
PUSH_IGNORE = (
    MANIFEST_NAME,
    PREDICTIONS_FILE,  # the test inputs, one per row: the user's data, not part of the model
    "checkpoint-*",
    "runs",
    "__pycache__",
    "*.pyc",
    ".git",
    ".ipynb_checkpoints",
    "lora_adapter",
    "lora_base",
)
# Inside a LoRA run's output folder: the adapter, and the model it applies to when that model was new.
LORA_ADAPTER_DIR, LORA_BASE_DIR = "lora_adapter", "lora_base"


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
    missing = code_modules(folder)[1]
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
    check_card_describes_weights(folder)
    return config


def check_card_describes_weights(folder: str) -> None:
    """Refuse to push a card whose results are another model's: train.py wrote the folder's card (its manifest lists
    README.md, unchanged), and the weights changed since (continued training saved into the folder, weights copied
    in). A card the owner edited since is theirs, and is pushed as written."""
    manifest = read_manifest(folder)
    if manifest is None or manifest.get("kind") != RUN:
        return
    listed = manifest["files"]
    if not unchanged(folder, "README.md", listed.get("README.md")):
        return

    def is_weights(name: str) -> bool:
        return "/" not in name and (
            name.endswith((".safetensors", ".safetensors.index.json")) or fnmatch.fnmatch(name, "pytorch_model*.bin")
        )

    names = {name for name in os.listdir(folder) if is_weights(name)} | {name for name in listed if is_weights(name)}
    changed = sorted(name for name in names if not unchanged(folder, name, listed.get(name)))
    if changed:
        raise HubPushError(
            f"The weights in {folder!r} changed after train.py wrote its model card ({describe_files(changed)}), "
            "so the card's results and training details describe another model. Nothing was uploaded. Edit "
            "README.md to say what these weights are (an edited card is yours and is pushed as written), or push "
            "the folder as train.py wrote it."
        )


def files_the_run_did_not_write(folder: str) -> list[str]:
    """The files a push of `folder` would publish (the model, and a LoRA run's adapter and base) that train.py did not
    write there: not listed in the folder's manifest, or links. Empty for a folder without a train.py manifest (saved
    by `save_pretrained`, or by a version before manifests): nothing tells whose its files are."""
    manifest = read_manifest(folder)
    if manifest is None or manifest.get("kind") != RUN:
        return []
    ignored = [pattern for pattern in PUSH_IGNORE if pattern not in (LORA_ADAPTER_DIR, LORA_BASE_DIR)]

    def published(name: str) -> bool:  # as `stage` copies: an ignored name at any depth leaves out what it holds
        return not any(fnmatch.fnmatchcase(part, pattern) for part in name.split("/") for pattern in ignored)

    listed = manifest["files"]
    aside = listed.get(RUN_CARD_NAMES[1])

    def the_runs(name: str) -> bool:  # listed; or the card the run wrote aside, renamed README.md as it said to
        return name in listed or (name == RUN_CARD_NAMES[0] and unchanged(folder, name, aside))

    files, _, links = folder_entries(folder)
    return sorted(name for name in [*(name for name in files if not the_runs(name)), *links] if published(name))


def lora_base_of(folder: str) -> str | None:
    """What the LoRA adapter of the run in `folder` applies to (its `base_model_name_or_path`): a local folder
    (`lora_base/` inside it for a new model, or the saved model the run continued) or a Hub id; None without one."""
    config_path = os.path.join(folder, LORA_ADAPTER_DIR, "adapter_config.json")
    if not os.path.isfile(config_path):
        return None
    with open(config_path) as handle:
        base = json.load(handle).get("base_model_name_or_path")
    return base if isinstance(base, str) and base else None


def local_lora_base(folder: str) -> str | None:
    """The LoRA base of the run in `folder` (`lora_base_of`) when it is a local folder."""
    base = lora_base_of(folder)
    return base if base and os.path.isdir(base) else None


def check_only_run_files(folder: str) -> None:
    """Refuse to publish files the user put into a run's folder (notes, data, a link to anything), unless asked to
    (`include_other_files`): a push uploads every file of the folder but checkpoints, logs and predictions. A LoRA
    run's base folder elsewhere (the saved model the run continued, pushed as `<repo_id>-lora-base`) is held to the
    same rule."""
    base = local_lora_base(folder)
    for checked in [folder] + ([base] if base and not same_or_nested(folder, base) else []):
        others = files_the_run_did_not_write(checked)
        if others:
            what = repr(folder) if checked == folder else f"{checked!r} (the base of the LoRA adapter, pushed too)"
            raise HubPushError(
                f"{what} holds files that train.py did not write there: "
                f"{describe_files(others)}. A push publishes every file of the folder (but checkpoints, logs and "
                "predictions.csv), so nothing was uploaded. Move them out, or pass --include_other_files to publish "
                "them too."
            )


def write_adapter_card(adapter_dir: str, merged_repo: str, task: str, description: str) -> ModelCard:
    """Replace peft's template README of a saved LoRA adapter (metadata `base_model: ''`) with a card that says what
    the adapter applies to and how to load it."""
    with open(os.path.join(adapter_dir, "adapter_config.json")) as handle:
        adapter = json.load(handle)
    base = adapter["base_model_name_or_path"]
    card_data = ModelCardData(
        base_model=None if os.path.isdir(base) else base,
        library_name="peft",
        pipeline_tag=task,
        tags=["custom_code", "lora", "modeling_amsdff"],
    )
    card = ModelCard.from_template(
        card_data,
        template_path=str(MODEL_CARDS_DIR / "lora-adapter.md"),
        model_name=f"LoRA adapter of {os.path.basename(merged_repo.rstrip('/'))}",
        usage=adapter_usage(task, os.path.abspath(adapter_dir), base, merged_repo),
        description=description,
        r=adapter["r"],
        alpha=adapter["lora_alpha"],
        target_modules=", ".join(f"`{name}`" for name in sorted(adapter["target_modules"])[:8])
        + (" ..." if len(adapter["target_modules"]) > 8 else ""),
        modules_to_save=", ".join(f"`{name}`" for name in sorted(set(adapter["modules_to_save"] or []))[:8]),
        trainable_parameters=f"{saved_parameters(os.path.join(adapter_dir, 'adapter_model.safetensors')):,}",
    )
    card.save(os.path.join(adapter_dir, "README.md"))
    return card


def write_lora_base_card(folder: str, adapter: str, description: str) -> None:
    """The card of a LoRA run's starting point (`lora_base/`): what it is, and that its new modules are untrained."""
    card_data = ModelCardData(library_name="transformers", tags=["custom_code", "modeling_amsdff", "lora-base"])
    text = (
        f"---\n{card_data.to_yaml()}\n---\n\n# Starting point of a LoRA adapter\n\n{description}\n\n"
        f"{render_usage(kind='lora-base', adapter=adapter, adapter_url=adapter)}"
    )
    ModelCard(text).save(os.path.join(folder, "README.md"))


# ---- the "How to use" section: the only part of a card that depends on where the model lives ----------------------

USAGE_HEADING = "## How to use"


def render_usage(**values) -> str:
    """The "How to use" section of a card (`model_cards/usage.md`), from the repository ids (or local folders) it
    names and what kind of model it is."""
    import jinja2

    template = jinja2.Template((MODEL_CARDS_DIR / "usage.md").read_text())
    return re.sub(r"\n{3,}", "\n\n", template.render(**values)).strip() + "\n"


def model_usage(
    folder: str, repo_id: str, adapter: str | None = None, lora_base: str | None = None, hub_url: str | None = None
) -> str:
    """The "How to use" section of the card of the model saved in `folder`, loaded from `repo_id` (a repository id,
    or the folder itself): text or image (an image processor is saved), regression (the config's `problem_type`), and
    the LoRA adapter (`adapter`, applying to `lora_base`) when the run had one. `hub_url` links repository ids."""
    with open(os.path.join(folder, "config.json")) as handle:
        config = json.load(handle)
    image = os.path.isfile(os.path.join(folder, "preprocessor_config.json"))
    return render_usage(
        kind="image" if image else "text",
        repo_id=repo_id,
        regression=config.get("problem_type") == "regression",
        text_cleaning=config.get("text_cleaning"),
        lora_adapter=adapter,
        lora_adapter_url=f"{hub_url}/{adapter}" if hub_url and adapter else adapter,
        lora_base=lora_base,
    )


def adapter_usage(task: str, repo_id: str, base: str, merged_repo: str, hub_url: str | None = None) -> str:
    """The "How to use" section of a LoRA adapter's card: the adapter `repo_id`, the model `base` it applies to, and
    the merged model `merged_repo` (repository ids linked under `hub_url`, or local folders)."""

    def url(where: str) -> str:
        if hub_url is None:
            return where if os.path.isdir(where) else f"https://huggingface.co/{where}"
        return f"{hub_url}/{where}"

    return render_usage(
        kind="adapter",
        task=task,
        repo_id=repo_id,
        base_model=base,
        base_model_url=url(base),
        merged_repo=merged_repo,
        merged_url=url(merged_repo),
    )


def with_usage(card: ModelCard, usage: str) -> ModelCard:
    """`card` with its "How to use" section (from its heading to the next `## ` heading) replaced by `usage`; a card
    without that section (its owner removed it) gets none."""
    text = card.text
    start = text.find(USAGE_HEADING + "\n")
    if start == -1:
        return card
    end = text.find("\n## ", start + len(USAGE_HEADING))
    card.text = text[:start] + usage + ("\n" + text[end + 1 :] if end != -1 else "")
    return card


def saved_parameters(path: str) -> int:
    """The number of values a safetensors file holds (read from its header)."""
    from safetensors import safe_open

    with safe_open(path, framework="numpy") as weights:
        return sum(math.prod(weights.get_slice(name).get_shape()) for name in weights.keys())


def _link_or_copy(source: str, destination: str) -> None:
    try:
        os.link(source, destination)  # a hard link: the staged copy of the weights costs no disk space
    except OSError:
        shutil.copy2(source, destination)


def stage(folder: str, target: str) -> str:
    """A copy of `folder` in `target` for uploading, without training leftovers (`PUSH_IGNORE`); files are hard links
    where the file system allows, so whatever is changed in the copy is written as a new file (`rewrite`)."""
    shutil.copytree(folder, target, ignore=shutil.ignore_patterns(*PUSH_IGNORE), copy_function=_link_or_copy)
    return target


def rewrite(path: str, text: str) -> None:
    """Write `text` to the staged file `path` as a new file: never through a hard link into the user's folder."""
    os.remove(path)
    with open(path, "w") as handle:
        handle.write(text)


def staged_model_card(staged: str, repo_id: str, hub_url: str, adapter: str | None, lora_base: str | None) -> None:
    """Point the staged model card at `repo_id`: the model-index name, and the "How to use" section built again from
    the repository ids; the rest of the card (the owner's edits included) is kept as it is."""
    path = os.path.join(staged, "README.md")
    card = ModelCard.load(path)
    card.data.model_name = repo_id
    with_usage(card, model_usage(staged, repo_id, adapter, lora_base, hub_url))
    rewrite(path, str(card))


def staged_adapter(staged: str, repo_id: str, base_repo: str, merged_repo: str, hub_url: str) -> None:
    """Point a staged LoRA adapter at the repositories: `base_model_name_or_path` in adapter_config.json, and its
    card's metadata and "How to use" section."""
    config_path = os.path.join(staged, "adapter_config.json")
    with open(config_path) as handle:
        adapter = json.load(handle)
    adapter["base_model_name_or_path"] = base_repo
    rewrite(config_path, json.dumps(adapter, indent=2, sort_keys=True) + "\n")
    path = os.path.join(staged, "README.md")
    if os.path.isfile(path):
        card = ModelCard.load(path)
        card.data.base_model = base_repo
        task = card.data.pipeline_tag or "text-classification"
        with_usage(card, adapter_usage(task, repo_id, base_repo, merged_repo, hub_url))
        rewrite(path, str(card))


def staged_lora_base(staged: str, adapter_repo: str, hub_url: str) -> None:
    path = os.path.join(staged, "README.md")
    if os.path.isfile(path):
        card = ModelCard.load(path)
        with_usage(card, render_usage(kind="lora-base", adapter=adapter_repo, adapter_url=f"{hub_url}/{adapter_repo}"))
        rewrite(path, str(card))


def push_folder(
    folder: str,
    repo_id: str,
    *,
    token: str | None = None,
    private: bool | None = None,
    revision: str | None = None,
    commit_message: str | None = None,
    create_pr: bool = False,
    include_other_files: bool = False,
) -> str:
    """Upload a saved model folder (what train.py writes) to the Hub repository `repo_id` ("name" alone goes to
    the token's own namespace), creating it if needed. The token comes from `token`, else `HF_TOKEN` or the one saved
    by `hf auth login`; the Hub from `HF_ENDPOINT`. Checkpoints and logs are left out. A run's folder that holds
    files train.py did not write there is refused unless `include_other_files` (`check_only_run_files`). Pushing to an
    existing repository updates it to the folder: files of an earlier push that the folder no longer has are deleted
    (they stay in the repository's history); the repository's other files are kept and named
    (`remote_files_to_delete`). Returns the commit URL.

    The model card's usage snippet and model-index name the repository, not the local folder. A LoRA run's adapter
    goes to `<repo_id>-lora`, so that `AutoPeftModelForSequenceClassification.from_pretrained` loads it; its base is
    the Hub model the run continued, or, when the base is a local folder (`lora_base/`, a new model's starting
    point), that folder pushed to `<repo_id>-lora-base`.
    """
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    config = check_repository_folder(folder)
    if not include_other_files:
        check_only_run_files(folder)
    api = HfApi(token=token)
    adapter_dir = os.path.join(folder, LORA_ADAPTER_DIR)
    try:
        if "/" not in repo_id:
            repo_id = f"{api.whoami()['name']}/{repo_id}"
        hub_url = api.endpoint.rstrip("/")
        adapter_repo = lora_base = None
        with tempfile.TemporaryDirectory() as staging:
            if os.path.isdir(adapter_dir):
                adapter_repo, lora_base = f"{repo_id}-lora", lora_base_of(folder)
                if lora_base and os.path.isdir(lora_base):  # a new model's start: pushed as a repository of its own
                    base_folder, lora_base = lora_base, f"{repo_id}-lora-base"
                    staged = stage(base_folder, os.path.join(staging, "base"))
                    staged_lora_base(staged, adapter_repo, hub_url)
                    _upload(api, staged, lora_base, private, revision, "Upload the starting point of the LoRA adapter")
                staged = stage(adapter_dir, os.path.join(staging, "adapter"))
                staged_adapter(staged, adapter_repo, lora_base, repo_id, hub_url)
                _upload(api, staged, adapter_repo, private, revision, "Upload the LoRA adapter")
            message = commit_message or f"Upload {', '.join(config.get('architectures') or ['model'])}"
            staged = stage(folder, os.path.join(staging, "model"))
            staged_model_card(staged, repo_id, hub_url, adapter_repo, lora_base)
            commit = _upload(api, staged, repo_id, private, revision, message, create_pr)
    except HfHubHTTPError as error:
        status = error.response.status_code if error.response is not None else "?"
        hint = {
            401: " Check the token (HF_TOKEN, --hub_token or `hf auth login`) and its write access.",
            403: " Check the token (HF_TOKEN, --hub_token or `hf auth login`) and its write access.",
            412: " The repository changed while this push was prepared, so the Hub refused it: run it again.",
        }.get(status, "")
        raise HubPushError(
            f"Pushing {folder!r} to {repo_id!r} on {api.endpoint} failed (HTTP {status}): "
            f"{error.server_message or error}.{hint}"
        ) from error
    except OfflineModeIsEnabled:
        raise HubPushError(
            f"Pushing {folder!r} to {repo_id!r} needs the network, but HF_HUB_OFFLINE is set: unset it (or set it to "
            "0) and run the same command again. Nothing was uploaded, and nothing changed locally."
        ) from None
    except (*_transport_errors(), OSError) as error:
        raise HubPushError(
            f"Pushing {folder!r} to {repo_id!r} on {api.endpoint} failed: the Hub could not be reached "
            f"({type(error).__name__}: {error}). Nothing changed locally; check the network (and HF_ENDPOINT) and run "
            "the same command again."
        ) from error
    return commit.pr_url or commit.commit_url


def _transport_errors() -> tuple[type[Exception], ...]:
    """The exceptions of the HTTP clients `huggingface_hub` may use (httpx2 since 2.x, httpx in 1.x, requests before)
    for a request that never got an answer: no network, connection refused, timeouts."""
    import importlib

    found = []
    for module, name in (("httpx2", "TransportError"), ("httpx", "TransportError"), ("requests", "ConnectionError")):
        try:
            found.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            continue
    return tuple(found)


# The description of every commit a push of this package makes: what proves, on a later push, which of the
# repository's files it wrote (`remote_files_to_delete`).
PUSH_MARK = "Pushed by modeling_amsdff"


def remote_files_to_delete(
    api, folder: str, repo_id: str, revision: str | None
) -> tuple[str | None, list[str], list[str]]:
    """What a push of `folder` does with the repository's files (at `revision`) that the folder does not have:
    (the head commit, the files to delete, the files to keep). A file is deleted only when the last commit that
    changed it was a push of this package (its description says `PUSH_MARK`): a file it wrote that nobody changed
    since. Everything else stays: the owner's own files, files changed after the push, and files of pushes by
    versions that did not mark their commits. `.gitattributes` always stays."""
    from huggingface_hub.hf_api import RepoFile

    commits = api.list_repo_commits(repo_id, revision=revision)  # newest first
    local = {
        os.path.relpath(os.path.join(root, name), folder).replace(os.sep, "/")
        for root, _, names in os.walk(folder)
        for name in names
    }
    stale = [
        entry
        for entry in api.list_repo_tree(repo_id, revision=revision, recursive=True, expand=True)
        if isinstance(entry, RepoFile) and entry.path not in local and entry.path != ".gitattributes"
    ]
    ours = {commit.commit_id for commit in commits if PUSH_MARK in (commit.message or "")}
    delete = sorted(entry.path for entry in stale if entry.last_commit and entry.last_commit.oid in ours)
    keep = sorted(entry.path for entry in stale if entry.path not in delete)
    return (commits[0].commit_id if commits else None), delete, keep


def _upload(api, folder: str, repo_id: str, private, revision, message: str, create_pr: bool = False):
    from . import __version__

    api.create_repo(repo_id, private=private, exist_ok=True)
    if revision and revision != "main":
        api.create_branch(repo_id, branch=revision, exist_ok=True)
    # The repository ends up holding the folder's files: files an earlier push of this package wrote that the folder
    # no longer has are deleted in the same commit (the Hub keeps them in the repository's history); anything else
    # stays, and is named. A pull request is opened against main.
    head, delete, keep = remote_files_to_delete(api, folder, repo_id, None if create_pr else revision)
    if keep:
        logger.warning(
            f"Kept in {repo_id}: {describe_files(keep)}. The folder does not have them, but no push of this package "
            "wrote them as they are now (your own files, files changed since, or files of a push by an earlier "
            "version of modeling_amsdff); delete them on the Hub if they should go."
        )
    return api.upload_folder(
        folder_path=folder,
        repo_id=repo_id,
        revision=revision,
        commit_message=message,
        commit_description=f"{PUSH_MARK} {__version__}: a later push of it may replace or delete this commit's files.",
        create_pr=create_pr,
        parent_commit=None if create_pr else head,  # fails, rather than deletes, if the repository changed since
        delete_patterns=[glob.escape(path) for path in delete] or None,
    )

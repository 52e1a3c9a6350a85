# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""The plots of a finished `train.py` run, written to `<output_dir>/plots/` and embedded in its model card (the Hub
renders a card's relative images): learning curves from the Trainer's log history; on the test split, the confusion
matrix, ROC and precision-recall curves (classifiers), predicted against true values (regression), a grid of
misclassified images (image models); and what the models' own routing does on test examples: the dynamic fusion's
and the mixture of experts' gate weights, the gated head's gates, AMSDFF's attention over scales and its attention
pooling over the tokens of a few examples.

Drawn with matplotlib's object API (no pyplot state, no display: headless) and scikit-learn's curve displays;
matplotlib is the `[plots]` extra, and `--no_plots` turns the plots off. Not copied to the Hub with a model."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import numpy as np
import torch
from torch.utils.data import DataLoader

from .metrics import class_scores, logits_of


logger = logging.getLogger(__name__)

PLOTS_DIR = "plots"
MAX_CURVE_CLASSES = 20  # classes drawn one by one in the ROC / precision-recall plots (the first ones)
MAX_TICK_CLASSES = 30  # confusion matrices of more classes are drawn without class names and counts
PROBE_EXAMPLES = 512  # test examples run through the model for the routing plots
ATTENTION_EXAMPLES = 4  # test texts whose AMSDFF attention weights are drawn
MAX_TOKENS = 48  # tokens of each of them shown
MISCLASSIFIED_IMAGES = 25
# The validation metrics drawn as learning curves (the others are in the run's result files).
CURVE_METRICS = ("accuracy", "f1_macro", "roc_auc", "average_precision", "rmse", "mae", "pearson")
# Log-history keys that are not curves worth drawing.
NOT_CURVES = ("epoch", "step", "runtime", "samples_per_second", "steps_per_second", "total_flos", "grad_norm")


def plots_available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _save(figure, folder: str, name: str) -> str:
    figure.savefig(os.path.join(folder, name), dpi=100)
    return f"{PLOTS_DIR}/{name}"


# ---- learning curves -----------------------------------------------------------------------------------------------


def _curve(history: list[dict], key: str) -> tuple[list[int], list[float]]:
    points = [(entry["step"], entry[key]) for entry in history if isinstance(entry.get(key), (int, float))]
    return [step for step, _ in points], [value for _, value in points]


def plot_learning_curves(history: list[dict], folder: str) -> str | None:
    """Training loss and each logged loss component, validation loss, the main validation metrics (`CURVE_METRICS`)
    and (mixture of experts) each expert's share of the routing weight, against the optimizer step."""
    keys = sorted({key for entry in history for key in entry if not key.endswith(NOT_CURVES)})
    losses = [key for key in keys if key == "loss" or key.startswith("loss_") or key == "eval_loss"]
    metrics = [key for key in keys if key.removeprefix("eval_") in CURVE_METRICS]
    shares = [key for key in keys if key.startswith("expert_share_")]
    if not any(_curve(history, key)[0] for key in losses + metrics):
        return None
    panels = [("loss", losses), ("validation metrics", metrics), ("expert share of the routing weight", shares)]
    panels = [(title, group) for title, group in panels if group]
    figure = _figure(6 * len(panels), 4)
    for ax, (title, group) in zip(figure.subplots(1, len(panels), squeeze=False)[0], panels):
        for key in group:
            steps, values = _curve(history, key)
            label = {"loss": "training loss", "eval_loss": "validation loss"}.get(key, key.removeprefix("eval_"))
            ax.plot(steps, values, marker="o" if len(steps) < 20 else None, markersize=3, label=label)
        ax.set(title=title, xlabel="step")
        ax.grid(alpha=0.3)
        ax.legend(fontsize="small")
    return _save(figure, folder, "learning_curves.png")


# ---- classification ------------------------------------------------------------------------------------------------


def plot_confusion_matrices(labels: np.ndarray, predictions: np.ndarray, names: list[str], folder: str) -> str:
    """Counts, and each true class's row normalised to 1 (recall on the diagonal)."""
    from sklearn.metrics import ConfusionMatrixDisplay

    many = len(names) > MAX_TICK_CLASSES
    size = min(max(5.0, 0.45 * len(names) + 2), 16)
    figure = _figure(2 * size, size)
    for ax, normalize, title in zip(figure.subplots(1, 2), (None, "true"), ("counts", "normalised by true class")):
        ConfusionMatrixDisplay.from_predictions(
            labels,
            predictions,
            labels=list(range(len(names))),
            display_labels=None if many else names,
            normalize=normalize,
            include_values=not many,
            values_format=None if normalize is None else ".2f",
            xticks_rotation="vertical",
            colorbar=False,
            ax=ax,
        )
        ax.set_title(f"test confusion matrix, {title}")
    return _save(figure, folder, "confusion_matrix.png")


def plot_ranking_curves(truth: np.ndarray, scores: np.ndarray, names: list[str], folder: str) -> str | None:
    """ROC and precision-recall curves of each class (label) against the rest; `truth` is (examples, classes) of
    0/1. Classes without both positive and negative examples have no curve."""
    from sklearn.metrics import PrecisionRecallDisplay, RocCurveDisplay

    drawn = [k for k in range(truth.shape[1]) if 0 < truth[:, k].sum() < len(truth)][:MAX_CURVE_CLASSES]
    if not drawn:
        return None
    figure = _figure(13, 5.5)
    roc, pr = figure.subplots(1, 2)
    for k in drawn:
        RocCurveDisplay.from_predictions(truth[:, k], scores[:, k], name=names[k], ax=roc, plot_chance_level=k == 0)
        PrecisionRecallDisplay.from_predictions(truth[:, k], scores[:, k], name=names[k], ax=pr)
    cut = f" (first {MAX_CURVE_CLASSES} of {truth.shape[1]})" if truth.shape[1] > MAX_CURVE_CLASSES else ""
    roc.set_title(f"ROC, one class against the rest{cut}")
    pr.set_title(f"precision-recall, one class against the rest{cut}")
    for ax in (roc, pr):
        ax.legend(fontsize="x-small")
    return _save(figure, folder, "roc_precision_recall.png")


def ranking_truth(labels: np.ndarray, scores: np.ndarray, problem_type: str, names: list[str]):
    """(truth, scores, names) for `plot_ranking_curves`: the positive class alone for two classes."""
    if problem_type == "multi_label_classification":
        return labels.astype(bool), scores, names
    truth = labels[:, None] == np.arange(scores.shape[1])[None, :]
    if scores.shape[1] == 2:
        return truth[:, 1:], scores[:, 1:], names[1:]
    return truth, scores, names


# ---- regression ----------------------------------------------------------------------------------------------------


def plot_regression(predictions: np.ndarray, targets: np.ndarray, names: list[str], folder: str) -> str:
    """Predicted against true value of each target, with the diagonal and Pearson's r."""
    targets = targets.reshape(len(targets), -1)
    predictions = predictions.reshape(len(targets), -1)
    figure = _figure(5 * targets.shape[1], 4.8)
    for k, ax in enumerate(figure.subplots(1, targets.shape[1], squeeze=False)[0]):
        ax.scatter(targets[:, k], predictions[:, k], s=6, alpha=0.4)
        low, high = (
            float(min(targets[:, k].min(), predictions[:, k].min())),
            float(max(targets[:, k].max(), predictions[:, k].max())),
        )
        ax.plot([low, high], [low, high], color="grey", linewidth=1)
        r = np.corrcoef(targets[:, k], predictions[:, k])[0, 1] if predictions[:, k].std() > 0 else 0.0
        name = names[k] if k < len(names) else str(k)
        ax.set(title=f"{name}: Pearson r {r:.3f}", xlabel="true", ylabel="predicted")
        ax.grid(alpha=0.3)
    return _save(figure, folder, "predicted_vs_true.png")


# ---- images --------------------------------------------------------------------------------------------------------


def plot_misclassified(test, labels, predictions, names: list[str], processor, folder: str) -> str | None:
    """The first misclassified test images (denormalised with the processor's mean and std), true -> predicted."""
    wrong = np.flatnonzero(labels != predictions)[:MISCLASSIFIED_IMAGES]
    if not len(wrong):
        return None
    mean = np.asarray(getattr(processor, "image_mean", 0.0), dtype=np.float32).reshape(-1, 1, 1)
    std = np.asarray(getattr(processor, "image_std", 1.0), dtype=np.float32).reshape(-1, 1, 1)
    columns = min(5, len(wrong))
    rows = -(-len(wrong) // columns)
    figure = _figure(2.2 * columns, 2.4 * rows)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for ax, index in zip(axes, wrong):
        image = np.asarray(test[int(index)]["pixel_values"], dtype=np.float32) * std + mean  # (C, H, W)
        image = np.clip(image.transpose(1, 2, 0), 0, 1)
        ax.imshow(image[..., 0] if image.shape[-1] == 1 else image, cmap="gray" if image.shape[-1] == 1 else None)
        ax.set_title(f"{names[labels[index]]}\n-> {names[predictions[index]]}", fontsize="small")
    for ax in axes:
        ax.axis("off")
    figure.suptitle("misclassified test images: true -> predicted")
    return _save(figure, folder, "misclassified.png")


# ---- what the models route -----------------------------------------------------------------------------------------


class RoutingProbe:
    """Forward hooks that record, while the model runs on test examples: the dynamic fusion's gate weights (AMSDFF),
    and for the first `ATTENTION_EXAMPLES` texts the multi-scale attention's weight of each scale at each token and
    the attention pooling's weight of each token. Mixture-of-experts router weights and gated heads' gates come in
    the model's outputs and need no hook."""

    def __init__(self, model: torch.nn.Module):
        self.fusion, self.scales, self.pooling = [], [], []
        self.handles = []
        for module in model.modules():
            if type(module).__name__.startswith("AmsdffDynamicFusion"):
                self.handles.append(module.register_forward_hook(self._fusion))
            elif hasattr(module, "scale_weights"):
                self.handles.append(module.register_forward_pre_hook(self._hook(self.scales, module.scale_weights)))
            elif hasattr(module, "attention_weights") and "attention" in getattr(module, "modes", ()):
                self.handles.append(
                    module.register_forward_pre_hook(self._hook(self.pooling, module.attention_weights))
                )

    def _fusion(self, module, inputs, outputs) -> None:
        self.fusion.append(outputs[1].float().softmax(-1).cpu())

    def _hook(self, store: list, weights: Callable):
        def hook(module, args):
            if sum(len(w) for w in store) < ATTENTION_EXAMPLES:
                with torch.no_grad():
                    store.append(weights(*args).float().cpu())

        return hook

    def remove(self) -> None:
        for handle in self.handles:
            handle.remove()


def probe(trainer, test) -> dict:
    """Runs the trained model on up to `PROBE_EXAMPLES` test examples in order; returns the routing it records, the
    outputs' router weights and gates, and the first batch's token ids and attention mask."""
    model = trainer.model
    sample = trainer._remove_unused_columns(test.select(range(min(PROBE_EXAMPLES, len(test)))), "probe")
    # A plain loader in this process (the Trainer's would shard the examples across the processes of a parallel run).
    loader = DataLoader(sample, batch_size=trainer.args.per_device_eval_batch_size, collate_fn=trainer.data_collator)
    hooks = RoutingProbe(model)
    found = {"router_weights": [], "gate_weights": [], "input_ids": None, "attention_mask": None}
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            for batch in loader:
                batch = trainer._prepare_inputs(batch)
                batch.pop("labels", None)
                outputs = model(**batch)
                for key in ("router_weights", "gate_weights"):
                    if outputs.get(key) is not None:
                        found[key].append(outputs[key].float().cpu())
                if found["input_ids"] is None and "input_ids" in batch:
                    found["input_ids"] = batch["input_ids"].cpu()
                    found["attention_mask"] = batch.get("attention_mask", torch.ones_like(batch["input_ids"])).cpu()
    finally:
        hooks.remove()
        model.train(was_training)
    for key in ("router_weights", "gate_weights"):
        found[key] = torch.cat(found[key]).numpy() if found[key] else None
    for key in ("input_ids", "attention_mask"):
        found[key] = None if found[key] is None else found[key].numpy()
    found["fusion"] = torch.cat(hooks.fusion).numpy() if hooks.fusion else None
    found["scales"] = torch.cat(hooks.scales).numpy() if hooks.scales else None
    found["pooling"] = torch.cat(hooks.pooling).numpy() if hooks.pooling else None
    return found


def plot_expert_usage(
    weights: np.ndarray, groups: np.ndarray | None, group_names: list[str], title: str, folder: str, name: str
) -> str:
    """Mean gate weight of each expert over test examples, overall and (classifiers) per true class, with the
    distribution of each expert's weight."""
    experts = weights.shape[1]
    figure = _figure(12, 4.5)
    heat, spread = figure.subplots(1, 2)
    rows, row_names = [weights.mean(0)], ["all"]
    if groups is not None:
        for k, group in enumerate(group_names[:MAX_TICK_CLASSES]):
            if (groups == k).any():
                rows.append(weights[groups == k].mean(0))
                row_names.append(group)
    image = heat.imshow(np.stack(rows), aspect="auto", cmap="viridis", vmin=0)
    heat.set(
        xticks=range(experts),
        xticklabels=[str(i) for i in range(experts)],
        yticks=range(len(rows)),
        yticklabels=row_names,
        xlabel="expert",
        title=f"{title}: mean weight (uniform = {1 / experts:.2f})",
    )
    figure.colorbar(image, ax=heat)
    spread.boxplot([weights[:, i] for i in range(experts)], tick_labels=[str(i) for i in range(experts)])
    spread.set(xlabel="expert", ylabel="weight", title=f"{title}: weight per test example")
    return _save(figure, folder, name)


def plot_gates(gates: np.ndarray, names: list[str], folder: str) -> str:
    """The gated head's gate value of each target over the test examples."""
    figure = _figure(6, 4)
    ax = figure.subplots()
    ax.boxplot([gates[:, k] for k in range(gates.shape[1])], tick_labels=names[: gates.shape[1]])
    ax.axhline(1.0, color="grey", linewidth=1)
    ax.set(ylabel="gate value", title="gated head: gate per target on test examples")
    return _save(figure, folder, "gate_values.png")


def plot_amsdff_attention(found: dict, tokenizer, folder: str) -> str | None:
    """For a few test texts: the multi-scale attention's weight of each scale at each token, and the attention
    pooling's weight of each token."""
    scales, pooling, ids, mask = found["scales"], found["pooling"], found["input_ids"], found["attention_mask"]
    if (scales is None and pooling is None) or ids is None:
        return None
    count = min(ATTENTION_EXAMPLES, len(ids))
    panels = int(scales is not None) + int(pooling is not None)
    figure = _figure(14, 2.6 * count * panels)
    axes = figure.subplots(count * panels, 1, squeeze=False)[:, 0]
    row = 0
    for example in range(count):
        length = min(int(mask[example].sum()), MAX_TOKENS)
        tokens = tokenizer.convert_ids_to_tokens(ids[example][:length].tolist()) if tokenizer is not None else []
        if scales is not None:
            ax = axes[row]
            weights = scales[example][:length].T  # (S, tokens)
            image = ax.imshow(weights, aspect="auto", cmap="viridis", vmin=0, vmax=1)
            figure.colorbar(image, ax=ax, pad=0.01)
            ax.set(
                yticks=range(weights.shape[0]),
                ylabel="scale",
                title=f"test text {example}: weight of each scale per token",
            )
            ax.set_xticks(range(length), tokens, rotation=90, fontsize="x-small")
            row += 1
        if pooling is not None:
            ax = axes[row]
            ax.bar(range(length), pooling[example][:length])
            ax.axhline(1 / max(int(mask[example].sum()), 1), color="grey", linewidth=1)  # mean pooling's weight
            ax.set(
                ylabel="weight", title=f"test text {example}: attention pooling weight per token (line: mean pooling)"
            )
            ax.set_xticks(range(length), tokens, rotation=90, fontsize="x-small")
            row += 1
    return _save(figure, folder, "amsdff_attention.png")


# ---- all of a run --------------------------------------------------------------------------------------------------


def write_plots(trainer, facts, splits, prediction, processing_class, is_image: bool) -> list[tuple[str, str]]:
    """Every plot that fits the run, in `<output_dir>/plots/`; returns (title, path relative to the output folder)
    of each, for the model card. `prediction`: the Trainer's prediction on the test split, or None."""
    folder = os.path.join(trainer.args.output_dir, PLOTS_DIR)
    os.makedirs(folder, exist_ok=True)
    plots = []

    def add(title: str, path: str | None) -> None:
        if path:
            plots.append((title, path))

    add("Learning curves", plot_learning_curves(trainer.state.log_history, folder))
    if prediction is None:
        return plots
    names = list(facts.label_names)
    logits = logits_of(prediction.predictions)
    labels = np.asarray(prediction.label_ids)
    problem_type = facts.problem_type
    if problem_type == "regression":
        add("Predicted against true values (test split)", plot_regression(np.asarray(logits), labels, names, folder))
    else:
        scores = class_scores(logits, problem_type)
        if problem_type == "single_label_classification":
            predicted = np.asarray(logits).argmax(-1)
            add("Confusion matrix (test split)", plot_confusion_matrices(labels, predicted, names, folder))
            if is_image:
                add(
                    "Misclassified test images",
                    plot_misclassified(splits["test"], labels, predicted, names, processing_class, folder),
                )
        add(
            "ROC and precision-recall curves (test split)",
            plot_ranking_curves(*ranking_truth(labels, scores, problem_type, names), folder),
        )
    if is_image:
        return plots
    found = probe(trainer, splits["test"])
    groups = labels[:PROBE_EXAMPLES] if problem_type == "single_label_classification" else None
    if found["fusion"] is not None:
        add(
            "Dynamic fusion: expert weights (test split)",
            plot_expert_usage(found["fusion"], groups, names, "dynamic fusion gate", folder, "expert_usage.png"),
        )
    if found["router_weights"] is not None:
        add(
            "Mixture of experts: router weights (test split)",
            plot_expert_usage(found["router_weights"], None, names, "router", folder, "expert_usage.png"),
        )
    if found["gate_weights"] is not None:
        add("Gated head: gate values (test split)", plot_gates(found["gate_weights"], names, folder))
    add("AMSDFF attention over scales and tokens (test texts)", plot_amsdff_attention(found, processing_class, folder))
    return plots

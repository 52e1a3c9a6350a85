"""The run plots (`modeling_amsdff/plots.py`): each drawing function writes a PNG of the size its figure asks for from
synthetic results, and the routing probe records what the models compute (the end-to-end runs in test_train*.py
check the plots of real runs and their place in the model card)."""

import numpy as np
import pytest
import torch
from PIL import Image

from modeling_amsdff import AmsdffForSequenceClassification
from modeling_amsdff.plots import (
    RoutingProbe,
    plot_amsdff_attention,
    plot_confusion_matrices,
    plot_expert_usage,
    plot_gates,
    plot_learning_curves,
    plot_misclassified,
    plot_ranking_curves,
    plot_regression,
    ranking_truth,
)

from model_cases import text_inputs, tiny_full_amsdff_config


def png_size(folder, relative: str) -> tuple[int, int]:
    assert relative.startswith("plots/")
    with Image.open(folder / relative.removeprefix("plots/")) as image:
        image.verify()  # a complete, readable PNG
    with Image.open(folder / relative.removeprefix("plots/")) as image:
        assert image.format == "PNG"
        return image.size


def test_learning_curves_draw_losses_metrics_and_expert_shares(tmp_path):
    history = [
        {"loss": 1.0 - 0.1 * step, "loss_ce": 0.8, "expert_share_0": 0.5, "expert_share_1": 0.5, "step": step}
        for step in range(1, 6)
    ] + [{"eval_loss": 0.7, "eval_accuracy": 0.6, "eval_runtime": 1.0, "step": 5, "epoch": 1.0}]
    # three panels of 6 x 4 inches at 100 dpi
    assert png_size(tmp_path, plot_learning_curves(history, str(tmp_path))) == (1800, 400)
    assert plot_learning_curves([{"train_runtime": 3.0, "step": 5}], str(tmp_path)) is None  # nothing to draw


def test_classification_plots(tmp_path):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 60)
    scores = rng.dirichlet(np.ones(3), 60)
    path = plot_confusion_matrices(labels, scores.argmax(-1), ["a", "b", "c"], str(tmp_path))
    assert png_size(tmp_path, path) == (1000, 500)
    truth, ranked, names = ranking_truth(labels, scores, "single_label_classification", ["a", "b", "c"])
    assert truth.shape == (60, 3) and names == ["a", "b", "c"]
    assert png_size(tmp_path, plot_ranking_curves(truth, ranked, names, str(tmp_path))) == (1300, 550)
    # two classes: the positive class alone
    truth, ranked, names = ranking_truth(labels % 2, scores[:, :2], "single_label_classification", ["no", "yes"])
    assert truth.shape == (60, 1) and names == ["yes"] and np.array_equal(ranked[:, 0], scores[:, 1])
    # a class with no negative example has no curve; none left: no plot
    assert plot_ranking_curves(np.ones((5, 1), bool), np.ones((5, 1)), ["x"], str(tmp_path)) is None


def test_regression_and_gate_plots(tmp_path):
    rng = np.random.default_rng(0)
    targets = rng.normal(size=(50, 2))
    path = plot_regression(targets + rng.normal(scale=0.1, size=(50, 2)), targets, ["valence", "std"], str(tmp_path))
    assert png_size(tmp_path, path) == (1000, 480)
    assert png_size(tmp_path, plot_gates(rng.uniform(0, 2, (50, 2)), ["valence", "std"], str(tmp_path))) == (600, 400)
    weights = rng.dirichlet(np.ones(4), 50)
    path = plot_expert_usage(weights, rng.integers(0, 3, 50), ["a", "b", "c"], "gate", str(tmp_path), "experts.png")
    assert png_size(tmp_path, path) == (1200, 450)


def test_misclassified_images_are_drawn_denormalised(tmp_path):
    class Processor:
        image_mean, image_std = [0.5], [0.25]

    test = [{"pixel_values": np.zeros((1, 8, 8), np.float32)} for _ in range(7)]
    labels, predictions = np.array([0, 1, 1, 0, 1, 0, 1]), np.array([0, 0, 1, 1, 1, 1, 0])
    path = plot_misclassified(test, labels, predictions, ["cat", "dog"], Processor(), str(tmp_path))
    assert png_size(tmp_path, path) == (880, 240)  # 4 wrong: one row of 4
    assert plot_misclassified(test, labels, labels, ["cat", "dog"], Processor(), str(tmp_path)) is None


def test_routing_probe_records_amsdff_gate_scales_and_pooling(tmp_path):
    torch.manual_seed(0)
    config = tiny_full_amsdff_config(pooling_modes=("attention",))
    model = AmsdffForSequenceClassification(config).eval()
    inputs = text_inputs()
    probe = RoutingProbe(model)
    with torch.no_grad():
        model(**inputs)
    probe.remove()
    mask = inputs["attention_mask"].bool()
    fusion, scales, pooling = probe.fusion[0], torch.cat(probe.scales), torch.cat(probe.pooling)
    # a new model's gate is uniform and its attention pooling is mean pooling
    assert torch.allclose(fusion, torch.full_like(fusion, 1 / config.num_experts))
    assert torch.allclose(pooling, mask / mask.sum(-1, keepdim=True), atol=1e-6)
    assert scales.shape[-1] == len(config.scales) and torch.allclose(scales.sum(-1), torch.ones(scales.shape[:2]))
    # the hooks are gone
    with torch.no_grad():
        model(**inputs)
    assert len(probe.fusion) == 1
    found = {"scales": scales.numpy(), "pooling": pooling.numpy(), "input_ids": inputs["input_ids"].numpy()}
    found["attention_mask"] = inputs["attention_mask"].numpy()
    path = plot_amsdff_attention(found, None, str(tmp_path))
    assert png_size(tmp_path, path)[0] == 1400


@pytest.mark.parametrize("flags, value", [([], False), (["--no_plots"], True), (["--no_plots", "false"], False)])
def test_no_plots_is_a_training_flag(flags, value):
    from modeling_amsdff.arguments import RunTrainingArguments, parse_arguments

    (args,) = parse_arguments((RunTrainingArguments,), ["--output_dir", "x", *flags])
    assert args.no_plots is value

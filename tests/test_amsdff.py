"""AMSDFF-specific behaviour: module switches, masking, losses, backbones, pretrained encoder, config validation."""

import pytest
import torch
import torch.nn.functional as F
from transformers import AutoModel, AutoModelForSequenceClassification

from modeling_amsdff import AmsdffConfig, AmsdffForSequenceClassification, AmsdffModel
from modeling_amsdff.losses import binary_focal_loss, compute_classification_loss, focal_loss, load_balance_loss
from modeling_amsdff.registry import AMSDFF_BASELINE_ARGUMENTS

from model_cases import TINY_BACKBONES, labels_for, text_inputs, tiny_amsdff_config, tiny_full_amsdff_config


@pytest.mark.parametrize("backbone", sorted(TINY_BACKBONES))
def test_every_supported_backbone_trains(backbone):
    torch.manual_seed(0)
    model = AmsdffForSequenceClassification(tiny_full_amsdff_config(backbone)).train()
    output = model(**text_inputs(), labels=labels_for("single_label_classification", 3))
    output.loss.backward()
    assert torch.isfinite(output.loss)
    assert model.amsdff.backbone.config.model_type == backbone
    assert all(p.grad is not None for p in model.parameters() if p.requires_grad)


def test_all_modules_off_is_encoder_pooling_linear():
    model = AmsdffForSequenceClassification(tiny_amsdff_config(**AMSDFF_BASELINE_ARGUMENTS))
    body = model.amsdff
    assert body.feature_enhancer is None and body.multi_scale_attention is None and body.dynamic_fusion is None
    linears = [m for m in model.classifier.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 1 and linears[0].in_features == 32 and linears[0].out_features == 3
    assert body.pooler.fusion == "none" and not list(body.pooler.parameters())
    assert model.classifier.out_proj is linears[0]
    # The forward is then exactly: encoder -> first token -> dropout -> linear.
    model.eval()
    inputs = text_inputs()
    with torch.no_grad():
        cls = body.backbone(**inputs).last_hidden_state[:, 0]
        torch.testing.assert_close(model(**inputs).logits, linears[0](cls))


@pytest.mark.parametrize(
    "switch,module",
    [
        ("use_feature_enhancer", "feature_enhancer"),
        ("use_multi_scale_attention", "multi_scale_attention"),
        ("use_dynamic_fusion", "dynamic_fusion"),
    ],
)
def test_each_module_switch_removes_only_its_module(switch, module):
    full = AmsdffModel(tiny_full_amsdff_config())
    ablated = AmsdffModel(tiny_full_amsdff_config(**{switch: False}))
    assert getattr(full, module) is not None and getattr(ablated, module) is None
    others = {"feature_enhancer", "multi_scale_attention", "dynamic_fusion"} - {module}
    assert all(getattr(ablated, other) is not None for other in others)


@pytest.mark.parametrize("backbone", ["bert", "distilbert"])
def test_padding_does_not_leak_into_real_tokens(backbone):
    """A text padded with junk tokens under a zero mask must give the same output as the same text unpadded."""
    torch.manual_seed(0)
    model = AmsdffForSequenceClassification(tiny_full_amsdff_config(backbone, scales=(1, 3, 5)))
    model.eval()
    ids = torch.randint(3, 99, (2, 5))
    padded = torch.cat([ids, torch.randint(3, 99, (2, 4))], dim=1)  # junk, not pad ids, so masking is what counts
    mask = torch.cat([torch.ones(2, 5, dtype=torch.long), torch.zeros(2, 4, dtype=torch.long)], dim=1)
    with torch.no_grad():
        short = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits
        long = model(input_ids=padded, attention_mask=mask).logits
    torch.testing.assert_close(short, long, rtol=1e-4, atol=1e-5)


def test_router_logits_and_aux_loss_are_returned():
    config = tiny_full_amsdff_config(output_router_logits=True, num_experts=4)
    model = AmsdffForSequenceClassification(config).train()
    output = model(**text_inputs(), labels=labels_for("single_label_classification", 3))
    assert output.router_logits.shape == (13, 4)
    assert output.aux_loss.dim() == 0 and output.aux_loss >= 0
    assert set(output.loss_components) == {"ce", "focal", "label_smoothing", "load_balance"}
    weights = model.config.loss_weights
    expected = (
        weights[0] * output.loss_components["ce"]
        + weights[1] * output.loss_components["focal"]
        + weights[2] * output.loss_components["label_smoothing"]
        + model.config.router_aux_loss_coef * output.loss_components["load_balance"]
    )
    torch.testing.assert_close(output.loss.detach(), expected)


def test_load_balance_loss_hand_computed():
    uniform = torch.full((8, 4), 0.25)
    assert load_balance_loss(uniform).item() == pytest.approx(0.0, abs=1e-7)
    all_to_one = torch.zeros(8, 4)
    all_to_one[:, 2] = 1.0
    # importance = (0, 0, 8, 0): mean 2, unbiased variance 16 -> 16 / 4 = 4 = number of experts
    assert load_balance_loss(all_to_one).item() == pytest.approx(4.0, rel=1e-6)
    half = torch.tensor([[1.0, 0.0]] * 3 + [[0.0, 1.0]])  # importance (3, 1): mean 2, var 2 -> 0.5
    assert load_balance_loss(half).item() == pytest.approx(0.5, rel=1e-6)


def test_focal_loss_reduces_to_cross_entropy_and_down_weights_easy_examples():
    logits = torch.tensor([[4.0, 0.0, 0.0], [0.2, 0.1, 0.0]])
    labels = torch.tensor([0, 0])
    torch.testing.assert_close(focal_loss(logits, labels, gamma=0.0), F.cross_entropy(logits, labels))
    per_example = [focal_loss(logits[i : i + 1], labels[i : i + 1], gamma=2.0) for i in range(2)]
    ce = [F.cross_entropy(logits[i : i + 1], labels[i : i + 1]) for i in range(2)]
    assert per_example[0] / ce[0] < per_example[1] / ce[1]  # the confident example is down-weighted more
    alpha = torch.tensor([0.5, 1.0, 1.0])
    torch.testing.assert_close(focal_loss(logits, labels, 0.0, alpha), 0.5 * F.cross_entropy(logits, labels))
    targets = torch.tensor([[1.0, 0.0, 1.0]])
    torch.testing.assert_close(
        binary_focal_loss(logits[:1], targets, gamma=0.0), F.binary_cross_entropy_with_logits(logits[:1], targets)
    )


def test_label_outside_num_labels_is_a_clear_error():
    model = AmsdffForSequenceClassification(tiny_amsdff_config())
    with pytest.raises(ValueError, match=r"Label 3 is outside the 3 classes"):
        model(**text_inputs(batch=2), labels=torch.tensor([0, 3]))
    with pytest.raises(ValueError, match="Multi-label targets have shape"):
        compute_classification_loss(
            torch.zeros(2, 3), torch.zeros(2, 4), problem_type="multi_label_classification", num_labels=3
        )


@pytest.mark.parametrize(
    "kwargs,field",
    [
        (dict(scales=(1, 2)), "scales"),
        (dict(scales=()), "scales"),
        (dict(num_scale_attention_heads=5), "num_scale_attention_heads"),
        (dict(num_experts=1), "num_experts"),
        (dict(pooling_modes=("attention", "median")), "pooling_modes"),
        (dict(pooling_fusion="sum"), "pooling_fusion"),
        (dict(classification_loss="hinge"), "classification_loss"),
        (dict(loss_weights=(1.0, 0.0)), "loss_weights"),
        (dict(focal_alpha=(0.5, 0.5)), "focal_alpha"),
        (dict(label_smoothing=1.0), "label_smoothing"),
        (dict(classifier_dropout=(0.3, 1.2)), "classifier_dropout"),
        (dict(router_aux_loss_coef=-1.0), "router_aux_loss_coef"),
        (dict(regression_loss="l1"), "regression_loss"),
        (dict(architecture_revision=3), "architecture_revision"),
        (dict(multi_scale_size=0), "multi_scale_size"),
        (dict(multi_scale_size=6), "num_scale_attention_heads"),
    ],
)
def test_invalid_config_values_name_the_argument(kwargs, field):
    with pytest.raises(ValueError, match=f"`{field}`"):
        tiny_amsdff_config(**kwargs)


def test_config_defaults():
    config = AmsdffConfig()
    assert config.backbone_config.model_type == "distilbert" and config.hidden_size == 768
    assert config.architecture_revision == 2
    assert config.scales == (1, 3, 5) and config.num_scale_attention_heads == 8 and config.num_experts == 3
    assert config.multi_scale_width() == 192 and config.expert_size() == 128  # a quarter; experts together: a half
    assert config.pooling_modes == ("attention", "cls", "max") and config.pooling_fusion == "residual"
    assert config.classification_loss == "combined" and config.loss_weights == (0.4, 0.4, 0.2)
    assert config.classifier_layer_sizes() == () and config.classifier_dropout_at(0) == 0.1  # a linear head
    # The reference implementation's three-layer classifier is one setting away.
    reference = AmsdffConfig(classifier_hidden_sizes=None, classifier_dropout=(0.3, 0.2, 0.1))
    assert reference.classifier_layer_sizes() == (384, 192)
    assert [reference.classifier_dropout_at(i) for i in range(4)] == [0.3, 0.2, 0.1, 0.1]


@pytest.mark.parametrize("backbone", ["bert", "distilbert"])
def test_a_new_model_starts_as_its_encoder_with_mean_pooling(backbone):
    """Every residual branch starts as the identity and pooling as the encoder's mean pooling, so that at step 0
    AMSDFF is "encoder + mean pooling + linear head" and its modules can only add to it."""
    torch.manual_seed(0)
    model = AmsdffForSequenceClassification(tiny_amsdff_config(backbone)).eval()
    inputs = text_inputs()
    inputs["attention_mask"][:4, 5:] = 0  # some padding
    with torch.no_grad():
        states = model.amsdff.backbone(**inputs).last_hidden_state
        output = model.amsdff(**inputs)
        logits = model(**inputs).logits
    mask = inputs["attention_mask"].unsqueeze(-1).float()
    mean = (states * mask).sum(1) / mask.sum(1)
    torch.testing.assert_close(output.last_hidden_state, states)
    torch.testing.assert_close(output.pooler_output, mean)
    torch.testing.assert_close(logits, model.classifier.out_proj(mean))


def test_every_new_module_learns_from_the_identity_start():
    """Zero-initialised last layers still train: after two optimiser steps every parameter outside the encoder has
    moved, and the body no longer returns the encoder's states unchanged."""
    torch.manual_seed(0)
    model = AmsdffForSequenceClassification(tiny_amsdff_config()).train()
    start = {name: p.detach().clone() for name, p in model.named_parameters() if "backbone" not in name}
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    inputs, labels = text_inputs(), labels_for("single_label_classification", 3)
    for _ in range(2):
        model(**inputs, labels=labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    still = [name for name, p in model.named_parameters() if name in start and torch.equal(p, start[name])]
    assert not still
    model.eval()
    with torch.no_grad():
        states = model.amsdff.backbone(**inputs).last_hidden_state
        assert not torch.allclose(model.amsdff(**inputs).last_hidden_state, states)


def test_architecture_revision_is_saved_and_configs_without_it_are_revision_1(tmp_path):
    config = tiny_full_amsdff_config()
    config.save_pretrained(tmp_path)
    assert AmsdffConfig.from_pretrained(tmp_path).architecture_revision == 2
    saved = config.to_dict()
    del saved["architecture_revision"], saved["modeling_amsdff_version"]  # what version 0.2 and earlier wrote
    old = AmsdffConfig.from_dict(saved)
    assert old.architecture_revision == 1 and old.multi_scale_width() == 32 and old.expert_size() == 16
    body = AmsdffModel(old)
    assert hasattr(body.multi_scale_attention, "branches") and hasattr(body.dynamic_fusion, "experts")


def test_auto_classes_resolve_the_registered_models():
    config = tiny_amsdff_config()
    assert type(AutoModel.from_config(config)) is AmsdffModel
    assert type(AutoModelForSequenceClassification.from_config(config)) is AmsdffForSequenceClassification


def test_pretrained_encoder_weights_are_kept_exactly(minilm_path):
    model = AmsdffForSequenceClassification.from_pretrained_backbone(minilm_path, num_labels=2)
    reference = AutoModel.from_pretrained(minilm_path)
    reference_state = reference.state_dict()
    loaded = model.amsdff.backbone.state_dict()
    assert set(loaded) == {k for k in reference_state if not k.startswith("pooler.")}
    for key, value in loaded.items():
        assert torch.equal(value, reference_state[key]), key
    assert model.config.backbone_config.hidden_size == 384

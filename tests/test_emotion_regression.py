"""Emotion regression family: heads, normalisation, training strategies, train.py regression and its errors."""

import json
import os
import sys
import textwrap

import numpy as np
import pytest
import torch
from huggingface_hub import ModelCard
from transformers import AutoTokenizer, TrainerCallback, TrainingArguments

from modeling_amsdff import EmotionRegressionForSequenceClassification
from modeling_amsdff.data import DataError
from modeling_amsdff.training import (
    ProgressiveFreezingCallback,
    RandomTokenMaskingCollator,
    StrategyTrainer,
    density_weights,
    encoder_layers,
)

from helpers import FAST, PLOTS, run_without_package
from model_cases import text_inputs, tiny_emotion_config


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import train  # noqa: E402


# ---- model ------------------------------------------------------------------------------------------------------


def test_logits_are_in_original_units_and_the_loss_in_normalised_units():
    torch.manual_seed(0)
    model = EmotionRegressionForSequenceClassification(tiny_emotion_config(regression_loss="mse")).eval()
    inputs = text_inputs(batch=4)
    labels = torch.tensor([[1.0, 2.0], [0.0, 1.0], [-3.0, 0.5], [2.5, 1.5]])
    with torch.no_grad():
        features = model.emotion_regression(**inputs).pooler_output
        normalised = model.classifier(features)
        output = model(**inputs, labels=labels)
    means, scales = torch.tensor([0.5, 1.0]), torch.tensor([2.0, 0.5])
    torch.testing.assert_close(output.logits, normalised * scales + means)
    expected = ((normalised - (labels - means) / scales) ** 2).mean()
    torch.testing.assert_close(output.loss, expected)


def test_gates_and_router_weights():
    """Gates and router start uniform (their last layer at zero): the default gated head starts as its base head."""
    inputs = text_inputs(batch=5)
    scaled = EmotionRegressionForSequenceClassification(
        tiny_emotion_config(head_type="gated", num_labels=3, label_means=None, label_scales=None)
    ).eval()
    assert scaled.config.gate_activation == "scaled_softmax"
    with torch.no_grad():
        output = scaled(**inputs)
        features = scaled.emotion_regression(**inputs).pooler_output
        torch.testing.assert_close(output.gate_weights, torch.ones(5, 3))
        torch.testing.assert_close(output.logits, scaled.classifier.base(features))  # no label statistics here
    softmax = EmotionRegressionForSequenceClassification(
        tiny_emotion_config(
            head_type="gated", gate_activation="softmax", num_labels=3, label_means=None, label_scales=None
        )
    ).eval()
    torch.testing.assert_close(softmax(**inputs).gate_weights, torch.full((5, 3), 1 / 3))
    sigmoid = EmotionRegressionForSequenceClassification(
        tiny_emotion_config(head_type="gated", gate_activation="sigmoid")
    ).eval()
    torch.testing.assert_close(sigmoid(**inputs).gate_weights, torch.full((5, 2), 0.5))
    scaled_sigmoid = EmotionRegressionForSequenceClassification(
        tiny_emotion_config(head_type="gated", gate_activation="scaled_sigmoid", label_means=None, label_scales=None)
    ).eval()
    with torch.no_grad():
        output = scaled_sigmoid(**inputs)
        features = scaled_sigmoid.emotion_regression(**inputs).pooler_output
        torch.testing.assert_close(output.gate_weights, torch.ones(5, 2))  # independent gates, 1 at the start
        torch.testing.assert_close(output.logits, scaled_sigmoid.classifier.base(features))
    moe = EmotionRegressionForSequenceClassification(tiny_emotion_config(head_type="moe", num_experts=3)).eval()
    output = moe(**inputs, labels=torch.randn(5, 2))
    torch.testing.assert_close(output.router_weights, torch.full((5, 3), 1 / 3))
    assert {"huber", "load_balance"} == set(output.loss_components)
    assert output.router_logits is None  # only with output_router_logits


def test_gates_and_router_learn_from_their_uniform_start():
    torch.manual_seed(0)
    for head_type in ("gated", "moe"):
        model = EmotionRegressionForSequenceClassification(tiny_emotion_config(head_type=head_type)).train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
        for _ in range(3):
            model(**text_inputs(batch=5), labels=torch.randn(5, 2)).loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        model.eval()
        output = model(**text_inputs(batch=5))
        weights = output.gate_weights if head_type == "gated" else output.router_weights
        assert weights.std() > 1e-4, head_type


def test_top_k_routing_mixes_only_the_chosen_experts():
    torch.manual_seed(0)
    model = EmotionRegressionForSequenceClassification(
        tiny_emotion_config(head_type="moe", num_experts=4, router_top_k=2, label_means=None, label_scales=None)
    ).eval()
    torch.nn.init.normal_(model.classifier.router[-1].weight)  # a trained router: weights differ per example
    with torch.no_grad():
        output = model(**text_inputs(batch=6))
        features = model.emotion_regression(**text_inputs(batch=6)).pooler_output
        dense = model.classifier.router(features).softmax(-1)
        experts = torch.stack([expert(features) for expert in model.classifier.experts], 1)  # (6, 4, 2)
    weights = output.router_weights
    assert ((weights > 0).sum(-1) == 2).all()
    torch.testing.assert_close(weights.sum(-1), torch.ones(6))
    top = dense.topk(2, -1)
    torch.testing.assert_close(weights.gather(-1, top.indices), top.values / top.values.sum(-1, keepdim=True))
    torch.testing.assert_close(output.logits, (weights.unsqueeze(-1) * experts).sum(1))


def test_noisy_gating_is_noise_in_training_only_and_learns_its_scale():
    torch.manual_seed(0)
    model = EmotionRegressionForSequenceClassification(
        tiny_emotion_config(head_type="moe", router_top_k=2, router_noisy_gating=True, classifier_dropout=0.0)
    )
    inputs = text_inputs(batch=8)
    model.eval()
    with torch.no_grad():
        torch.testing.assert_close(model(**inputs).router_weights, model(**inputs).router_weights)
    model.train()
    first, second = model(**inputs, labels=torch.randn(8, 2)), model(**inputs)
    assert not torch.equal(first.router_weights, second.router_weights)
    first.loss.backward()
    assert model.classifier.router_noise.weight.grad.abs().sum() > 0


def test_router_z_loss_is_added_with_its_coefficient():
    torch.manual_seed(0)
    config = tiny_emotion_config(head_type="moe", router_z_loss_coef=0.1, output_router_logits=True)
    model = EmotionRegressionForSequenceClassification(config).eval()
    torch.nn.init.normal_(model.classifier.router[-1].weight)
    with torch.no_grad():
        output = model(**text_inputs(batch=5), labels=torch.randn(5, 2))
    z_loss = torch.logsumexp(output.router_logits, -1).pow(2).mean()
    torch.testing.assert_close(output.loss_components["router_z"], z_loss)
    expected = output.loss_components["huber"] + 0.01 * output.loss_components["load_balance"] + 0.1 * z_loss
    torch.testing.assert_close(output.loss, expected)


def test_sample_weights_weight_the_loss():
    model = EmotionRegressionForSequenceClassification(tiny_emotion_config(regression_loss="mse")).eval()
    inputs, labels = text_inputs(batch=2), torch.tensor([[1.0, 1.0], [4.0, 0.0]])
    with torch.no_grad():
        per_example = [
            model(**{k: v[i : i + 1] for k, v in inputs.items()}, labels=labels[i : i + 1]).loss for i in range(2)
        ]
        weighted = model(**inputs, labels=labels, sample_weight=torch.tensor([0.5, 1.5])).loss
    torch.testing.assert_close(weighted, (0.5 * per_example[0] + 1.5 * per_example[1]) / 2)


@pytest.mark.parametrize(
    "labels,message",
    [(torch.tensor([[1.0, float("nan")]] * 13), "contain NaN"), (torch.randn(13, 3), "3 target")],
)
def test_bad_targets_are_named(labels, message):
    model = EmotionRegressionForSequenceClassification(tiny_emotion_config())
    with pytest.raises(ValueError, match=message):
        model(**text_inputs(), labels=labels)


def test_config_validation():
    with pytest.raises(ValueError, match="`head_type`"):
        tiny_emotion_config(head_type="attention")
    with pytest.raises(ValueError, match="`gate_activation`"):
        tiny_emotion_config(gate_activation="tanh")
    with pytest.raises(ValueError, match="one value per label"):
        tiny_emotion_config(label_means=(0.0,), label_scales=(1.0,))
    with pytest.raises(ValueError, match="`label_scales` must be positive"):
        tiny_emotion_config(label_scales=(1.0, 0.0))
    for top_k in (1, 5, True, 2.0):
        with pytest.raises(ValueError, match="`router_top_k` must be None or an integer from 2 to num_experts"):
            tiny_emotion_config(head_type="moe", num_experts=4, router_top_k=top_k)
    with pytest.raises(ValueError, match="`router_z_loss_coef` must be >= 0"):
        tiny_emotion_config(head_type="moe", router_z_loss_coef=-0.1)
    with pytest.raises(ValueError, match="needs an encoder with a pooler"):
        EmotionRegressionForSequenceClassification(tiny_emotion_config("distilbert", pooling="pooler"))


# ---- strategies ---------------------------------------------------------------------------------------------------


def test_density_weights_on_a_known_distribution():
    targets = np.array([0.0, 0.0, 0.0, 1.0])  # two bins: densities 3/4 and 1/4
    linear = density_weights(targets, bins=2, alpha=1.0, max_weight=None)
    np.testing.assert_allclose(linear, [2 / 3, 2 / 3, 2 / 3, 2.0], rtol=1e-6)  # (4/3, 4) / mean 2
    seed = density_weights(targets, bins=2, alpha=1.5, max_weight=None)
    raw = np.array([(4 / 3) ** 1.5] * 3 + [4**1.5])
    np.testing.assert_allclose(seed, raw / raw.mean(), rtol=1e-6)
    assert density_weights(targets, bins=2, alpha=0.0).tolist() == [1.0] * 4
    clipped = density_weights(targets, bins=2, alpha=1.5, max_weight=1.5)
    assert clipped.max() <= 1.5 + 1e-5 and abs(clipped.mean() - 1.0) < 1e-6
    two_dims = density_weights(np.stack([targets, targets[::-1]], 1), bins=2, alpha=1.0, max_weight=None)
    np.testing.assert_allclose(two_dims, two_dims[::-1], rtol=1e-6)  # geometric mean over dimensions
    with pytest.raises(ValueError, match="NaN"):
        density_weights(np.array([0.0, np.nan]))


@pytest.mark.parametrize("backbone", ["bert", "distilbert", "roberta"])
def test_encoder_layers_are_found(backbone):
    model = EmotionRegressionForSequenceClassification(tiny_emotion_config(backbone))
    embeddings, layers = encoder_layers(model.emotion_regression.backbone)
    assert embeddings is not None and len(layers) == 2


class _Snapshots(TrainerCallback):
    """Copies of the first and last encoder layer's parameters and their gradient state at each epoch end."""

    def __init__(self, layers):
        self.layers, self.at_epoch_end = layers, []

    def on_epoch_end(self, args, state, control, **kwargs):
        self.at_epoch_end.append(
            [
                torch.cat([p.detach().flatten().clone() for p in layer.parameters()])
                for layer in (self.layers[0], self.layers[-1])
            ]
        )


class _Rows(torch.utils.data.Dataset):
    def __init__(self, inputs, labels):
        self.inputs, self.labels = inputs, labels

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return {**{k: v[i] for k, v in self.inputs.items()}, "labels": self.labels[i]}


@pytest.mark.parametrize("backbone", ["bert", "distilbert", "roberta"])
def test_progressive_freezing_freezes_then_really_unfreezes(backbone, tmp_path):
    torch.manual_seed(0)
    model = EmotionRegressionForSequenceClassification(tiny_emotion_config(backbone, classifier_dropout=0.0))
    _, layers = encoder_layers(model.emotion_regression.backbone)
    initial = [
        torch.cat([p.detach().flatten().clone() for p in layer.parameters()]) for layer in (layers[0], layers[-1])
    ]
    snapshots = _Snapshots(layers)
    freezing = ProgressiveFreezingCallback(num_frozen_layers=1, unfreeze_epoch=1.0)
    args = TrainingArguments(
        output_dir=str(tmp_path),
        num_train_epochs=2,
        per_device_train_batch_size=4,
        learning_rate=1e-2,
        report_to="none",
        save_strategy="no",
        use_cpu=True,
    )
    data = _Rows(text_inputs(batch=8), torch.randn(8, 2))
    StrategyTrainer(model=model, args=args, train_dataset=data, callbacks=[freezing, snapshots]).train()
    (first_0, last_0), (first_1, last_1) = snapshots.at_epoch_end
    assert torch.equal(first_0, initial[0]), "the frozen bottom layer changed while frozen"
    assert not torch.equal(last_0, initial[1]), "an unfrozen layer did not train"
    assert not torch.equal(first_1, first_0), "the bottom layer did not train after unfreezing"
    assert all(p.requires_grad for p in model.parameters())


def test_token_masking_masks_only_real_tokens(minilm_path):
    tokenizer = AutoTokenizer.from_pretrained(minilm_path)
    features = [tokenizer("a warm and funny film"), tokenizer("dull")]
    everything = RandomTokenMaskingCollator(tokenizer, token_probability=1.0, sample_probability=1.0)(features)
    plain = RandomTokenMaskingCollator(tokenizer, token_probability=1.0, sample_probability=0.0)(features)
    ids, mask = everything["input_ids"], everything["attention_mask"].bool()
    special = torch.isin(plain["input_ids"], torch.tensor(tokenizer.all_special_ids))
    assert (ids[mask & ~special] == tokenizer.mask_token_id).all()
    assert torch.equal(ids[special | ~mask], plain["input_ids"][special | ~mask])
    assert not (plain["input_ids"] == tokenizer.mask_token_id).any()
    some = RandomTokenMaskingCollator(tokenizer, token_probability=0.15, sample_probability=0.1, seed=1)
    masked_rows = sum(bool((some([f] * 1)["input_ids"] == tokenizer.mask_token_id).any()) for f in features * 100)
    assert 0 < masked_rows < 60  # about 10% of the texts, each losing about 15% of its tokens


def test_head_learning_rate_puts_every_parameter_in_the_optimizer(tmp_path):
    model = EmotionRegressionForSequenceClassification(tiny_emotion_config(head_type="moe"))
    model.emotion_regression.backbone.embeddings.requires_grad_(False)  # frozen ones must still be included
    args = TrainingArguments(output_dir=str(tmp_path), learning_rate=2e-5, report_to="none", use_cpu=True)
    trainer = StrategyTrainer(model=model, args=args, head_learning_rate=1e-3)
    optimizer = trainer.create_optimizer()
    in_optimizer = {id(p): group["lr"] for group in optimizer.param_groups for p in group["params"]}
    assert len(in_optimizer) == len(list(model.parameters()))
    for name, parameter in model.named_parameters():
        expected = 2e-5 if ".backbone." in f".{name}" else 1e-3
        assert in_optimizer[id(parameter)] == expected, name


# ---- train.py --------------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_end_to_end_vader_moe_with_strategies(minilm_path, tmp_path):
    out = tmp_path / "moe-vader"
    results = train.main(
        [
            "--model_type",
            "moe_regression",
            "--output_dir",
            str(out),
            "--max_train_samples",
            "64",
            "--max_eval_samples",
            "32",
            "--max_predict_samples",
            "32",
            "--regression_loss",
            "auto",
            "--loss_search_samples",
            "32",
            "--density_weighting",
            "--freeze_layers",
            "3",
            "--unfreeze_epoch",
            "0.5",
            "--token_masking",
            "--head_learning_rate",
            "1e-3",
            "--learning_rate",
            "5e-5",
            *FAST,
            *PLOTS,
        ]
    )
    for key in (
        "predict_rmse",
        "predict_mae",
        "predict_pearson",
        "predict_rmse_valence_mean",
        "predict_pearson_valence_std",
        "loss_search_huber_eval_rmse",
        "loss_search_mse_eval_rmse",
        "train_samples_per_second",
    ):
        assert key in results, key
    config = json.loads((out / "config.json").read_text())
    assert config["head_type"] == "moe" and len(config["id2label"]) == 2
    assert list(config["id2label"].values()) == ["valence_mean", "valence_std"]
    assert len(config["label_means"]) == 2 and all(s > 0 for s in config["label_scales"])
    chosen = min(("huber", "mse"), key=lambda loss: results[f"loss_search_{loss}_eval_rmse"])
    assert config["regression_loss"] == chosen
    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    logged = [h for h in history if "expert_share_0" in h]
    assert logged and all(abs(sum(h[f"expert_share_{i}"] for i in range(4)) - 1) < 1e-3 for h in logged)
    assert any("loss_load_balance" in h for h in history)
    # Regression plots: predicted against true per target, the router's weights, the learning curves (three panels:
    # losses, validation metrics, expert shares).
    from PIL import Image

    for name, size in {
        "predicted_vs_true.png": (1000, 480),
        "expert_usage.png": (1200, 450),
        "learning_curves.png": (1800, 400),
    }.items():
        with Image.open(out / "plots" / name) as image:
            assert image.size == size, (name, image.size)
    card = ModelCard.load(out / "README.md")
    assert {r.metric_type for r in card.data.eval_results} == {"rmse", "mae", "pearsonr"}
    assert {r.dataset_type for r in card.data.eval_results} == {"vader-sentence-ground-truth"}  # not cut mid-word

    script = textwrap.dedent(
        """
        import json, sys, torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer
        model = AutoModelForSequenceClassification.from_pretrained(sys.argv[1], trust_remote_code=True).eval()
        tokenizer = AutoTokenizer.from_pretrained(sys.argv[1], trust_remote_code=True)  # it reads the custom config
        batch = tokenizer(["What a wonderful, happy day!", "This is awful and I hate it."], return_tensors="pt",
                          padding=True)
        with torch.no_grad():
            print(json.dumps(model(**batch).logits.tolist()))
        """
    )
    predictions = np.array(json.loads(run_without_package(script, [str(out)], tmp_path)))
    assert predictions.shape == (2, 2)
    assert (np.abs(predictions[:, 0]) < 4.5).all() and (predictions[:, 1] > -0.5).all()  # original units


def test_regression_label_errors(tiny_encoder, tmp_path):
    path = tmp_path / "scores.csv"
    rows = [f"text number {i},{i * 0.1},{1 - i * 0.1},{'good' if i % 2 else 'bad'}" for i in range(12)]
    path.write_text("text,joy,anger,mood\n" + "\n".join(rows))
    common = [
        "--model_type",
        "base_regression",
        "--model_name_or_path",
        tiny_encoder,
        "--train_file",
        str(path),
        "--output_dir",
        str(tmp_path / "out"),
        *FAST,
    ]
    with pytest.raises(DataError, match="'mood' of the 'train' split is not numeric"):
        train.main([*common, "--label_column_names", "joy,mood"])
    with pytest.raises(DataError, match="Label column 'fear' not found"):
        train.main([*common, "--label_column_names", "joy,fear"])
    holes = tmp_path / "holes.csv"
    holes.write_text("text,joy\n" + "\n".join(f"text {i},{'' if i == 5 else i}" for i in range(12)))
    with pytest.raises(DataError, match=r"target\(s\) in 'joy' of the 'train' split .*row 6 of holes.csv: missing"):
        train.main(
            [*common[:5], str(holes), "--output_dir", str(tmp_path / "o2"), "--label_column_names", "joy", *FAST]
        )
    with pytest.raises(ValueError, match="--density_weighting needs a regression model"):
        train.main(["--model_type", "amsdff", "--density_weighting", "--output_dir", str(tmp_path / "o3"), *FAST])


def test_saved_regression_model_with_other_targets_is_refused(tiny_encoder, tmp_path):
    saved = tmp_path / "three_targets"
    config = tiny_emotion_config(
        num_labels=3,
        label_means=None,
        label_scales=None,
        id2label={0: "a", 1: "b", 2: "c"},
        label2id={"a": 0, "b": 1, "c": 2},
    )
    EmotionRegressionForSequenceClassification(config).save_pretrained(saved)
    AutoTokenizer.from_pretrained(tiny_encoder).save_pretrained(saved)
    path = tmp_path / "scores.csv"
    path.write_text("text,joy,anger\n" + "\n".join(f"text {i},{i},{-i}" for i in range(12)))
    with pytest.raises(DataError, match="predicts 3 labels"):
        train.main(
            [
                "--model_type",
                "base_regression",
                "--model_name_or_path",
                str(saved),
                "--train_file",
                str(path),
                "--label_column_names",
                "joy,anger",
                "--output_dir",
                str(tmp_path / "out"),
                *FAST,
            ]
        )


def test_early_stopping_needs_its_settings(tmp_path):
    with pytest.raises(ValueError, match="--early_stopping_patience needs --eval_strategy"):
        train.main(
            ["--model_type", "gated_regression", "--early_stopping_patience", "2", "--output_dir", str(tmp_path)]
        )
    with pytest.raises(ValueError, match="pass --greater_is_better false"):
        train.main(
            [
                "--model_type",
                "gated_regression",
                "--early_stopping_patience",
                "2",
                "--output_dir",
                str(tmp_path),
                "--eval_strategy",
                "epoch",
                "--save_strategy",
                "epoch",
                "--load_best_model_at_end",
                "--metric_for_best_model",
                "rmse",
            ]
        )


def test_early_stopping_runs_on_a_tiny_encoder(tiny_encoder, tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text(
        "text,joy\n" + "\n".join(f"sentence {i} is {'great' if i % 2 else 'bad'},{i % 2}" for i in range(40))
    )
    results = train.main(
        [
            "--model_type",
            "gated_regression",
            "--model_name_or_path",
            tiny_encoder,
            "--train_file",
            str(path),
            "--label_column_names",
            "joy",
            "--output_dir",
            str(tmp_path / "out"),
            "--eval_strategy",
            "epoch",
            "--save_strategy",
            "epoch",
            "--load_best_model_at_end",
            "--metric_for_best_model",
            "rmse",
            "--greater_is_better",
            "false",
            "--early_stopping_patience",
            "1",
            "--num_train_epochs",
            "20",
            "--learning_rate",
            "1e-6",
            "--per_device_train_batch_size",
            "8",
            "--report_to",
            "none",
            "--use_cpu",
        ]
    )
    assert results["epoch"] < 20  # stopped early: the learning rate is too small for RMSE to keep improving
    # With no --do_* flag the run does every stage, although --eval_strategy epoch implies evaluation.
    assert results["train_samples"] > 0 and "train_loss" in results and "predict_rmse" in results


def test_evaluating_an_untrained_new_head_is_refused_and_a_trained_model_evaluates(tiny_encoder, tmp_path):
    path = tmp_path / "scores.csv"
    path.write_text("text,joy\n" + "\n".join(f"sentence {i},{i % 3}" for i in range(24)))
    common = ["--model_type", "gated_regression", "--train_file", str(path), "--label_column_names", "joy", *FAST]
    with pytest.raises(ValueError, match="would evaluate a new model whose head was never trained"):
        train.main([*common, "--model_name_or_path", tiny_encoder, "--do_eval", "--output_dir", str(tmp_path / "a")])
    trained = tmp_path / "trained"
    train.main([*common, "--model_name_or_path", tiny_encoder, "--do_train", "--output_dir", str(trained)])
    results = train.main(
        [*common, "--model_name_or_path", str(trained), "--do_eval", "--output_dir", str(tmp_path / "b")]
    )
    assert "eval_rmse" in results and "train_loss" not in results and "predict_rmse" not in results


def test_a_saved_regression_model_takes_a_new_head(tmp_path):
    """`from_pretrained(..., num_labels=3, ignore_mismatched_sizes=True)` re-heads the model, as for AMSDFF; the target
    statistics of the old targets go with the old head."""
    torch.manual_seed(0)
    EmotionRegressionForSequenceClassification(tiny_emotion_config(head_type="gated")).save_pretrained(
        tmp_path / "two"
    )
    model = EmotionRegressionForSequenceClassification.from_pretrained(
        tmp_path / "two", num_labels=3, ignore_mismatched_sizes=True
    )
    assert model(**text_inputs()).logits.shape == (13, 3)
    assert model.config.label_means is None and model.config.label_scales is None
    model.save_pretrained(tmp_path / "three")
    again = EmotionRegressionForSequenceClassification.from_pretrained(tmp_path / "three")
    assert again.config.num_labels == 3
    with pytest.raises(ValueError, match="one value per label"):  # statistics given with the wrong width still fail
        tiny_emotion_config(label_means=(0.0,), label_scales=(1.0,))

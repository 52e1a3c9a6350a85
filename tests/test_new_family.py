"""A family is added in one place: a small text family defined in this file (mean pooling and a linear classifier on
any encoder) becomes one of the package's with a single `register_family` call, and then the package's shared model
checks, `train.py --model_type`, the model card, predictions.csv and the inference helpers work on it with no other
change. (Its code lives in this test file, so its saved folder is not meant to load without the package.)"""

import csv
import json
import os
import sys

import pytest
import torch
from torch import nn
from transformers import (
    AutoConfig,
    AutoModelForSequenceClassification,
    BertConfig,
    PreTrainedConfig,
    PreTrainedModel,
)
from transformers.modeling_outputs import BaseModelOutputWithPooling, SequenceClassifierOutput

import modeling_amsdff
from modeling_amsdff.configuration_common import VersionedConfigMixin
from modeling_amsdff.inference import load_for_inference
from modeling_amsdff.pooling import masked_mean
from modeling_amsdff.pretrained_encoder import PretrainedEncoderMixin, encoder_from_config
from modeling_amsdff.registry import (
    ENCODER_ATTENTION_PROJECTIONS,
    FAMILIES_BY_MODEL_TYPE,
    ROTTEN_TOMATOES_NAME,
    TEXT_CLASSIFICATION,
    ModelFamily,
    register_family,
    unregister_family,
)

import model_cases
import test_models_common
from helpers import FAST
from model_cases import TEXT_TESTER, TINY_BACKBONES, BatteryCase, ModelCase


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import train  # noqa: E402


class MeanPoolConfig(VersionedConfigMixin, PreTrainedConfig):
    model_type = "mean_pool_test"
    sub_configs_defaults = {"backbone_config": BertConfig}

    backbone_config: dict | PreTrainedConfig | None = None
    classifier_dropout: float = 0.1
    initializer_range: float = 0.02

    @property
    def hidden_size(self) -> int:
        return self.backbone_config.hidden_size

    def get_text_config(self, decoder=None, encoder=None) -> PreTrainedConfig:
        return self.backbone_config  # the vocabulary and the text-side settings


class MeanPoolPreTrainedModel(PretrainedEncoderMixin, PreTrainedModel):
    config_class = MeanPoolConfig
    base_model_prefix = "mean_pool"
    main_input_name = "input_ids"
    accepts_loss_kwargs = False


class MeanPoolModel(MeanPoolPreTrainedModel):
    def __init__(self, config: MeanPoolConfig):
        super().__init__(config)
        self.backbone = encoder_from_config(config.backbone_config)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, return_dict=None, **kwargs):
        encoded, mask = self.run_encoder(input_ids, attention_mask, token_type_ids)
        output = BaseModelOutputWithPooling(
            last_hidden_state=encoded.last_hidden_state, pooler_output=masked_mean(encoded.last_hidden_state, mask)
        )
        return output if return_dict is not False else output.to_tuple()


class MeanPoolForSequenceClassification(MeanPoolPreTrainedModel):
    def __init__(self, config: MeanPoolConfig):
        super().__init__(config)
        self.mean_pool = MeanPoolModel(config)
        self.dropout = nn.Dropout(config.classifier_dropout)
        self.classifier = nn.Linear(config.hidden_size, config.num_labels)
        self.post_init()

    def forward(self, input_ids=None, attention_mask=None, token_type_ids=None, labels=None, return_dict=None, **kw):
        pooled = self.mean_pool(input_ids, attention_mask, token_type_ids).pooler_output
        logits = self.classifier(self.dropout(pooled))
        loss = None if labels is None else nn.functional.cross_entropy(logits, labels)
        output = SequenceClassifierOutput(loss=loss, logits=logits)
        return output if return_dict is not False else output.to_tuple()


FAMILY = ModelFamily(
    config_class=MeanPoolConfig,
    body_class=MeanPoolModel,
    model_class=MeanPoolForSequenceClassification,
    auto_class=AutoModelForSequenceClassification,
    task=TEXT_CLASSIFICATION,
    presets={"mean_pool_test": {}},
    describe=lambda config: ("encoder + mean pooling + linear", "A mean-pooling classifier.", ("mean-pooling",)),
    lora_target_modules=ENCODER_ATTENTION_PROJECTIONS,
    default_dataset=ROTTEN_TOMATOES_NAME,
)


def tiny_config(**kwargs) -> MeanPoolConfig:
    return MeanPoolConfig(backbone_config=dict(TINY_BACKBONES["bert"]), **{"num_labels": 3, **kwargs})


@pytest.fixture
def new_family(monkeypatch):
    register_family(FAMILY)
    monkeypatch.setitem(model_cases.TINY_CONFIGS, FAMILY.model_type, tiny_config)
    for case in (
        ModelCase("mean-pool-model", FAMILY.model_type, body=True),
        ModelCase("mean-pool", FAMILY.model_type),
    ):
        monkeypatch.setitem(test_models_common.CASES, case.name, case)
    yield FAMILY
    unregister_family(FAMILY.model_type)


def test_one_registration_makes_it_a_family_of_the_package(new_family):
    assert FAMILIES_BY_MODEL_TYPE["mean_pool_test"] is FAMILY
    assert isinstance(AutoConfig.for_model("mean_pool_test"), MeanPoolConfig)
    model = AutoModelForSequenceClassification.from_config(tiny_config())
    assert type(model) is MeanPoolForSequenceClassification
    with pytest.raises(ValueError, match="registered already"):
        register_family(FAMILY)
    assert "MeanPoolConfig" not in modeling_amsdff.__all__  # exports are the package's own files' (a test's is not)


@pytest.mark.parametrize("name", ["mean-pool-model", "mean-pool"])
def test_the_shared_model_checks_run_on_it(new_family, name, tmp_path):
    test_models_common.test_forward_shapes_and_finite(name)
    test_models_common.test_return_dict_false_gives_the_same_tensors(name)
    test_models_common.test_save_and_load_give_equal_outputs(name, tmp_path / "saved")
    test_models_common.test_config_round_trip(name, tmp_path / "config")
    if name == "mean-pool":
        test_models_common.test_loss_from_labels_and_every_parameter_gets_a_gradient(
            name, "single_label_classification"
        )


def test_train_py_trains_cards_and_serves_it(new_family, tiny_encoder, tmp_path):
    data = tmp_path / "train.csv"
    rows = ["a warm and funny film", "dull, slow and far too long", "the cast is wonderful", "a tedious mess"] * 6
    data.write_text("text,label\n" + "\n".join(f'"{text}",{i % 2}' for i, text in enumerate(rows)))
    out = tmp_path / "out"
    argv = ["--model_type", "mean_pool_test", "--model_name_or_path", tiny_encoder, "--train_file", str(data)]
    results = train.main([*argv, "--test_file", str(data), "--output_dir", str(out), *FAST])
    assert "predict_accuracy" in results
    config = json.loads((out / "config.json").read_text())
    assert (
        config["model_type"] == "mean_pool_test" and config["modeling_amsdff_version"] == modeling_amsdff.__version__
    )
    card = (out / "README.md").read_text()
    assert "A mean-pooling classifier." in card and "mean-pooling" in card
    with open(out / "predictions.csv") as handle:
        assert len(list(csv.DictReader(handle))) == len(rows)
    predictions = load_for_inference(str(out)).predict(["a warm film", "a tedious mess"])
    assert [set(p) >= {"label", "score"} for p in predictions] == [True, True]
    assert torch.load(out / "training_args.bin", weights_only=False).num_train_epochs == 1


def test_transformers_battery_runs_on_it(new_family, monkeypatch):
    """One `BatteryCase` gives the family transformers' own test battery, run here as unittest runs it."""
    import unittest

    battery = pytest.importorskip("test_transformers_battery", reason="transformers' battery is not fetched")
    case = BatteryCase(
        FAMILY.model_type,
        config_tester=dict(has_text_modality=False, classifier_dropout=0.2),
        tester_attributes=TEXT_TESTER,
        has_attentions=False,  # this small family returns the pooled output only
        not_applicable={
            "test_hidden_states_output": "this small family returns no hidden states",
            "test_retain_grad_hidden_states_attentions": "this small family returns no hidden states",
            "test_problem_types": "this small family's loss is single-label cross-entropy only",
        },
    )
    result = unittest.TextTestRunner(stream=open(os.devnull, "w")).run(
        unittest.defaultTestLoader.loadTestsFromTestCase(battery.battery_class(case, monkeypatch.setitem))
    )
    problems = [f"{test.id()}: {trace.splitlines()[-1]}" for test, trace in result.failures + result.errors]
    assert not problems, "\n".join(problems)
    assert result.testsRun - len(result.skipped) >= 50

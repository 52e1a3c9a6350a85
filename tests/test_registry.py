"""The family registry is the one place a family is described: every entry is registered with the Auto classes,
builds from each of its presets, has tiny test cases, and is what train.py dispatches on."""

import json
import os
import subprocess
from dataclasses import replace

import pytest
from transformers import AutoConfig, AutoImageProcessor, AutoModel

from modeling_amsdff.registry import FAMILIES, FAMILIES_BY_MODEL_TYPE, MODEL_TYPES, TASKS, preset, register_family

from model_cases import MODEL_CASES, TINY_CONFIGS


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: family.model_type)
def test_every_family_is_registered_and_tested(family, tmp_path):
    assert family.task in TASKS
    config = TINY_CONFIGS[family.model_type]()
    assert type(AutoConfig.for_model(family.model_type)) is family.config_class
    assert type(AutoModel.from_config(config)) is family.body_class
    assert type(family.auto_class.from_config(config)) is family.model_class
    cases = [case for case in MODEL_CASES if case.family == family.model_type]
    assert any(not case.body for case in cases), "no test case for the task model"
    if family.is_image:
        config.save_pretrained(tmp_path)
        family.image_processor_class().save_pretrained(tmp_path)
        assert type(AutoImageProcessor.from_pretrained(tmp_path)) is family.image_processor_class
    summary, description, tags = family.describe(config)
    assert summary and description and all(isinstance(tag, str) for tag in tags)


@pytest.mark.parametrize("name", sorted(MODEL_TYPES))
def test_every_preset_builds_a_valid_config(name):
    family, arguments = preset(name)
    config = family.config_class(**arguments)
    for key, value in arguments.items():
        assert getattr(config, key) == value, key
    with pytest.raises(ValueError, match="--model_type must be one of"):
        preset("bert")


def test_model_types_and_config_types_are_unique():
    assert len({family.model_type for family in FAMILIES}) == len(FAMILIES)
    names = [name for family in FAMILIES for name in family.presets]
    assert len(names) == len(set(names)) == len(MODEL_TYPES)


def test_renamed_model_types_still_work_with_a_warning(caplog):
    from modeling_amsdff.registry import RENAMED_MODEL_TYPES

    assert RENAMED_MODEL_TYPES == {"bert_regression": "base_regression", "gated_bert": "gated_regression"}
    for old, new in RENAMED_MODEL_TYPES.items():
        with caplog.at_level("WARNING", logger="train"):
            assert preset(old) == preset(new)
        assert f"--model_type {old} is now called {new}" in caplog.text
    with pytest.raises(ValueError, match="must be one of") as error:
        preset("gated")
    assert "gated_bert" not in str(error.value)  # the message lists today's names only
    family = FAMILIES_BY_MODEL_TYPE["emotion_regression"]
    other = replace(family, config_class=type("OtherConfig", (), {"model_type": "other"}), presets={"other": {}})
    for renamed, message in (
        ({"gated_bert": "other"}, r"\['gated_bert'\] are taken"),  # an earlier name of another family
        ({"moe_regression": "other"}, r"\['moe_regression'\] are taken"),  # a preset of another family
        ({"other": "other"}, r"\['other'\] are taken"),  # its own preset
        ({"x": "no_such_preset"}, "point to \\['no_such_preset'\\], not its presets"),
    ):
        with pytest.raises(ValueError, match=message):
            register_family(replace(other, renamed_presets=renamed))
    assert "other" not in FAMILIES_BY_MODEL_TYPE and "x" not in RENAMED_MODEL_TYPES


def test_train_py_dispatches_on_the_model_type(tmp_path):
    import train

    assert train.requested_model_type(["--output_dir", "x"]) == "amsdff"
    assert train.requested_model_type(["--model_type", "resnet18", "--output_dir", "x"]) == "resnet18"
    assert train.requested_model_type(["--model_type=gated_regression"]) == "gated_regression"
    (tmp_path / "args.json").write_text(json.dumps({"model_type": "amsra_net", "output_dir": "x"}))
    assert train.requested_model_type([str(tmp_path / "args.json")]) == "amsra_net"


def test_no_family_dispatch_in_the_training_scripts():
    """The check of issue 10: a family's facts come from its registry entry, not from isinstance tests."""
    command = ["git", "grep", "-n", "isinstance(config", "--", "train*.py"]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if result.returncode not in (0, 1):
        pytest.skip(f"not a git checkout: {result.stderr.strip()}")
    assert result.stdout == ""


def test_the_card_describes_the_modules_the_model_has():
    from modeling_amsdff import AmsdffConfig, AmsraNetConfig, CifarResNetConfig
    from modeling_amsdff.registry import (
        AMSDFF_BASELINE_ARGUMENTS,
        describe_amsdff,
        describe_amsra_net,
        describe_cifar_resnet,
    )

    default = describe_amsdff(AmsdffConfig(num_labels=2))[1]  # the dynamic fusion is off by default since 0.4
    assert "with a feature enhancer, multi-scale attention (windows (1, 3, 5)), attention + cls + max" in default
    assert "dynamic expert fusion (" not in default
    assert default.endswith("Switched off in this model: the dynamic expert fusion.")
    every = describe_amsdff(AmsdffConfig(num_labels=2, use_dynamic_fusion=True))[1]
    assert "dynamic expert fusion (3 experts)" in every and "Switched off" not in every
    baseline = describe_amsdff(AmsdffConfig(num_labels=2, **AMSDFF_BASELINE_ARGUMENTS))[1]
    assert "cls pooling and a linear classifier (the AMSDFF baseline" in baseline and "AMSDFF**" not in baseline
    assert "and a lightweight gated self-attention engine." in describe_amsra_net(AmsraNetConfig())[1]
    ablated = describe_amsra_net(AmsraNetConfig(use_lgsa=False, use_multi_scale=False))[1]
    assert "single-scale feature decouplers" in ablated and "and no self-attention" in ablated
    assert "from scratch" not in ablated  # the card's template says how the model was trained (or continued)
    assert describe_cifar_resnet(CifarResNetConfig())[1].startswith("A **ResNet-18** ")
    assert describe_cifar_resnet(CifarResNetConfig(depths=(1, 1), hidden_sizes=(8, 16)))[1].startswith("A **ResNet** ")

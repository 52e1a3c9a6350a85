"""One rule for config versions (modeling_amsdff/configuration_common.py): every saved config names the package
version that wrote it; a dict that carries a version, or none at all (written by hand), reads exactly as the
constructor builds it; only a dict saved before versions were recorded is migrated by its family's rules."""

import json
import logging

import pytest

import modeling_amsdff
from modeling_amsdff import AmsdffConfig, AmsraNetConfig, EmotionRegressionConfig
from modeling_amsdff.configuration_common import PACKAGE_VERSION, VERSION_KEY
from modeling_amsdff.registry import FAMILIES

from model_cases import TINY_CONFIGS


def test_the_package_version_has_one_home():
    assert modeling_amsdff.__version__ == PACKAGE_VERSION


@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: family.model_type)
def test_every_saved_config_names_its_version_and_reads_back_the_same(family, tmp_path):
    config = TINY_CONFIGS[family.model_type]()
    config.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved[VERSION_KEY] == PACKAGE_VERSION and "transformers_version" in saved
    again = family.config_class.from_pretrained(tmp_path)
    assert again.to_dict() == config.to_dict()
    assert not hasattr(again, VERSION_KEY)  # the version is the writer's, not an argument


@pytest.mark.parametrize("family", FAMILIES, ids=lambda family: family.model_type)
def test_constructor_and_from_dict_agree_on_a_hand_written_dict(family):
    for arguments in ({"num_labels": 3}, {"num_labels": 3, VERSION_KEY: PACKAGE_VERSION}):
        built = family.config_class(num_labels=3)
        assert family.config_class.from_dict(arguments).to_dict() == built.to_dict()


def test_a_dict_that_names_its_revision_is_read_as_it_says():
    for revision in (1, 2):
        assert AmsdffConfig.from_dict({"architecture_revision": revision}).architecture_revision == revision
        assert AmsdffConfig(architecture_revision=revision).architecture_revision == revision
    assert AmsdffConfig.from_dict({}).architecture_revision == 2  # today's, as AmsdffConfig()
    assert AmsraNetConfig.from_dict({}).to_dict() == AmsraNetConfig().to_dict()
    assert AmsraNetConfig.from_dict({}).decouplers_per_unit == 1


def test_only_a_config_saved_before_versions_were_recorded_is_migrated():
    saved_by_0_2 = {"model_type": "amsdff", "transformers_version": "4.44.0", "num_labels": 2}
    assert AmsdffConfig.from_dict(saved_by_0_2).architecture_revision == 1
    versioned = {**saved_by_0_2, VERSION_KEY: PACKAGE_VERSION}
    assert AmsdffConfig.from_dict(versioned).architecture_revision == 2
    before_0_3 = {"model_type": "amsra_net", "transformers_version": "4.44.0"}
    old = AmsraNetConfig.from_dict(before_0_3)
    assert (old.decouplers_per_unit, old.lgsa_key_value_size, old.zero_init_residual) == (2, None, True)
    of_0_3 = AmsraNetConfig.from_dict({**before_0_3, "lgsa_key_value_size": 8})
    assert (of_0_3.decouplers_per_unit, of_0_3.lgsa_key_value_size) == (1, 8)


def test_a_saved_config_keeps_the_default_of_the_version_that_wrote_it():
    """The dynamic fusion is off by default since 0.4; a config saved before keeps it on even where the key was
    trimmed by hand (save_pretrained writes it); a hand-written dict and a config saved since read today's default."""
    assert AmsdffConfig.changed_defaults == {"0.4.0": {"use_dynamic_fusion": True}}
    assert AmsdffConfig().use_dynamic_fusion is False and AmsdffConfig.from_dict({}).use_dynamic_fusion is False
    for saved_by in ({VERSION_KEY: "0.3.0"}, {}):  # 0.3 with its version, and 0.1-0.2 without
        old = AmsdffConfig.from_dict({"model_type": "amsdff", "transformers_version": "4.44.0", **saved_by})
        assert old.use_dynamic_fusion is True
        kept = AmsdffConfig.from_dict({**saved_by, "transformers_version": "4.44.0", "use_dynamic_fusion": False})
        assert kept.use_dynamic_fusion is False  # a saved value wins
    today = AmsdffConfig.from_dict({"transformers_version": "5.0.0", VERSION_KEY: PACKAGE_VERSION})
    assert today.use_dynamic_fusion is False


def test_renamed_arguments_are_read_by_the_constructor_and_from_dict():
    assert AmsdffConfig(loss_type="focal").classification_loss == "focal"
    assert AmsdffConfig.from_dict({"loss_type": "focal"}).classification_loss == "focal"
    assert EmotionRegressionConfig(loss_type="mse").regression_loss == "mse"
    assert "loss_type" not in AmsdffConfig(loss_type="focal").to_dict()


def test_a_config_from_a_newer_version_loads_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING):
        config = AmsdffConfig.from_dict({VERSION_KEY: "99.0.0", "num_labels": 2})
    assert config.num_labels == 2 and "saved by modeling_amsdff 99.0.0, newer than this code" in caplog.text

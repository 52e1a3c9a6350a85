"""Folders saved by version 0.1.0 still load: its configs name the loss `loss_type` (now `classification_loss` or
`regression_loss`) and its code files differ (one `shared_layers.py`). `tests/fixtures/legacy-0.1.0/` holds one tiny
model per family saved by that version, with the outputs it gave; this version's classes must give the same."""

import json
from pathlib import Path

import pytest
import torch
from transformers import AutoConfig, AutoImageProcessor

from modeling_amsdff.registry import FAMILIES_BY_MODEL_TYPE


FIXTURES = Path(__file__).parent / "fixtures" / "legacy-0.1.0"
# What each fixture's config.json says under `loss_type`, and the argument that now holds it.
LEGACY_LOSSES = {
    "amsdff": ("classification_loss", "focal"),
    "emotion_regression": ("regression_loss", "mse"),
    "amsra_net": ("classification_loss", "combined"),
}


# The families that existed in 0.1.0 (a family added since has no such folder, and nothing to keep loading).
SAVED_FAMILIES = sorted(path.name for path in FIXTURES.iterdir() if (path / "config.json").is_file())


def test_every_saved_fixture_is_a_family_of_today():
    assert SAVED_FAMILIES and set(SAVED_FAMILIES) <= set(FAMILIES_BY_MODEL_TYPE)


@pytest.mark.parametrize("family", SAVED_FAMILIES)
def test_a_folder_saved_by_0_1_0_gives_the_same_outputs(family):
    folder = FIXTURES / family
    expected = json.loads((folder / "expected_outputs.json").read_text())
    entry = FAMILIES_BY_MODEL_TYPE[family]
    model = entry.auto_class.from_pretrained(folder).eval()  # this package's classes, not the folder's old code
    assert type(model) is entry.model_class
    inputs = {name: torch.tensor(value) for name, value in expected["inputs"].items()}
    with torch.no_grad():
        output = model(**inputs, labels=torch.tensor(expected["labels"]))
    torch.testing.assert_close(output.logits, torch.tensor(expected["logits"]), rtol=1e-5, atol=1e-5)
    assert output.loss.item() == pytest.approx(expected["loss"], rel=1e-5)
    if entry.is_image:
        processor = AutoImageProcessor.from_pretrained(folder)
        assert processor.size == {"height": 16, "width": 16} and processor.num_channels == 3


@pytest.mark.parametrize("family", sorted(LEGACY_LOSSES))
def test_the_old_loss_type_key_is_read_and_saved_under_its_new_name(family, tmp_path):
    folder = FIXTURES / family
    assert "loss_type" in json.loads((folder / "config.json").read_text())
    name, value = LEGACY_LOSSES[family]
    config = AutoConfig.from_pretrained(folder)
    assert getattr(config, name) == value and not hasattr(config, "loss_type")
    config.save_pretrained(tmp_path)
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved[name] == value and "loss_type" not in saved

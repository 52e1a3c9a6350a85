"""ONNX export of every family, checked with ONNX Runtime against PyTorch on another batch size (and other text
lengths) than the export's; dynamic int8 quantisation of the exported graph; clear errors."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from transformers import AutoTokenizer

from modeling_amsdff import (
    AmsdffForSequenceClassification,
    AmsraNetForImageClassification,
    AmsraNetImageProcessor,
    CifarResNetForImageClassification,
    EmotionRegressionForSequenceClassification,
)
from modeling_amsdff.export import (
    INT8_NAME,
    ONNX_NAME,
    REPORT_NAME,
    ExportError,
    export_onnx,
    onnx_session,
    run_onnx,
)
from modeling_amsdff.inference import SavedModelError, load_for_inference

from model_cases import tiny_amsra_config, tiny_resnet_config


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def save_text_model(model, encoder, folder):
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(encoder).save_pretrained(folder)
    return str(folder)


def save_image_model(model, folder, channels):
    model.save_pretrained(folder)
    AmsraNetImageProcessor(num_channels=channels, size={"height": 16, "width": 16}).save_pretrained(folder)
    return str(folder)


@pytest.fixture
def saved_models(tiny_encoder, tmp_path):
    torch.manual_seed(0)
    return {
        "amsdff": save_text_model(
            AmsdffForSequenceClassification.from_pretrained_backbone(tiny_encoder, num_labels=3),
            tiny_encoder,
            tmp_path / "amsdff",
        ),
        "moe_regression": save_text_model(
            EmotionRegressionForSequenceClassification.from_pretrained_backbone(
                tiny_encoder, num_labels=2, head_type="moe"
            ),
            tiny_encoder,
            tmp_path / "moe",
        ),
        "amsra_net": save_image_model(
            AmsraNetForImageClassification(tiny_amsra_config(num_channels=1, image_size=16)), tmp_path / "amsra", 1
        ),
        "resnet18": save_image_model(CifarResNetForImageClassification(tiny_resnet_config()), tmp_path / "resnet", 3),
    }


@pytest.mark.parametrize("family", ["amsdff", "moe_regression", "amsra_net", "resnet18"])
def test_export_matches_pytorch_and_quantizes(family, saved_models, tmp_path):
    out = tmp_path / f"{family}-onnx"
    report = export_onnx(saved_models[family], str(out), int8=True)
    assert report["max_abs_difference"] <= 1e-4
    assert json.loads((out / REPORT_NAME).read_text()) == report
    assert (out / "config.json").is_file()
    # Run the exported graphs as a user would: the folder's own processor, then ONNX Runtime, at yet another size.
    loaded = load_for_inference(saved_models[family])
    if loaded.kind == "text":
        items = ["short", "a somewhat longer sentence about a film that was far too long", "a third one"]
    else:
        from PIL import Image

        rng = np.random.default_rng(3)
        items = [Image.fromarray(rng.integers(0, 255, (20, 24, 3), dtype=np.uint8)) for _ in range(3)]
    inputs = loaded.preprocess(items)
    with torch.no_grad():
        expected = loaded.model(**inputs).logits.numpy()
    np.testing.assert_allclose(run_onnx(onnx_session(str(out / ONNX_NAME)), inputs), expected, atol=1e-4)
    quantized = run_onnx(onnx_session(str(out / INT8_NAME)), inputs)
    assert quantized.shape == expected.shape and np.isfinite(quantized).all()
    assert np.abs(quantized - expected).max() < 0.5  # int8 moves the outputs a little, not arbitrarily
    assert report["int8_bytes"] > 0 and 0.0 <= report["int8_same_argmax"] <= 1.0


def test_export_errors_are_clear(saved_models, tmp_path):
    out = tmp_path / "onnx"
    export_onnx(saved_models["resnet18"], str(out))
    before = (out / ONNX_NAME).read_bytes()
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-m", "modeling_amsdff.export"]
    result = subprocess.run(
        [*command, saved_models["resnet18"], str(out)], capture_output=True, text=True, env=env, cwd=ROOT, timeout=300
    )
    assert (
        result.returncode == 2
        and "already holds an ONNX export (model.onnx)" in result.stderr
        and "Traceback" not in result.stderr
    )
    assert (out / ONNX_NAME).read_bytes() == before  # nothing overwritten
    result = subprocess.run(
        [*command, str(tmp_path / "missing"), str(tmp_path / "x")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 2 and "holds no saved model" in result.stderr


def test_export_never_replaces_another_model_or_the_source(saved_models, tmp_path):
    other = saved_models["moe_regression"]
    before = {name: open(os.path.join(other, name), "rb").read() for name in os.listdir(other)}
    with pytest.raises(ExportError, match=r"already holds a model \(config.json\)"):
        export_onnx(saved_models["resnet18"], other)
    assert {name: open(os.path.join(other, name), "rb").read() for name in os.listdir(other)} == before
    load_for_inference(other)  # still loads
    source = saved_models["resnet18"]
    with pytest.raises(ExportError, match="is the folder of the model being exported"):
        export_onnx(source, source, overwrite=True)
    assert not os.path.exists(os.path.join(source, ONNX_NAME))
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(ExportError, match="is a file, not a folder"):
        export_onnx(source, str(tmp_path / "a-file"))


def test_a_failed_export_leaves_the_destination_as_it_was(saved_models, tmp_path, monkeypatch):
    import modeling_amsdff.export as export

    exports = tmp_path / "exports"
    out = exports / "onnx"
    export_onnx(saved_models["resnet18"], str(out))
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    monkeypatch.setattr(export, "PARITY_TOLERANCE", -1.0)  # every export now fails its parity check
    with pytest.raises(ExportError, match="differs from PyTorch"):
        export_onnx(saved_models["resnet18"], str(out), overwrite=True)
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    with pytest.raises(ExportError, match="differs from PyTorch"):
        export_onnx(saved_models["resnet18"], str(exports / "new"))
    assert sorted(os.listdir(exports)) == ["onnx"]  # no half-written folder, no staging folder left
    monkeypatch.undo()
    export_onnx(saved_models["amsra_net"], str(out), overwrite=True)  # replaces the whole folder
    assert json.loads((out / REPORT_NAME).read_text())["model"] == "AmsraNetForImageClassification"


MARKER_LINE = "\nimport os as _os\nopen(_os.environ['AMSDFF_TEST_MARKER'], 'w').write('ran')\n"


def test_a_folder_runs_its_own_code_only_with_trust_remote_code(saved_models, tmp_path, monkeypatch):
    marker = tmp_path / "marker"
    monkeypatch.setenv("AMSDFF_TEST_MARKER", str(marker))
    # A folder of this package's model type loads with this package's classes: its files are not run.
    ours = tmp_path / "ours"
    shutil.copytree(saved_models["amsdff"], ours)
    with open(ours / "configuration_amsdff.py", "a") as handle:
        handle.write(MARKER_LINE)
    load_for_inference(str(ours))
    assert not marker.exists()
    # Any other model type would run the folder's code: refused without the flag, as in transformers.
    foreign = tmp_path / "foreign"
    shutil.copytree(ours, foreign)
    config = json.loads((foreign / "config.json").read_text())
    (foreign / "config.json").write_text(json.dumps({**config, "model_type": "someone_elses_model"}))
    with pytest.raises(SavedModelError, match="pass --trust_remote_code if you trust it"):
        load_for_inference(str(foreign))
    result = subprocess.run(
        [sys.executable, "-m", "modeling_amsdff.export", str(foreign), str(tmp_path / "x")],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == 2 and "--trust_remote_code" in result.stderr and "Traceback" not in result.stderr
    assert not marker.exists()
    try:
        load_for_inference(str(foreign), trust_remote_code=True)
    except Exception:  # noqa: BLE001 - whether it loads is the folder's business; what matters is that its code ran
        pass
    assert marker.read_text() == "ran"


def test_a_truncated_weights_file_is_named(saved_models, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(saved_models["amsra_net"], broken)
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.raises(SavedModelError, match=r"Cannot load the model saved in .*broken.* \(model.safetensors\)"):
        load_for_inference(str(broken))

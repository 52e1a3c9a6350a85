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
from modeling_amsdff.export import main as export_main
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


@pytest.fixture(scope="module")
def saved_models(tiny_encoder, tmp_path_factory):
    """One tiny saved model per family, built once per module: the tests read or copy them, never change them."""
    tmp_path = tmp_path_factory.mktemp("saved_models")
    torch.manual_seed(0)
    return {
        "amsdff": save_text_model(
            AmsdffForSequenceClassification.from_pretrained_backbone(tiny_encoder, num_labels=3),
            tiny_encoder,
            tmp_path / "amsdff",
        ),
        "moe_regression": save_text_model(
            EmotionRegressionForSequenceClassification.from_pretrained_backbone(  # sparse routing here; dense below
                tiny_encoder, num_labels=2, head_type="moe", router_top_k=2, router_noisy_gating=True
            ),
            tiny_encoder,
            tmp_path / "moe",
        ),
        "amsra_net": save_image_model(
            AmsraNetForImageClassification(tiny_amsra_config(num_channels=1, image_size=16)), tmp_path / "amsra", 1
        ),
        "resnet18": save_image_model(CifarResNetForImageClassification(tiny_resnet_config()), tmp_path / "resnet", 3),
    }


# Real inputs for the exports at default size: movie-review sentences, and the first Fashion-MNIST test images.
REVIEWS = [
    "a gripping, beautifully acted film that stays with you",
    "two hours of my life I will never get back",
    "the plot is thin but the performances are wonderful",
    "dull",
    "an ambitious, sprawling and ultimately exhausting epic that never quite finds its heart, despite a fine cast",
    "funny, warm and sharp",
    "I laughed, I cried, I checked my watch",
    "the best thing about it is the music",
] * 4
INT8_TOLERANCE = 0.25  # largest |int8 - fp32| allowed on the logits of these inputs (measured here: at most 0.04)


def default_size_model(family: str, minilm_path: str, folder) -> str:
    """The family's model at its default size (the MiniLM encoder for AMSDFF; 28x28 greyscale AMSRA-Net and CCT as for
    Fashion-MNIST) with its processor, its parameters moved a little as a short training moves them: straight after
    construction some are equal (zero gates, unit norms), and the ONNX exporter merges equal constants, which hid the
    int8 failure of trained AMSRA-Nets."""
    from modeling_amsdff import AmsraNetConfig, CctConfig, CctForImageClassification

    torch.manual_seed(0)
    if family == "amsdff":
        model = AmsdffForSequenceClassification.from_pretrained_backbone(minilm_path, num_labels=2)
    elif family == "amsra_net":
        model = AmsraNetForImageClassification(AmsraNetConfig(num_channels=1, image_size=28))
    else:
        model = CctForImageClassification(CctConfig(num_channels=1, image_size=28))
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.01)
    if family == "amsdff":
        return save_text_model(model, minilm_path, folder)
    model.save_pretrained(folder)
    AmsraNetImageProcessor(num_channels=1, size={"height": 28, "width": 28}).save_pretrained(folder)
    return str(folder)


def check_export_on_real_inputs(folder: str, out, fashion_mnist: str) -> None:
    """Export `folder` with int8 into `out`, then run both graphs as a user does (the folder's own processor, then ONNX
    Runtime) on real inputs: movie-review sentences, or the first Fashion-MNIST test images."""
    from PIL import Image

    from modeling_amsdff.offline_data import _read_idx

    report = export_onnx(folder, str(out), int8=True)
    assert report["max_abs_difference"] <= 1e-4 and report["int8_preprocessed"], report
    assert json.loads((out / REPORT_NAME).read_text()) == report and (out / "config.json").is_file()
    loaded = load_for_inference(folder)
    if loaded.kind == "text":
        items = REVIEWS
    else:
        images = _read_idx(os.path.join(fashion_mnist, "t10k-images-idx3-ubyte.gz"), 3)[:32]
        items = [Image.fromarray(image) for image in images]
    inputs = loaded.preprocess(items)
    with torch.no_grad():
        expected = loaded.model(**inputs).logits.numpy()
    np.testing.assert_allclose(run_onnx(onnx_session(str(out / ONNX_NAME)), inputs), expected, atol=1e-4)
    quantized = run_onnx(onnx_session(str(out / INT8_NAME)), inputs)
    assert quantized.shape == expected.shape and np.isfinite(quantized).all()
    assert np.abs(quantized - expected).max() <= INT8_TOLERANCE, np.abs(quantized - expected).max()
    assert report["int8_bytes"] < report["onnx_bytes"] / 2


@pytest.mark.slow
@pytest.mark.parametrize("family", ["amsdff", "amsra_net", "cct"])
def test_export_and_int8_at_default_size(family, minilm_path, fashion_mnist_available, tmp_path):
    """A text family on the MiniLM encoder and the two image families with their own blocks, at default size (weights
    stored outside the graph, as for real models)."""
    folder = default_size_model(family, minilm_path, tmp_path / family)
    check_export_on_real_inputs(folder, tmp_path / f"{family}-onnx", fashion_mnist_available)


@pytest.mark.parametrize("family", ["moe_regression", "resnet18"])
def test_export_and_int8_of_the_other_families(family, saved_models, fashion_mnist_available, tmp_path):
    """The families whose graphs the default-size exports hold in kind (the MoE head on the same encoder as AMSDFF's;
    the CIFAR ResNet's convolutions, batch norms and pooling, which AMSRA-Net has too): the test-size models, their
    parameters moved as training moves them."""
    loaded = load_for_inference(saved_models[family])
    with torch.no_grad():
        for parameter in loaded.model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.01)
    folder = tmp_path / family
    shutil.copytree(saved_models[family], folder)
    loaded.model.save_pretrained(folder)
    check_export_on_real_inputs(str(folder), tmp_path / f"{family}-onnx", fashion_mnist_available)


def test_int8_never_swallows_a_failed_step(saved_models, tmp_path, monkeypatch):
    import onnxruntime.quantization as quantization

    def failing(*args, **kwargs):
        raise RuntimeError("shape inference broke")

    monkeypatch.setattr(quantization, "quant_pre_process", failing)
    with pytest.warns(UserWarning, match=r"pre-processing \(quant_pre_process\) failed \(shape inference broke\)"):
        report = export_onnx(saved_models["resnet18"], str(tmp_path / "fallback"), int8=True)
    assert report["int8_preprocessed"] is False
    monkeypatch.setattr(quantization, "quantize_dynamic", failing)
    with pytest.raises(ExportError, match="int8 quantisation of model.onnx failed: shape inference broke"):
        export_onnx(saved_models["resnet18"], str(tmp_path / "failed"), int8=True)
    assert not (tmp_path / "failed").exists()


def test_a_missing_model_is_one_line(tmp_path, capsys):
    # The command line in this process (a fresh interpreter costs seconds; the one below runs the real command):
    # exit code 2 and one line.
    assert export_main([str(tmp_path / "missing"), str(tmp_path / "x")]) == 2
    assert "holds no saved model" in capsys.readouterr().err


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


@pytest.mark.slow
def test_a_failed_export_leaves_the_destination_as_it_was(saved_models, tmp_path, monkeypatch):
    import modeling_amsdff.export as export

    exports = tmp_path / "exports"
    out = exports / "onnx"
    export_onnx(saved_models["resnet18"], str(out))
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    # Exporting again without --overwrite: the real command refuses in one line (exit code 2), nothing overwritten.
    command = [sys.executable, "-m", "modeling_amsdff.export", saved_models["resnet18"], str(out)]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert result.returncode == 2 and "already holds an ONNX export (model.onnx)" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    # An export that fails after writing its files (here its parity check) leaves the destination as it was.
    monkeypatch.setattr(export, "PARITY_TOLERANCE", -1.0)  # every export now fails its parity check
    with pytest.raises(ExportError, match="differs from PyTorch"):
        export_onnx(saved_models["resnet18"], str(out), overwrite=True)
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before
    with pytest.raises(ExportError, match="differs from PyTorch"):
        export_onnx(saved_models["resnet18"], str(exports / "new"))
    assert sorted(os.listdir(exports)) == ["onnx"]  # no half-written folder, no staging folder left


MARKER_LINE = "\nimport os as _os\nopen(_os.environ['AMSDFF_TEST_MARKER'], 'w').write('ran')\n"


def test_a_folder_runs_its_own_code_only_with_trust_remote_code(saved_models, tmp_path, monkeypatch, capsys):
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
    assert export_main([str(foreign), str(tmp_path / "x")]) == 2  # the command line says so in one line
    assert "--trust_remote_code" in capsys.readouterr().err and not marker.exists()
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

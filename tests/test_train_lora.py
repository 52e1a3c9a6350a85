"""train.py --use_lora: adapters trained for a text and an image family; the output folder holds the merged model,
lora_adapter/ the adapter, and the adapter reloads with `peft` on its base loaded with `trust_remote_code=True` in a
process without this package, giving the merged model's outputs."""

import json
import os
import sys

import pytest
import torch
from huggingface_hub import ModelCard
from safetensors.torch import load_file

from modeling_amsdff.hub import LORA_ADAPTER_DIR, LORA_BASE_DIR

from helpers import FAST, run_without_package


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from test_train import SENTENCES  # noqa: E402
from test_train_image import QUICK, TINY_AMSRA, write_image_folder  # noqa: E402

import train  # noqa: E402


# argv: merged folder, base folder, adapter folder, auto class; reads inputs.json in the merged folder and prints the
# largest difference between the merged model and base + adapter, and the classes they were loaded as.
ADAPTER_VERSUS_MERGED = """
import json, sys, torch, transformers
from peft import PeftModel
merged_dir, base_dir, adapter_dir, auto_class = sys.argv[1:5]
auto = getattr(transformers, auto_class)
inputs = {k: torch.tensor(v) for k, v in json.load(open(merged_dir + "/inputs.json")).items()}
merged = auto.from_pretrained(merged_dir, trust_remote_code=True).eval()
base = auto.from_pretrained(base_dir, trust_remote_code=True)
adapted = PeftModel.from_pretrained(base, adapter_dir).eval()
report = {"module": type(merged).__module__, "base": type(base).__module__}
with torch.no_grad():
    report["difference"] = (merged(**inputs).logits - adapted(**inputs).logits).abs().max().item()
    if auto_class == "AutoModelForSequenceClassification":  # peft's Auto loader, from the adapter folder alone
        from peft import AutoPeftModelForSequenceClassification

        auto = AutoPeftModelForSequenceClassification.from_pretrained(adapter_dir, trust_remote_code=True).eval()
        report["auto_difference"] = (merged(**inputs).logits - auto(**inputs).logits).abs().max().item()
print(json.dumps(report))
"""


def check_adapter_against_merged(out, base_dir, auto_class, inputs, tmp_path):
    (out / "inputs.json").write_text(json.dumps(inputs))
    report = json.loads(
        run_without_package(
            ADAPTER_VERSUS_MERGED, [str(out), str(base_dir), str(out / LORA_ADAPTER_DIR), auto_class], tmp_path
        )
        .strip()
        .splitlines()[-1]
    )
    assert report["module"].startswith("transformers_modules.") and report["base"].startswith("transformers_modules.")
    assert report["difference"] < 1e-4, report
    if auto_class == "AutoModelForSequenceClassification":
        assert report["auto_difference"] < 1e-4, report


def test_lora_text_classifier_saves_merged_model_adapter_and_base(tiny_encoder, tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("text,label\n" + "\n".join(f'"{s}",{i % 2}' for i, s in enumerate(SENTENCES * 4)))
    out = tmp_path / "lora"
    results = train.main(
        [
            "--model_name_or_path",
            tiny_encoder,
            "--train_file",
            str(path),
            "--output_dir",
            str(out),
            "--use_lora",
            "--lora_r",
            "4",
            "--lora_alpha",
            "8",
            "--learning_rate",
            "0.01",
            *FAST,
        ]
    )
    assert "predict_accuracy" in results
    adapter_dir, base_dir = out / LORA_ADAPTER_DIR, out / LORA_BASE_DIR
    adapter_config = json.loads((adapter_dir / "adapter_config.json").read_text())
    assert adapter_config["r"] == 4 and adapter_config["lora_alpha"] == 8
    assert adapter_config["base_model_name_or_path"] == str(base_dir)
    assert (
        "classifier" in adapter_config["modules_to_save"]
        and "amsdff.feature_enhancer" in adapter_config["modules_to_save"]
    )
    # The adapter holds LoRA matrices and the new modules, not the encoder's own weights.
    keys = load_file(adapter_dir / "adapter_model.safetensors").keys()
    assert any("lora_A" in key for key in keys) and any("feature_enhancer" in key for key in keys)
    assert not any("backbone" in key and "lora_" not in key for key in keys)
    # The base keeps the pretrained encoder; the merged model's attention projections moved, its other encoder
    # weights did not.
    base, merged = load_file(base_dir / "model.safetensors"), load_file(out / "model.safetensors")
    encoder = load_file(os.path.join(tiny_encoder, "model.safetensors"))
    query = next(key for key in base if key.endswith("attention.self.query.weight"))
    dense = next(key for key in base if key.endswith("intermediate.dense.weight"))
    assert torch.equal(base[dense], encoder[dense.split("backbone.", 1)[1]])
    assert torch.equal(merged[dense], base[dense]) and not torch.equal(merged[query], base[query])
    assert (base_dir / "modeling_amsdff.py").is_file() and (base_dir / "tokenizer.json").is_file()
    assert "fine-tuned with LoRA (r 4, alpha 8" in ModelCard.load(out / "README.md").text
    assert adapter_config["task_type"] == "SEQ_CLS"  # what peft's AutoPeftModelForSequenceClassification needs
    adapter_card = ModelCard.load(adapter_dir / "README.md")  # this package's card, not peft's template
    assert adapter_card.data.library_name == "peft" and adapter_card.data.base_model is None  # a local base
    assert "AutoPeftModelForSequenceClassification.from_pretrained" in adapter_card.text
    assert ModelCard.load(base_dir / "README.md").data.tags == ["custom_code", "modeling_amsdff", "lora-base"]
    inputs = {"input_ids": [[101, 2023, 2003, 1037, 2307, 2143, 102]], "attention_mask": [[1] * 7]}
    check_adapter_against_merged(out, base_dir, "AutoModelForSequenceClassification", inputs, tmp_path)


def test_lora_on_a_trained_image_model_applies_to_that_model(tmp_path):
    train_dir = write_image_folder(tmp_path / "train", 12)
    first = tmp_path / "first"
    train.main(
        [
            "--model_type",
            "amsra_net",
            "--train_dir",
            train_dir,
            "--output_dir",
            str(first),
            "--config_overrides",
            TINY_AMSRA,
            "--num_train_epochs",
            "1",
            "--per_device_train_batch_size",
            "8",
            *QUICK,
        ]
    )
    out = tmp_path / "lora"
    train.main(
        [
            "--model_type",
            "amsra_net",
            "--model_name_or_path",
            str(first),
            "--train_dir",
            train_dir,
            "--output_dir",
            str(out),
            "--use_lora",
            "--num_train_epochs",
            "1",
            "--per_device_train_batch_size",
            "8",
            "--learning_rate",
            "0.01",
            *QUICK,
        ]
    )
    adapter_config = json.loads((out / LORA_ADAPTER_DIR / "adapter_config.json").read_text())
    assert adapter_config["base_model_name_or_path"] == str(first)  # no copy of a base that is already saved
    assert not (out / LORA_BASE_DIR).exists()
    assert any(name.endswith("attention.query") for name in adapter_config["target_modules"])
    inputs = {"pixel_values": torch.randn(2, 3, 20, 20).tolist()}
    check_adapter_against_merged(out, first, "AutoModelForImageClassification", inputs, tmp_path)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--model_type", "amsra_net"], "--use_lora on an image model adapts a trained network"),
        (["--freeze_layers", "1"], "--freeze_layers and --use_lora"),
        (["--lora_r", "0"], "LoRA needs --lora_r >= 1"),
        (["--do_eval"], "--use_lora trains adapters: it needs --do_train"),
    ],
)
def test_bad_lora_arguments_are_named(args, message, tmp_path):
    quick = QUICK if "amsra_net" in args else FAST  # FAST has text flags, which an image run refuses
    with pytest.raises(ValueError, match=message):
        train.main(["--use_lora", "--output_dir", str(tmp_path / "o"), *args, *quick])

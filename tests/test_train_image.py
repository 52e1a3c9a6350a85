"""train.py for images: AMSRA-Net end to end on a slice of the real Fashion-MNIST, the ResNet-18 baseline on a local
image folder, the CIFAR recipe and augmentation, and clear errors for bad image data."""

import csv
import json
import os
import sys
import textwrap

import numpy as np
import pytest
import torch
from datasets import Dataset, Features
from datasets import Image as ImageFeature
from huggingface_hub import ModelCard
from PIL import Image

from modeling_amsdff import runner
from modeling_amsdff.data import DataError
from modeling_amsdff.image_data import ImageAugmentationCollator, channel_statistics, infer_image_geometry
from modeling_amsdff.inference import load_for_inference

from helpers import command_line_error, run_without_package


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import train  # noqa: E402
import train_image  # noqa: E402


TINY_AMSRA = "stem_channels=8,hidden_sizes=(8,16,16,16),depths=(1,1,1,1),lgsa_reduction=4"
SMALL_AMSRA = "stem_channels=16,hidden_sizes=(16,32,64,128),depths=(1,1,1,1),lgsa_reduction=4"
TINY_RESNET = "embedding_size=16,hidden_sizes=(16,16,16,16)"  # 16+ channels: see --channels_last
QUICK = ["--report_to", "none", "--save_strategy", "no", "--use_cpu", "--disable_tqdm", "true", "--no_plots"]


@pytest.mark.slow
def test_amsra_net_end_to_end_on_fashion_mnist(fashion_mnist_available, tmp_path):
    out = tmp_path / "amsra-fmnist"
    results = train.main(
        [
            "--model_type",
            "amsra_net",
            "--output_dir",
            str(out),
            "--config_overrides",
            SMALL_AMSRA,
            "--max_train_samples",
            "1000",
            "--max_eval_samples",
            "200",
            "--max_predict_samples",
            "500",
            "--num_train_epochs",
            "2",
            "--per_device_train_batch_size",
            "64",
            "--logging_steps",
            "20",
            *QUICK,
            "--no_plots",
            "false",
        ]
    )

    # Real learning on real images: ten classes, chance is 0.1 (the whole model reaches ~0.9, see the benchmark).
    assert results["predict_accuracy"] > 0.35, results
    matrix = json.loads((out / "predict_results.json").read_text())["predict_confusion_matrix"]
    assert len(matrix) == 10 and sum(map(sum, matrix)) == 500

    # The image recipe was applied, since no flag replaced it.
    args = torch.load(out / "training_args.bin", weights_only=False)
    assert str(args.optim.value) == "adamw_torch" and args.learning_rate == 4e-3 and args.weight_decay == 0.05
    assert args.warmup_steps == 0.05 and args.lr_scheduler_type.value == "cosine"
    config = json.loads((out / "config.json").read_text())
    assert (
        config["num_channels"] == 1
        and config["image_size"] == 28
        and config["classification_loss"] == "label_smoothing"
    )
    assert config["id2label"]["0"] == "T-shirt/top"
    processor = json.loads((out / "preprocessor_config.json").read_text())
    assert processor["num_channels"] == 1 and processor["size"] == {"height": 28, "width": 28}
    assert abs(processor["image_mean"][0] - 0.286) < 0.01 and abs(processor["image_std"][0] - 0.353) < 0.01

    history = json.loads((out / "trainer_state.json").read_text())["log_history"]
    assert any("loss_label_smoothing" in entry for entry in history)
    # Image plots: among them a grid of misclassified test images, 5 per row.
    for name in ("learning_curves.png", "confusion_matrix.png", "roc_precision_recall.png", "misclassified.png"):
        with Image.open(out / "plots" / name) as image:
            assert image.format == "PNG", name
            if name == "misclassified.png":
                assert image.size == (1100, 1200)  # 25 images, 5 x 5
        assert f"](plots/{name})" in (out / "README.md").read_text(), name

    card = ModelCard.load(out / "README.md")
    assert card.data.pipeline_tag == "image-classification" and "amsra-net" in card.data.tags
    assert '"horizontal_flip": false' in card.text  # greyscale images: no flips unless asked for
    assert card.data.datasets == ["zalando-datasets/fashion_mnist"]
    assert "Measured by `train.py` on the **test** split (500 images)" in card.text
    assert "each made of multi-scale feature decouplers" in card.text  # what this model has (SMALL_AMSRA: all on)
    parsed = {result.metric_type: result.metric_value for result in card.data.eval_results}
    assert parsed["accuracy"] == round(results["predict_accuracy"], 4)

    # The saved folder is a complete repo: without this package, the pipeline classifies a colour photo-like PNG of
    # another size (a file path) and a greyscale PIL image, through the folder's own processor code.
    picture = tmp_path / "boot.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 50, 3), dtype=np.uint8)).save(picture)
    script = textwrap.dedent(
        """
        import json, sys
        import numpy as np
        from PIL import Image
        from transformers import pipeline
        classifier = pipeline("image-classification", model=sys.argv[1], trust_remote_code=True)
        grey = Image.fromarray((np.random.default_rng(0).random((28, 28)) * 255).astype("uint8"), "L")
        print(json.dumps([classifier(sys.argv[2], top_k=3), classifier(grey, top_k=classifier.model.config.num_labels),
                          type(classifier.image_processor).__module__]))
        """
    )
    top, every, module = json.loads(run_without_package(script, [str(out), str(picture)], tmp_path))
    labels = set(config["id2label"].values())
    assert len(top) == 3 and {entry["label"] for entry in top} <= labels
    assert {entry["label"] for entry in every} == labels and abs(sum(entry["score"] for entry in every) - 1) < 1e-4
    assert module.startswith("transformers_modules."), module


@pytest.mark.slow
def test_cct_on_an_image_folder_cards_exports_and_loads_without_the_package(tmp_path):
    from modeling_amsdff.export import export_onnx

    out = tmp_path / "cct"
    results = train.main(
        [
            "--model_type",
            "cct",
            "--train_dir",
            write_image_folder(tmp_path / "train", 24),
            "--output_dir",
            str(out),
            "--config_overrides",
            "hidden_size=16,num_hidden_layers=2,num_attention_heads=2",
            "--num_train_epochs",
            "1",
            "--per_device_train_batch_size",
            "16",
            *QUICK,
        ]
    )
    assert 0.0 <= results["predict_accuracy"] <= 1.0
    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == "cct" and config["image_size"] == 20 and config["num_channels"] == 3
    assert (out / "modeling_cct.py").is_file() and (out / "image_processing_cct.py").is_file()
    assert not any("amsra" in path.name or "resnet" in path.name for path in out.iterdir())
    card = ModelCard.load(out / "README.md")
    assert "cct" in card.data.tags and "Compact Convolutional Transformer" in card.text
    picture = tmp_path / "photo.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (40, 50, 3), dtype=np.uint8)).save(picture)
    expected = load_for_inference(str(out)).predict([str(picture)])[0]["label"]
    script = textwrap.dedent(
        """
        import json, sys
        from transformers import pipeline
        classifier = pipeline("image-classification", model=sys.argv[1], trust_remote_code=True, top_k=1)
        print(json.dumps(classifier(sys.argv[2])))
        """
    )
    assert json.loads(run_without_package(script, [str(out), str(picture)], tmp_path))[0]["label"] == expected
    report = export_onnx(str(out), str(tmp_path / "cct-onnx"))
    assert report["max_abs_difference"] <= 1e-4


def write_image_folder(root, per_class: int, mode: str = "RGB", size: int = 20, seed: int = 0) -> str:
    """Two classes a model can tell apart: bright-left and bright-right images, as PNG files in class folders."""
    rng = np.random.default_rng(seed)
    for label, side in (("left", 0), ("right", 1)):
        os.makedirs(root / label, exist_ok=True)
        for i in range(per_class):
            array = rng.integers(0, 60, (size, size, 3), dtype=np.uint8)
            half = slice(0, size // 2) if side == 0 else slice(size // 2, size)
            array[:, half] += 150
            Image.fromarray(array).convert(mode).save(root / label / f"{i}.png")
    return str(root)


def test_resnet18_on_an_image_folder(tmp_path, monkeypatch):
    train_dir = write_image_folder(tmp_path / "train", 24)
    validation_dir = write_image_folder(tmp_path / "val", 6, seed=1)
    out = tmp_path / "resnet"
    layouts = []

    def spy(model, *args, **kwargs):  # the model as the Trainer gets it
        convolutions = [p for p in model.parameters() if p.dim() == 4 and p.shape[1] > 1]
        layouts.append({p.is_contiguous(memory_format=torch.channels_last) for p in convolutions})
        return make_trainer(model, *args, **kwargs)

    make_trainer = runner.make_trainer
    monkeypatch.setattr(runner, "make_trainer", spy)
    results = train.main(
        [
            "--model_type",
            "resnet18",
            "--train_dir",
            train_dir,
            "--validation_dir",
            validation_dir,
            "--output_dir",
            str(out),
            "--config_overrides",
            TINY_RESNET,
            "--num_train_epochs",
            "1",
            "--per_device_train_batch_size",
            "16",
            "--learning_rate",
            "0.05",
            "--no_horizontal_flip",
            "--channels_last",
            *QUICK,
        ]
    )
    assert layouts == [{True}]  # every convolution weight trained in channels_last
    assert 0.0 <= results["predict_accuracy"] <= 1.0 and results["predict_samples"] > 0  # test cut from train
    config = json.loads((out / "config.json").read_text())
    assert config["model_type"] == "cifar_resnet" and config["num_channels"] == 3
    assert sorted(config["id2label"].values()) == ["left", "right"]
    args = torch.load(out / "training_args.bin", weights_only=False)
    assert args.learning_rate == 0.05 and args.label_smoothing_factor == 0.1  # flag kept, recipe for the rest
    default = train_image.parse_image_arguments(["--model_type", "resnet18", "--output_dir", "x"])[3]
    assert args.channels_last and not default.channels_last
    assert (out / "modeling_cifar_resnet.py").is_file() and (out / "image_processing_cifar_resnet.py").is_file()
    assert not any("amsra" in path.name for path in out.iterdir())  # nothing of AMSRA-Net in a ResNet repo
    card = ModelCard.load(out / "README.md")
    assert "resnet" in card.data.tags and '"horizontal_flip": false' in card.text
    assert "augmentation of the training batches:\n  none" in card.text  # no crop by default, no flip asked for
    with open(out / "predictions.csv") as handle:  # the test images cut from train_dir, named by file
        rows = list(csv.DictReader(handle))
    assert len(rows) == results["predict_samples"] and set(rows[0]) == {
        "index",
        "input",
        "label",
        "predicted",
        "probability",
        "correct",
    }
    assert all(row["input"].startswith(train_dir) and row["input"].endswith(".png") for row in rows)
    assert all(row["input"].split("/")[-2] == row["label"] for row in rows)  # the class folder is the label
    accuracy = sum(row["correct"] == "True" for row in rows) / len(rows)
    assert accuracy == pytest.approx(results["predict_accuracy"])


def test_channels_last_is_refused_where_onednn_corrupts_memory():
    """oneDNN's channels_last backward of a strided 1x1 convolution with fewer than 16 input channels crashes on the
    CPU (oneDNN issue 6035); a model with one is refused by --channels_last there, with the layer named."""
    from modeling_amsdff import CifarResNetConfig, CifarResNetForImageClassification

    narrow = CifarResNetForImageClassification(CifarResNetConfig(embedding_size=8, hidden_sizes=(8, 16, 16, 16)))
    with pytest.raises(ValueError, match=r"shortcut.*8 input channels.*oneDNN"):
        train_image.in_memory_format(narrow, True, torch.device("cpu"))
    assert train_image.in_memory_format(narrow, False, torch.device("cpu")) is narrow  # default layout: untouched
    wide = CifarResNetForImageClassification(CifarResNetConfig(embedding_size=16, hidden_sizes=(16, 16, 16, 16)))
    wide = train_image.in_memory_format(wide, True, torch.device("cpu"))
    assert all(p.is_contiguous(memory_format=torch.channels_last) for p in wide.parameters() if p.dim() == 4)


@pytest.mark.parametrize(
    "flags,expected",
    [
        ([], None),
        (["--horizontal_flip"], True),
        (["--horizontal_flip", "false"], False),
        (["--no_horizontal_flip"], False),
    ],
)
def test_horizontal_flip_is_decided_from_the_images_unless_a_flag_says(flags, expected):
    data_args = train_image.parse_image_arguments(["--model_type", "resnet18", "--output_dir", "x", *flags])[1]
    assert data_args.horizontal_flip is expected  # None: on for colour images, off for greyscale (train_image.main)
    assert data_args.random_crop_padding == 0  # the crop is opt-in: it costs short runs accuracy


def test_random_crop_is_opt_in():
    argv = ["--model_type", "amsra_net", "--output_dir", "x", "--random_crop_padding", "4"]
    assert train_image.parse_image_arguments(argv)[1].random_crop_padding == 4


@pytest.mark.parametrize("from_json", [False, True])
def test_recipe_defaults_give_way_to_flags(from_json, tmp_path):
    flags = {"model_type": "amsra_net", "output_dir": "x", "optim": "adamw_torch", "learning_rate": 0.001}
    if from_json:
        (tmp_path / "args.json").write_text(json.dumps(flags))
        argv = [str(tmp_path / "args.json")]
    else:
        argv = [arg for name, value in flags.items() for arg in (f"--{name}", str(value))]
    args = train_image.parse_image_arguments(argv)[3]
    assert args.optim.value == "adamw_torch" and args.learning_rate == 0.001
    assert args.lr_scheduler_type.value == "cosine" and args.per_device_train_batch_size == 64
    assert args.warmup_steps == 0.05 and args.weight_decay == 0.05
    assert args.label_smoothing_factor == 0.0  # AMSRA-Net smooths in its own loss
    resnet = train_image.parse_image_arguments(["--model_type", "resnet18", "--output_dir", "x"])[3]
    assert (
        resnet.label_smoothing_factor == 0.1 and resnet.optim.value == "adamw_torch" and resnet.learning_rate == 4e-3
    )
    sgd = ["--model_type", "resnet18", "--output_dir", "x", "--optim", "sgd", "--learning_rate", "0.1"]
    assert train_image.parse_image_arguments(sgd)[3].optim.value == "sgd"
    smoothed = ["--model_type", "resnet18", "--output_dir", "x", "--label_smoothing_factor", "0"]
    assert train_image.parse_image_arguments(smoothed)[3].label_smoothing_factor == 0.0
    # CCT's own learning rate when none is given (the recipe's leaves it near chance); a flag still wins.
    cct = ["--model_type", "cct", "--output_dir", "x"]
    assert train_image.parse_image_arguments(cct)[3].learning_rate == 1e-3
    assert train_image.parse_image_arguments([*cct, "--learning_rate", "4e-3"])[3].learning_rate == 4e-3


def test_augmentation_crops_and_flips_training_batches():
    images = torch.arange(2 * 1 * 6 * 6, dtype=torch.float32).reshape(2, 1, 6, 6)
    features = [{"pixel_values": image, "labels": i} for i, image in enumerate(images)]
    identity = ImageAugmentationCollator(padding=0, horizontal_flip=False)(features)
    assert torch.equal(identity["pixel_values"], images) and identity["labels"].tolist() == [0, 1]

    torch.manual_seed(0)
    seen_flip = seen_shift = False
    collator = ImageAugmentationCollator(padding=2, horizontal_flip=True)
    for _ in range(20):
        batch = collator(features)["pixel_values"]
        assert batch.shape == images.shape
        for original, augmented in zip(images, batch):
            candidates = [original, original.flip(-1)]
            # Every output is a shifted window of the zero-padded (possibly flipped) image.
            matches = [
                (dr, dc, flipped)
                for flipped, source in enumerate(candidates)
                for dr in range(5)
                for dc in range(5)
                if torch.equal(torch.nn.functional.pad(source, (2, 2, 2, 2))[:, dr : dr + 6, dc : dc + 6], augmented)
            ]
            assert matches, "augmented image is not a crop of the padded image"
            seen_flip |= any(m[2] for m in matches) and not any(not m[2] for m in matches)
            seen_shift |= all((m[0], m[1]) != (2, 2) for m in matches)
    assert seen_flip and seen_shift
    with pytest.raises(ValueError, match="padding"):
        ImageAugmentationCollator(padding=-1)
    assert collator.describe() == "random crop after 2-pixel black padding, then horizontal flip with probability 0.5"
    assert ImageAugmentationCollator(padding=0, horizontal_flip=False).describe() == "none"


def image_dataset(arrays, mode):
    images = [Image.fromarray(a).convert(mode) for a in arrays]
    return Dataset.from_dict({"image": images}, features=Features({"image": ImageFeature()}))


def test_channel_statistics_and_geometry_of_known_images():
    black = np.zeros((10, 12), dtype=np.uint8)
    white = np.full((10, 12), 255, dtype=np.uint8)
    dataset = image_dataset([black, white], "L")
    mean, std = channel_statistics(dataset, "image", 1, 8)
    assert mean == [0.5] and std == [0.5]
    assert infer_image_geometry(dataset, "image") == (1, 10)  # greyscale, smallest side
    colour = image_dataset([np.zeros((100, 120, 3), dtype=np.uint8)] * 2, "RGB")
    assert infer_image_geometry(colour, "image") == (3, 64)  # capped: attention is quadratic in pixels
    with pytest.raises(DataError, match="constant"):
        channel_statistics(colour, "image", 3, 8)


def test_corrupt_image_file_is_named(tmp_path, capsys):
    train_dir = write_image_folder(tmp_path / "train", 4)
    broken = tmp_path / "train" / "left" / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"not really a png" * 4)
    argv = [
        "--model_type",
        "amsra_net",
        "--train_dir",
        train_dir,
        "--output_dir",
        str(tmp_path / "o"),
        "--config_overrides",
        TINY_AMSRA,
        *QUICK,
    ]
    stderr = command_line_error(train.main, argv, capsys)
    assert "broken.png" in stderr and "cannot be read" in stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["--image_column_name", "photo"], "No image column 'photo'"),
        (["--train_dir", "/nonexistent/folder"], "does not exist"),
        (["--token_masking"], "--token_masking applies to the text models"),
        (["--do_predict"], "would evaluate a new model whose head was never trained"),
        (["--config_overrides", "num_channels=2"], "num_channels must be 1 .greyscale. or 3"),
        (["--config_overrides", "msfd_groups=3"], "msfd_groups"),
        (["--train_file", "x.csv"], "not \\*_file"),
    ],
)
def test_bad_image_arguments_give_clear_errors(args, message, tmp_path):
    train_dir = write_image_folder(tmp_path / "train", 3)
    if "--train_dir" not in args:
        args = ["--train_dir", train_dir, *args]
    with pytest.raises((DataError, ValueError), match=message):
        train.main(["--model_type", "amsra_net", "--output_dir", str(tmp_path / "o"), *QUICK, *args])


def test_a_class_folder_only_validation_has_is_refused(tmp_path):
    train_dir = write_image_folder(tmp_path / "train", 4)
    validation_dir = write_image_folder(tmp_path / "val", 2, seed=1)
    os.makedirs(tmp_path / "val" / "up")
    Image.fromarray(np.zeros((20, 20, 3), dtype=np.uint8)).save(tmp_path / "val" / "up" / "0.png")
    with pytest.raises(DataError, match=r"Class folder\(s\) \['up'\] of --validation_dir .* are not in --train_dir"):
        folders = ["--train_dir", train_dir, "--validation_dir", validation_dir]
        train.main(["--model_type", "amsra_net", *folders, "--output_dir", str(tmp_path / "o"), *QUICK])

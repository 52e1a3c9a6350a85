"""AMSRA-Net: shapes at the two data sets' sizes, ablations, parameter budget, bad input, image processor. (The
pipeline without this package: tests/test_train_image.py, on a trained model.)"""

import os

import numpy as np
import pytest
import torch
from transformers import AutoImageProcessor, AutoModel, AutoModelForImageClassification

from modeling_amsdff import (
    AmsraNetConfig,
    AmsraNetForImageClassification,
    AmsraNetModel,
    CifarResNetConfig,
    CifarResNetForImageClassification,
)
from modeling_amsdff.modeling_amsra_net import AmsraNetFeatureDecoupler, AmsraNetGatedSelfAttention

from model_cases import image_inputs, tiny_amsra_config


def resnet18_parameters(num_channels: int = 3) -> int:
    model = CifarResNetForImageClassification(CifarResNetConfig(num_labels=10, num_channels=num_channels))
    return sum(p.numel() for p in model.parameters())


def test_resnet18_baseline_is_the_cifar_variant():
    assert resnet18_parameters() == 11_173_962  # the ResNet-18-for-CIFAR count of the literature (3x3 stem)
    model = CifarResNetForImageClassification(CifarResNetConfig(num_labels=10)).eval()
    with torch.no_grad():
        states = model(pixel_values=torch.randn(2, 3, 32, 32), output_hidden_states=True).hidden_states
    assert states[0].shape[-1] == 32  # no stride-2 stem, no max-pool: the first stage sees 32x32


@pytest.mark.parametrize("channels,size", [(1, 28), (3, 32)])
def test_default_model_at_fashion_mnist_and_cifar_sizes(channels, size):
    config = AmsraNetConfig(num_channels=channels, image_size=size, num_labels=10)
    model = AmsraNetForImageClassification(config).eval()
    with torch.no_grad():
        output = model(pixel_values=torch.randn(2, channels, size, size), output_hidden_states=True)
    assert output.logits.shape == (2, 10) and torch.isfinite(output.logits).all()
    # stem + four stages; stages 2-4 halve the resolution
    assert [tuple(h.shape[1:]) for h in output.hidden_states] == [
        (64, size, size),
        (64, size, size),
        (128, (size + 1) // 2, (size + 1) // 2),
        (256, (size + 3) // 4, (size + 3) // 4),
        (512, (size + 7) // 8, (size + 7) // 8),
    ]


@pytest.mark.parametrize("ablation", [{}, {"use_lgsa": False}, {"use_multi_scale": False}])
def test_fewer_parameters_than_resnet18(ablation):
    model = AmsraNetForImageClassification(AmsraNetConfig(num_labels=10, **ablation))
    assert sum(p.numel() for p in model.parameters()) < resnet18_parameters()


def test_ablation_switches_change_the_module_tree():
    full = AmsraNetModel(tiny_amsra_config())
    no_lgsa = AmsraNetModel(tiny_amsra_config(use_lgsa=False))
    single = AmsraNetModel(tiny_amsra_config(use_multi_scale=False))
    ungated = AmsraNetModel(tiny_amsra_config(use_lgsa_gate=False))
    count = lambda model, kind: sum(isinstance(m, kind) for m in model.modules())  # noqa: E731
    assert count(full, AmsraNetGatedSelfAttention) == 4 and count(no_lgsa, AmsraNetGatedSelfAttention) == 0

    def dilations(model):
        return {
            branch[0].dilation[0]
            for m in model.modules()
            if isinstance(m, AmsraNetFeatureDecoupler)
            for branch in m.branches
        }

    assert dilations(full) == {1, 2} and dilations(single) == {1}
    assert sum(p.numel() for p in single.parameters()) == sum(p.numel() for p in full.parameters())
    assert all(m.gate is None for m in ungated.modules() if isinstance(m, AmsraNetGatedSelfAttention))


@pytest.mark.parametrize("zero_init", [True, False])
def test_residual_units_of_one_or_two_decouplers(zero_init):
    from modeling_amsdff.modeling_amsra_net import AmsraNetResidualUnit

    two = AmsraNetModel(tiny_amsra_config(decouplers_per_unit=2, zero_init_residual=zero_init))
    one = AmsraNetModel(tiny_amsra_config(decouplers_per_unit=1, zero_init_residual=zero_init))
    units = lambda model: [m for m in model.modules() if isinstance(m, AmsraNetResidualUnit)]  # noqa: E731
    assert all(u.decoupler2 is not None for u in units(two)) and all(u.decoupler2 is None for u in units(one))
    assert sum(p.numel() for p in one.parameters()) < sum(p.numel() for p in two.parameters())
    features = torch.randn(2, 8, 6, 6)
    for unit in (units(one)[0].eval(), units(two)[0].eval()):  # stem width 8 -> stage 1 width 8: no projection
        last = (unit.decoupler2 or unit.decoupler1).fuse[1]
        assert bool((last.weight == 0).all()) is zero_init
        if zero_init:  # the unit starts as its shortcut (then the ReLU)
            torch.testing.assert_close(unit(features), torch.relu(features))
    with pytest.raises(ValueError, match="`decouplers_per_unit`"):
        tiny_amsra_config(decouplers_per_unit=3)


@pytest.mark.parametrize(
    "ablation",
    [{}, {"use_lgsa": False}, {"use_multi_scale": False}, {"use_lgsa_gate": False}, {"decouplers_per_unit": 1}],
)
def test_every_variant_trains(ablation):
    torch.manual_seed(0)
    model = AmsraNetForImageClassification(tiny_amsra_config(**ablation)).train()
    inputs, labels = image_inputs(batch=8), torch.randint(0, 3, (8,))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(8):
        loss = model(**inputs, labels=labels).loss
        losses.append(loss.item())
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("key_value_size", [8, None])
def test_attention_engine_starts_as_identity(key_value_size):
    block = AmsraNetGatedSelfAttention(16, tiny_amsra_config(lgsa_key_value_size=key_value_size))
    features = torch.randn(2, 16, 20, 20)
    torch.testing.assert_close(block(features), features)


def reference_attention(block: AmsraNetGatedSelfAttention, features: torch.Tensor, pool_to: int | None):
    """The engine written out step by step: keys and values from the map average-pooled to `pool_to` per side."""
    bs, channels, height, width = features.shape
    context = features if pool_to is None else torch.nn.functional.adaptive_avg_pool2d(features, pool_to)
    query = block.query(features).flatten(2).transpose(1, 2)  # (bs, HW, C/r)
    key = block.key(context).flatten(2).transpose(1, 2)  # (bs, hw, C/r)
    value = block.value(context).flatten(2).transpose(1, 2)  # (bs, hw, C)
    weights = (query @ key.transpose(1, 2) / query.shape[-1] ** 0.5).softmax(-1)  # (bs, HW, hw)
    attended = (weights @ value).transpose(1, 2).reshape(bs, channels, height, width)
    gate = torch.sigmoid(block.gate(features)) if block.gate is not None else 1.0
    return features + block.gamma * gate * attended


@pytest.mark.parametrize("gated", [True, False])
def test_lightweight_attention_pools_keys_and_values_only_on_large_maps(gated):
    torch.manual_seed(0)
    config = tiny_amsra_config(lgsa_key_value_size=4, use_lgsa_gate=gated)
    block = AmsraNetGatedSelfAttention(16, config)
    torch.nn.init.normal_(block.gamma)  # trained: the attention path is on
    large, small = torch.randn(2, 16, 12, 12), torch.randn(2, 16, 4, 4)
    torch.testing.assert_close(block(large), reference_attention(block, large, 4))
    torch.testing.assert_close(block(small), reference_attention(block, small, None))  # already small enough
    full = AmsraNetGatedSelfAttention(16, tiny_amsra_config(lgsa_key_value_size=None, use_lgsa_gate=gated))
    full.load_state_dict(block.state_dict())  # the same parameters: the size is not a weight
    torch.testing.assert_close(full(large), reference_attention(block, large, None))
    # every parameter learns, gamma included
    block(large).square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in block.parameters())


def test_configs_saved_before_the_lightweight_attention_load_with_full_attention(tmp_path):
    config = tiny_amsra_config()
    assert config.lgsa_key_value_size == 8 == AmsraNetConfig().lgsa_key_value_size
    config.save_pretrained(tmp_path)
    assert AmsraNetConfig.from_pretrained(tmp_path).lgsa_key_value_size == 8
    saved = config.to_dict()
    for key in ("lgsa_key_value_size", "decouplers_per_unit", "zero_init_residual", "modeling_amsdff_version"):
        del saved[key]  # what versions before 0.3 wrote
    old = AmsraNetConfig.from_dict(saved)
    assert old.lgsa_key_value_size is None and old.decouplers_per_unit == 2 and old.zero_init_last_norm()
    new = AmsraNetConfig()  # since 0.3: one MSFD per unit, no zero start (it slows AdamW down), pooled keys/values
    assert new.decouplers_per_unit == 1 and not new.zero_init_last_norm()
    assert AmsraNetConfig(decouplers_per_unit=2).zero_init_last_norm()
    with pytest.raises(ValueError, match="`lgsa_key_value_size`"):
        tiny_amsra_config(lgsa_key_value_size=0)


def test_channels_last_gives_the_same_outputs_and_gradients():
    torch.manual_seed(0)
    model = AmsraNetForImageClassification(tiny_amsra_config(num_labels=3))
    for module in model.modules():  # a trained model: every residual branch and attention engine is on
        if isinstance(module, torch.nn.BatchNorm2d):
            torch.nn.init.uniform_(module.weight, 0.5, 1.5)
        if isinstance(module, AmsraNetGatedSelfAttention):
            torch.nn.init.constant_(module.gamma, 0.5)
    pixels, labels = torch.randn(4, 3, 16, 16), torch.tensor([0, 1, 2, 0])
    default = model(pixel_values=pixels, labels=labels)
    default.loss.backward()
    grads = {name: p.grad.clone() for name, p in model.named_parameters()}
    model.zero_grad()
    model = model.to(memory_format=torch.channels_last)
    last = model(pixel_values=pixels.contiguous(memory_format=torch.channels_last), labels=labels)
    last.loss.backward()
    torch.testing.assert_close(last.logits, default.logits, atol=1e-5, rtol=1e-4)
    # float32 sums in another order: close relative to each gradient's size (the keys' bias has none at all)
    for name, p in model.named_parameters():
        tolerance = max(1e-3 * grads[name].abs().max().item(), 1e-6)
        torch.testing.assert_close(p.grad, grads[name], atol=tolerance, rtol=1e-3, msg=f"gradient of {name}")


def test_bf16_autocast_trains_and_agrees_with_float32():
    """The mixed-precision path of `--bf16` (autocast; here on the CPU, the same code runs on GPUs): finite loss and
    gradients in float32 parameters, logits close to the float32 ones."""
    torch.manual_seed(0)
    model = AmsraNetForImageClassification(tiny_amsra_config(num_labels=3))
    for module in model.modules():
        if isinstance(module, AmsraNetGatedSelfAttention):
            torch.nn.init.constant_(module.gamma, 0.5)  # the attention engines on, as after training
    pixels, labels = torch.randn(4, 3, 16, 16), torch.tensor([0, 1, 2, 0])
    reference = model(pixel_values=pixels, labels=labels)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        mixed = model(pixel_values=pixels, labels=labels)
    assert mixed.logits.dtype == torch.bfloat16 and torch.isfinite(mixed.loss)
    mixed.loss.backward()
    assert all(
        p.grad is None or (p.grad.dtype == torch.float32 and torch.isfinite(p.grad).all()) for p in model.parameters()
    )
    torch.testing.assert_close(mixed.logits.float(), reference.logits, atol=0.1, rtol=0.05)


def test_label_smoothing_is_the_default_loss():
    model = AmsraNetForImageClassification(tiny_amsra_config()).eval()
    inputs, labels = image_inputs(batch=4), torch.tensor([0, 1, 2, 0])
    with torch.no_grad():
        logits = model(**inputs).logits
        loss = model(**inputs, labels=labels).loss
    torch.testing.assert_close(loss, torch.nn.functional.cross_entropy(logits, labels, label_smoothing=0.1))


@pytest.mark.parametrize("regression_loss", ["mse", "huber"])
def test_regression_uses_the_configured_regression_loss(regression_loss):
    # Every family that computes its own loss defines every loss argument: no silent default for a missing one.
    config = tiny_amsra_config(
        num_labels=2, problem_type="regression", regression_loss=regression_loss, huber_delta=0.5
    )
    model = AmsraNetForImageClassification(config).eval()
    inputs, targets = image_inputs(batch=4), torch.randn(4, 2) * 3
    with torch.no_grad():
        logits = model(**inputs).logits
        output = model(**inputs, labels=targets)
    if regression_loss == "huber":
        expected = torch.nn.functional.huber_loss(logits, targets, delta=0.5)
    else:
        expected = torch.nn.functional.mse_loss(logits, targets)
    torch.testing.assert_close(output.loss, expected)
    assert set(output.loss_components) == {regression_loss}
    with pytest.raises(ValueError, match="`regression_loss` must be one of"):
        tiny_amsra_config(regression_loss="l1")


def test_bad_input_is_named():
    model = AmsraNetForImageClassification(tiny_amsra_config(num_channels=1)).eval()
    with pytest.raises(ValueError, match=r"expects pixel_values of shape \(batch, 1, height, width\)"):
        model(pixel_values=torch.randn(2, 3, 16, 16))
    with pytest.raises(ValueError, match="at least 8x8"):
        model(pixel_values=torch.randn(2, 1, 4, 4))
    with pytest.raises(ValueError, match="`msfd_groups`"):
        tiny_amsra_config(msfd_groups=3)
    with pytest.raises(ValueError, match="`msfd_kernel_sizes`"):
        tiny_amsra_config(msfd_kernel_sizes=(3, 4))
    with pytest.raises(ValueError, match="`image_size`"):
        tiny_amsra_config(image_size=4)


def test_auto_classes_resolve():
    config = tiny_amsra_config()
    assert type(AutoModel.from_config(config)) is AmsraNetModel
    assert type(AutoModelForImageClassification.from_config(config)) is AmsraNetForImageClassification


def test_image_processor_converts_channels_and_round_trips(tmp_path):
    from PIL import Image

    from modeling_amsdff import AmsraNetImageProcessor

    grey = Image.fromarray((np.random.default_rng(0).random((28, 28)) * 255).astype("uint8"), "L")
    photo = Image.fromarray((np.random.default_rng(1).random((40, 30, 3)) * 255).astype("uint8"), "RGB")
    processor = AmsraNetImageProcessor(
        num_channels=1, size={"height": 28, "width": 28}, image_mean=[0.286], image_std=[0.353]
    )
    batch = processor([grey, photo], return_tensors="pt")["pixel_values"]
    assert batch.shape == (2, 1, 28, 28)
    expected = (np.asarray(grey, dtype=np.float32) / 255 - 0.286) / 0.353
    np.testing.assert_allclose(batch[0, 0].numpy(), expected, rtol=1e-5, atol=1e-5)
    assert AmsraNetImageProcessor()([grey], return_tensors="pt")["pixel_values"].shape == (1, 3, 32, 32)
    processor.save_pretrained(tmp_path)
    reloaded = AutoImageProcessor.from_pretrained(tmp_path)
    assert type(reloaded) is AmsraNetImageProcessor and reloaded.num_channels == 1
    torch.testing.assert_close(reloaded([grey, photo], return_tensors="pt")["pixel_values"], batch)


def test_offline_fashion_mnist_loads_with_named_classes(fashion_mnist_available):
    from modeling_amsdff.offline_data import FASHION_MNIST_CLASSES, load_fashion_mnist

    splits = load_fashion_mnist(seed=42)
    assert {name: len(split) for name, split in splits.items()} == {"train": 54000, "validation": 6000, "test": 10000}
    assert splits["train"].features["label"].names == list(FASHION_MNIST_CLASSES)
    example = splits["test"][0]
    assert example["image"].mode == "L" and example["image"].size == (28, 28)
    counts = np.bincount(splits["validation"]["label"], minlength=10)
    assert counts.min() == counts.max() == 600  # stratified: the training set is balanced


def test_corrupt_or_missing_fashion_mnist_files_are_named(fashion_mnist_available, tmp_path, monkeypatch):
    import gzip
    import shutil

    from modeling_amsdff.offline_data import DataError, load_fashion_mnist

    for name in ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(f"{fashion_mnist_available}/{name}", tmp_path / name)
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path))
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte.gz is missing: install them with `apt-get install"):
        load_fashion_mnist()
    with gzip.open(f"{fashion_mnist_available}/t10k-images-idx3-ubyte.gz") as source:
        head = source.read(16 + 28 * 28 * 5)  # the header and five of the 10,000 images
    with gzip.open(tmp_path / "t10k-images-idx3-ubyte.gz", "wb") as target:
        target.write(head)
    with pytest.raises(DataError, match="truncated or corrupt"):
        load_fashion_mnist()
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(b"not a gzip file")
    with pytest.raises(DataError, match="not a readable gzip file"):
        load_fashion_mnist()


def write_idx(path, array) -> None:
    """A gzipped IDX file of unsigned bytes (the MNIST format)."""
    import gzip

    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(size).to_bytes(4, "big") for size in array.shape)
    with gzip.open(path, "wb") as handle:
        handle.write(header + array.astype(np.uint8).tobytes())


def test_fashion_mnist_is_read_once_into_the_datasets_cache(tmp_path, monkeypatch):
    from modeling_amsdff.offline_data import load_fashion_mnist

    rng = np.random.default_rng(0)
    for prefix, count in (("train", 100), ("t10k", 10)):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (count, 28, 28)))
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", np.arange(count) % 10)
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path))
    cache = tmp_path / "cache"

    def cached_files(splits) -> dict[str, float]:
        return {f["filename"]: os.path.getmtime(f["filename"]) for s in splits.values() for f in s.cache_files}

    first = load_fashion_mnist(cache_dir=str(cache))
    assert {name: len(split) for name, split in first.items()} == {"train": 90, "validation": 10, "test": 10}
    files = cached_files(first)
    assert files and all(name.startswith(str(cache)) for name in files)  # memory-mapped Arrow files, not memory
    second = load_fashion_mnist(cache_dir=str(cache))  # a second run, or the second process of a run
    assert cached_files(second) == files  # the same files, not written again
    assert second["test"]["label"] == first["test"]["label"] and second["train"]["label"] == first["train"]["label"]

    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", (np.arange(10) + 1) % 10)  # the data changed: read again
    third = load_fashion_mnist(cache_dir=str(cache))
    assert third["test"]["label"] == [(i + 1) % 10 for i in range(10)]

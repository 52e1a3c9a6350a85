"""Pushing to the Hub through the real `huggingface_hub` client, against the small Hub-compatible server of
hub_server.py on loopback (HF_ENDPOINT): `train.py --push_to_hub` and the `amsdff-push` command for a text
classifier, a regression model and an image model; then, in a fresh process without this package, each repository is
loaded by its id with `trust_remote_code=True` and its card's `model-index` read back."""

import json
import os
import shutil
import subprocess
import sys

import pytest
import torch
from hub_server import HubTestServer
from huggingface_hub import ModelCard
from transformers import (
    AutoImageProcessor,
    AutoModelForImageClassification,
    AutoModelForSequenceClassification,
    AutoTokenizer,
)

from modeling_amsdff.hub import HubPushError

from helpers import FAST, PLOTS, run_without_package


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from test_train import SENTENCES  # noqa: E402
from test_train_image import QUICK, TINY_AMSRA, write_image_folder  # noqa: E402

import train  # noqa: E402


TOKEN = "hf_local_test_token"
TEXT = "a warm and funny film"

# argv: repo ids (text classifier, regressor, image model), an image path and a text; prints each model's outputs on
# the text or the image, the class it was loaded as, and the card's evaluation results, all loaded by repo id.
LOAD_FROM_HUB = """
import json, sys, torch
from huggingface_hub import ModelCard
from PIL import Image
from transformers import (AutoImageProcessor, AutoModelForImageClassification, AutoModelForSequenceClassification,
                          AutoTokenizer)
text_repo, regression_repo, image_repo, image_path, TEXT = sys.argv[1:6]
report = {}
for repo in (text_repo, regression_repo):
    tokenizer = AutoTokenizer.from_pretrained(repo, trust_remote_code=True)
    model = AutoModelForSequenceClassification.from_pretrained(repo, trust_remote_code=True).eval()
    with torch.no_grad():
        logits = model(**tokenizer([TEXT], return_tensors="pt")).logits
    report[repo] = {"outputs": logits.tolist(), "module": type(model).__module__}
processor = AutoImageProcessor.from_pretrained(image_repo, trust_remote_code=True)
model = AutoModelForImageClassification.from_pretrained(image_repo, trust_remote_code=True).eval()
with torch.no_grad():
    logits = model(**processor(Image.open(image_path), return_tensors="pt")).logits
report[image_repo] = {"outputs": logits.tolist(), "module": type(model).__module__}
for repo in report:
    card = ModelCard.load(repo)
    report[repo]["eval_results"] = [[r.metric_type, r.metric_value, r.dataset_split] for r in card.data.eval_results]
    report[repo]["tags"] = card.data.tags
print(json.dumps(report))
"""


@pytest.fixture
def hub():
    with HubTestServer(token=TOKEN) as server:
        yield server


@pytest.fixture
def online(hub, monkeypatch):
    """This process talks to the test Hub (it is offline otherwise, conftest.py): `push.main` runs in it, quickly."""
    from huggingface_hub import constants

    from modeling_amsdff.push import main as push_main

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", hub.url)
    return lambda *args: push_main([*args, "--token", TOKEN])


def hub_env(server, tmp_path, token: str = TOKEN) -> dict:
    # A real client on a real (local) endpoint: online mode, its own cache, the token from HF_TOKEN.
    return {
        "HF_ENDPOINT": server.url,
        "HF_TOKEN": token,
        "HF_HUB_OFFLINE": "0",
        "HF_HOME": str(tmp_path / "hf_home"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
    }


def run_command(args, server, tmp_path, token: str = TOKEN):
    env = {**os.environ, **hub_env(server, tmp_path, token)}
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)


def eval_results(folder) -> list:
    card = ModelCard.load(folder / "README.md")
    return [[r.metric_type, r.metric_value, r.dataset_split] for r in card.data.eval_results]


@pytest.mark.slow
def test_push_every_family_and_load_it_back_without_the_package(
    hub, online, tiny_encoder, tmp_path, capsys, monkeypatch
):
    classification = tmp_path / "classification.csv"
    classification.write_text("text,label\n" + "\n".join(f'"{s}",{i % 2}' for i, s in enumerate(SENTENCES * 4)))
    scores = tmp_path / "scores.csv"
    scores.write_text(
        "text,valence,arousal\n" + "\n".join(f'"{s}",{i * 0.3},{1 - i * 0.1}' for i, s in enumerate(SENTENCES * 4))
    )

    # 1. train.py --push_to_hub: trains, writes the card, pushes the finished folder (in this process, the token from
    # HF_TOKEN; the LoRA test below runs train.py --push_to_hub in a process of its own).
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    text_dir = tmp_path / "text"
    train.main(
        [
            "--model_name_or_path",
            tiny_encoder,
            "--train_file",
            str(classification),
            "--output_dir",
            str(text_dir),
            "--save_strategy",
            "steps",
            "--save_steps",
            "2",
            "--push_to_hub",
            "--hub_model_id",
            "test-org/tiny-amsdff",
            *[a for a in FAST if a not in ("--save_strategy", "no")],
        ]
    )
    assert any(p.name.startswith("checkpoint-") for p in text_dir.iterdir())  # written locally ...
    files = hub.repos["test-org/tiny-amsdff"].files
    assert not any(name.startswith("checkpoint-") for name in files)  # ... but not pushed
    assert {
        "config.json",
        "model.safetensors",
        "modeling_amsdff.py",
        "configuration_amsdff.py",
        "losses.py",
        "tokenizer.json",
        "README.md",
    } <= set(files)
    assert files["model.safetensors"] == (text_dir / "model.safetensors").read_bytes()

    # 2. amsdff-push (python -m modeling_amsdff.push) for a saved regression model and an image model; a name
    # without an organisation goes to the token's user.
    regression_dir = tmp_path / "regression"
    train.main(
        [
            "--model_type",
            "gated_regression",
            "--model_name_or_path",
            tiny_encoder,
            "--train_file",
            str(scores),
            "--label_column_names",
            "valence,arousal",
            "--output_dir",
            str(regression_dir),
            *FAST,
        ]
    )
    image_dir = tmp_path / "image"
    images = write_image_folder(tmp_path / "images", 6)
    train.main(
        [
            "--model_type",
            "amsra_net",
            "--train_dir",
            images,
            "--output_dir",
            str(image_dir),
            "--config_overrides",
            TINY_AMSRA,
            "--num_train_epochs",
            "1",
            *QUICK,
        ]
    )
    result = run_command(["-m", "modeling_amsdff.push", str(regression_dir), "test-org/tiny-gated"], hub, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().startswith(hub.url)
    capsys.readouterr()
    assert online(str(image_dir), "tiny-amsra") == 0  # the same command in this process (one interpreter less)
    assert capsys.readouterr().out.strip().startswith(hub.url)
    pushed_card = hub.repos["test-org/tiny-gated"].files["README.md"].decode()
    assert 'repo = "test-org/tiny-gated"' in pushed_card and str(regression_dir) not in pushed_card  # not the folder
    assert ModelCard(pushed_card).data.model_name == "test-org/tiny-gated"  # model-index names the repository
    assert "test-user/tiny-amsra" in hub.repos

    # 3. A fresh process without the package loads each repository by id, with its processor, and reads its card.
    image_path = os.path.join(images, "left", "0.png")
    repos = ["test-org/tiny-amsdff", "test-org/tiny-gated", "test-user/tiny-amsra"]
    report = json.loads(
        run_without_package(LOAD_FROM_HUB, [*repos, image_path, TEXT], tmp_path, env=hub_env(hub, tmp_path))
        .strip()
        .splitlines()[-1]
    )
    for repo, folder in zip(repos, (text_dir, regression_dir, image_dir)):
        assert report[repo]["module"].startswith("transformers_modules."), report[repo]["module"]
        assert report[repo]["eval_results"] == eval_results(folder) and report[repo]["eval_results"]
        assert "custom_code" in report[repo]["tags"]
        if folder is image_dir:
            from PIL import Image

            model = AutoModelForImageClassification.from_pretrained(folder).eval()
            inputs = AutoImageProcessor.from_pretrained(folder)(Image.open(image_path), return_tensors="pt")
        else:
            model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
            inputs = AutoTokenizer.from_pretrained(folder)([TEXT], return_tensors="pt")
        with torch.no_grad():
            expected = model(**inputs).logits
        torch.testing.assert_close(torch.tensor(report[repo]["outputs"]), expected, rtol=1e-4, atol=1e-5)


def test_pushed_cards_name_the_repository_whatever_the_folder_is_called(
    hub, online, tiny_encoder, tmp_path, monkeypatch
):
    data = tmp_path / "data.csv"
    data.write_text("text,label\n" + "\n".join(f'"{s}",{i % 2}' for i, s in enumerate(SENTENCES * 4)))
    trained = tmp_path / "trained" / "my-model"
    train.main(["--model_name_or_path", tiny_encoder, "--train_file", str(data), "--output_dir", str(trained), *FAST])
    local = ModelCard.load(trained / "README.md")
    moved = tmp_path / "elsewhere" / "nested" / "my-model"  # copied after training: the card names the old path
    shutil.copytree(trained, moved)
    shutil.rmtree(trained)
    before = {path.name: path.read_bytes() for path in moved.iterdir()}
    pushes = [  # (working folder, folder argument, repository): ".", a nested path, a repo id holding the folder name
        (moved, ".", "test-user/dot"),
        (tmp_path, str(moved.relative_to(tmp_path)), "test-user/my-model"),
        (tmp_path, str(moved), "test-org/my-model-my-model"),
    ]
    for cwd, folder, repo_id in pushes:
        monkeypatch.chdir(cwd)
        assert online(folder, repo_id) == 0
        text = hub.repos[repo_id].files["README.md"].decode()
        card = ModelCard(text)
        assert card.data.license == "apache-2.0" and card.data.model_name == repo_id
        assert card.data.tags == local.data.tags and card.data.pipeline_tag == "text-classification"
        assert [(r.metric_type, r.metric_value) for r in card.data.eval_results] == [
            (r.metric_type, r.metric_value) for r in local.data.eval_results
        ]
        assert [line for line in text.splitlines() if line.startswith("repo = ")] == [f'repo = "{repo_id}"']
        assert str(tmp_path) not in text and "/my-model/my-model" not in text.replace(repo_id, "")
        assert card.text.split("## How to use")[0] == local.text.split("## How to use")[0]  # the rest as written
    assert {path.name: path.read_bytes() for path in moved.iterdir()} == before  # nothing local changed


def test_a_second_push_updates_the_repository_to_the_new_folder(hub, online, tiny_encoder, tmp_path, capsys):
    pytest.importorskip("matplotlib", reason="the first run's plots are the files the second run does not have")
    data = tmp_path / "data.csv"
    data.write_text("text,label\n" + "\n".join(f'"{s}",{i % 2}' for i, s in enumerate(SENTENCES * 4)))
    common = ["--model_name_or_path", tiny_encoder, "--train_file", str(data), *FAST]
    first, second = tmp_path / "first", tmp_path / "second"
    train.main([*common, "--output_dir", str(first), *PLOTS])
    train.main([*common, "--output_dir", str(second), "--learning_rate", "1e-2", "--seed", "7"])  # no plots
    for folder in (first, second):
        assert online(str(folder), "test-org/updated") == 0
        if folder is first:
            assert any(name.startswith("plots/") for name in hub.repos["test-org/updated"].files)
    repo = hub.repos["test-org/updated"]
    expected = {name for name in os.listdir(second) if name not in ("amsdff_manifest.json", "predictions.csv")}
    assert set(repo.files) == expected  # the first run's plots are gone from the repository
    assert repo.files["model.safetensors"] == (second / "model.safetensors").read_bytes()
    assert repo.files["model.safetensors"] != (first / "model.safetensors").read_bytes()
    assert len(repo.commits) == 3  # the initial commit, then one per push

    # Weights that changed after train.py wrote the card (here: the first run's, copied in) are not what the card
    # describes: refused before anything is uploaded, until the owner edits the card.
    shutil.copyfile(first / "model.safetensors", second / "model.safetensors")
    assert online(str(second), "test-org/updated") == 2
    assert "changed after train.py wrote its model card (model.safetensors)" in capsys.readouterr().err
    assert len(repo.commits) == 3
    with open(second / "README.md", "a") as card:
        card.write("\nThe weights are the first run's.\n")
    assert online(str(second), "test-org/updated") == 0
    assert repo.files["model.safetensors"] == (first / "model.safetensors").read_bytes()

    # Files the owner put into the run's folder (notes, a copy of the data, a link) are not published unasked.
    (second / "notes.txt").write_text("private notes")
    (second / "data").mkdir()
    (second / "data" / "train.csv").write_text("text,label\nsecret,1\n")
    (second / "link.txt").symlink_to(data)
    assert online(str(second), "test-org/updated") == 2
    error = capsys.readouterr().err
    assert "did not write there: data/train.csv, link.txt, notes.txt" in error and "--include_other_files" in error
    assert len(repo.commits) == 4 and "notes.txt" not in repo.files
    assert online(str(second), "test-org/updated", "--include_other_files") == 0
    assert repo.files["notes.txt"] == b"private notes" and "data/train.csv" in repo.files


def test_a_lora_run_on_a_local_model_publishes_only_the_base_runs_files(
    hub, online, tiny_encoder, tmp_path, capsys, monkeypatch
):
    """A LoRA run that continued a model saved by train.py pushes that folder as `<repo>-lora-base`: the notes the
    owner keeps there are refused, by train.py --push_to_hub (the run's own folder holds only its files) and by
    amsdff-push, until --include_other_files."""
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    data = tmp_path / "data.csv"
    data.write_text("text,label\n" + "\n".join(f'"{s}",{i % 2}' for i, s in enumerate(SENTENCES * 4)))
    base = tmp_path / "base"
    train.main(["--model_name_or_path", tiny_encoder, "--train_file", str(data), "--output_dir", str(base), *FAST])
    (base / "notes.txt").write_text("private notes")
    out = tmp_path / "lora"
    flags = ["--model_name_or_path", str(base), "--train_file", str(data), "--output_dir", str(out), "--use_lora"]
    with pytest.raises(HubPushError, match=r"base of the LoRA adapter.*did not write there: notes.txt"):
        train.main([*flags, "--push_to_hub", "--hub_model_id", "test-org/continued", *FAST])
    assert not hub.repos  # nothing uploaded: the check comes first
    assert json.loads((out / "lora_adapter" / "adapter_config.json").read_text())["base_model_name_or_path"] == str(
        base
    )
    capsys.readouterr()
    assert online(str(out), "test-org/continued") == 2
    assert "did not write there: notes.txt" in capsys.readouterr().err and not hub.repos
    assert online(str(out), "test-org/continued", "--include_other_files") == 0
    assert hub.repos["test-org/continued-lora-base"].files["notes.txt"] == b"private notes"


def test_a_push_deletes_only_what_an_earlier_push_wrote_and_nobody_changed(
    hub, online, tiny_encoder, tmp_path, caplog, capsys, monkeypatch
):
    from huggingface_hub import HfApi

    from modeling_amsdff import AmsdffForSequenceClassification
    from modeling_amsdff import hub as hub_module

    from model_cases import tiny_amsdff_config

    folder = tmp_path / "saved"
    AmsdffForSequenceClassification(tiny_amsdff_config()).save_pretrained(folder)
    AutoTokenizer.from_pretrained(tiny_encoder).save_pretrained(folder)
    (folder / "README.md").write_text("---\nlicense: apache-2.0\ntags: [custom_code]\n---\n# A model\n")
    (folder / "plots").mkdir()
    for name in ("loss.png", "confusion[1].png", "gate.png"):  # "[1]": a name that is also a glob pattern
        (folder / "plots" / name).write_bytes(b"PNG " + name.encode())
    assert online(str(folder), "test-org/shared") == 0
    # The owner works on the repository too: a notebook and an old export of their own, and an edit of a plot.
    api = HfApi(endpoint=hub.url, token=TOKEN)
    api.upload_file(path_or_fileobj=b"{}", path_in_repo="notebooks/eval.ipynb", repo_id="test-org/shared")
    api.upload_file(path_or_fileobj=b"onnx", path_in_repo="confusion[1].png.onnx", repo_id="test-org/shared")
    api.upload_file(path_or_fileobj=b"annotated", path_in_repo="plots/gate.png", repo_id="test-org/shared")
    shutil.rmtree(folder / "plots")  # the next run writes no plots
    with caplog.at_level("WARNING", logger="train"):
        assert online(str(folder), "test-org/shared") == 0
    repo = hub.repos["test-org/shared"]
    assert not {"plots/loss.png", "plots/confusion[1].png"} & set(repo.files)  # the first push's, unchanged: gone
    assert repo.files["notebooks/eval.ipynb"] == b"{}" and repo.files["confusion[1].png.onnx"] == b"onnx"
    assert repo.files["plots/gate.png"] == b"annotated"  # changed after the push: the owner's now
    assert "Kept in test-org/shared: confusion[1].png.onnx, notebooks/eval.ipynb, plots/gate.png." in caplog.text
    assert "Pushed by modeling_amsdff" in repo.descriptions[-1] and repo.descriptions[-2] == ""  # the owner's commit

    # The list of files to delete is made from the head it was read at: a commit in between fails the push.
    stale = hub_module.remote_files_to_delete

    def read_before_another_commit(api, folder, repo_id, revision):
        found = stale(api, folder, repo_id, revision)
        HfApi(endpoint=hub.url, token=TOKEN).upload_file(path_or_fileobj=b"x", path_in_repo="x", repo_id=repo_id)
        return found

    monkeypatch.setattr(hub_module, "remote_files_to_delete", read_before_another_commit)
    assert online(str(folder), "test-org/shared") == 2
    assert "HTTP 412" in (error := capsys.readouterr().err) and "run it again" in error
    assert set(hub.repos["test-org/shared"].files) == set(repo.files)


def test_a_push_without_the_network_says_so_and_changes_nothing(tiny_encoder, tmp_path, capsys, monkeypatch):
    from huggingface_hub import constants

    from modeling_amsdff import AmsdffForSequenceClassification
    from modeling_amsdff.push import main as push_main

    from model_cases import tiny_amsdff_config

    folder = tmp_path / "saved"
    AmsdffForSequenceClassification(tiny_amsdff_config()).save_pretrained(folder)
    AutoTokenizer.from_pretrained(tiny_encoder).save_pretrained(folder)
    (folder / "README.md").write_text("---\nlicense: apache-2.0\ntags: [custom_code]\n---\n# A model\n")
    before = {path.name: path.read_bytes() for path in folder.iterdir()}
    assert push_main([str(folder), "test-org/model"]) == 2  # this process is offline (HF_HUB_OFFLINE=1, conftest.py)
    assert "needs the network, but HF_HUB_OFFLINE is set" in capsys.readouterr().err
    # Online, with no Hub at the endpoint (in this process: the command line's own process is run in the tests above).
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", False)
    monkeypatch.setattr(constants, "ENDPOINT", "http://127.0.0.1:9")
    assert push_main([str(folder), "test-org/model", "--token", TOKEN]) == 2
    assert "on http://127.0.0.1:9 failed: the Hub could not be reached" in capsys.readouterr().err
    assert {path.name: path.read_bytes() for path in folder.iterdir()} == before


def test_push_refuses_incomplete_folders_and_bad_tokens(hub, online, tiny_encoder, tmp_path, capsys):
    from modeling_amsdff import AmsdffForSequenceClassification
    from modeling_amsdff.push import main as push_main

    from model_cases import tiny_amsdff_config

    folder = tmp_path / "saved"
    AmsdffForSequenceClassification(tiny_amsdff_config()).save_pretrained(folder)
    assert online(str(folder), "test-org/incomplete") == 2
    error = capsys.readouterr().err
    assert "missing: a tokenizer" in error and "README.md (the model card)" in error
    assert hub.repos == {}  # checked before anything is created or uploaded

    AutoTokenizer.from_pretrained(tiny_encoder).save_pretrained(folder)
    (folder / "README.md").write_text("---\nlicense: apache-2.0\ntags: [custom_code\n---\n# broken YAML\n")
    assert online(str(folder), "test-org/incomplete") == 2 and "does not parse" in capsys.readouterr().err

    (folder / "README.md").write_text("---\nlicense: apache-2.0\ntags: [custom_code]\n---\n# A model\n")
    assert push_main([str(folder), "test-org/model", "--token", "wrong"]) == 2
    error = capsys.readouterr().err
    assert "HTTP 401" in error and "Check the token" in error
    assert hub.repos == {}

    assert online(str(folder), "test-org/model") == 0
    assert set(hub.repos["test-org/model"].files) >= {"config.json", "README.md", "tokenizer.json"}


def test_push_to_hub_needs_training(tmp_path):
    with pytest.raises(ValueError, match="--push_to_hub uploads the model a run trains"):
        train.main(["--do_eval", "--push_to_hub", "--output_dir", str(tmp_path / "o"), *FAST])
    with pytest.raises(ValueError, match="--hub_strategy checkpoint: train.py pushes the finished output folder once"):
        train.main(["--push_to_hub", "--hub_strategy", "checkpoint", "--output_dir", str(tmp_path / "o"), *FAST])


# argv: the merged repository, the adapter repository, a text. Loads both by id where this package is not installed:
# the merged model, and the adapter through peft's Auto loader (which loads the base the adapter names).
LOAD_LORA_FROM_HUB = """
import json, sys, torch
from peft import AutoPeftModelForSequenceClassification
from transformers import AutoModelForSequenceClassification, AutoTokenizer
merged_repo, adapter_repo, text = sys.argv[1:4]
tokenizer = AutoTokenizer.from_pretrained(adapter_repo, trust_remote_code=True)
inputs = tokenizer([text], return_tensors="pt")
merged = AutoModelForSequenceClassification.from_pretrained(merged_repo, trust_remote_code=True).eval()
adapted = AutoPeftModelForSequenceClassification.from_pretrained(adapter_repo, trust_remote_code=True).eval()
with torch.no_grad():
    difference = (merged(**inputs).logits - adapted(**inputs).logits).abs().max().item()
print(json.dumps({"difference": difference, "base": adapted.peft_config["default"].base_model_name_or_path}))
"""


@pytest.mark.slow
def test_a_pushed_lora_run_loads_with_peft_auto_classes(hub, tiny_encoder, tmp_path):
    data = tmp_path / "data.csv"
    data.write_text("text,label\n" + "\n".join(f'"{s}",{i % 2}' for i, s in enumerate(SENTENCES * 4)))
    out = tmp_path / "lora"
    command = ["train.py", "--model_name_or_path", tiny_encoder, "--train_file", str(data), "--output_dir", str(out)]
    command += [
        "--use_lora",
        "--learning_rate",
        "0.01",
        "--push_to_hub",
        "--hub_model_id",
        "test-org/tiny-lora",
        *FAST,
    ]
    result = run_command(command, hub, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Pushed" in result.stdout and "test-org/tiny-lora" in result.stdout  # said, at any log level

    merged, adapter, base = (hub.repos[f"test-org/tiny-lora{suffix}"].files for suffix in ("", "-lora", "-lora-base"))
    assert not any(name.startswith(("lora_adapter", "lora_base")) for name in merged)  # repositories of their own
    assert json.loads(adapter["adapter_config.json"])["base_model_name_or_path"] == "test-org/tiny-lora-lora-base"
    assert {"config.json", "model.safetensors", "modeling_amsdff.py", "tokenizer.json", "README.md"} <= set(base)
    card = adapter["README.md"].decode()
    assert "library_name: peft" in card and "base_model: test-org/tiny-lora-lora-base" in card
    assert str(tmp_path) not in card and str(tmp_path) not in merged["README.md"].decode()  # no local paths
    assert 'repo = "test-org/tiny-lora"' in merged["README.md"].decode()

    report = json.loads(
        run_without_package(
            LOAD_LORA_FROM_HUB,
            ["test-org/tiny-lora", "test-org/tiny-lora-lora", TEXT],
            tmp_path,
            env=hub_env(hub, tmp_path),
        )
        .strip()
        .splitlines()[-1]
    )
    assert report["base"] == "test-org/tiny-lora-lora-base" and report["difference"] < 1e-4, report


def test_the_code_an_image_processor_needs_is_part_of_a_complete_folder(tmp_path):
    """`trust_remote_code` loads the image processor's code from the folder too (its auto_map is in
    preprocessor_config.json, not config.json): a folder without it is refused, and a run's listing counts it as the
    run's."""
    from modeling_amsdff import CctForImageClassification
    from modeling_amsdff.hub import HubPushError, check_repository_folder
    from modeling_amsdff.image_processing_cct import CctImageProcessor
    from modeling_amsdff.output_dir import code_modules

    from model_cases import tiny_cct_config

    folder = tmp_path / "saved"
    CctForImageClassification(tiny_cct_config()).save_pretrained(folder)
    CctImageProcessor().save_pretrained(folder)
    (folder / "README.md").write_text("---\nlicense: apache-2.0\ntags: [custom_code]\n---\n# A model\n")
    present, missing = code_modules(str(folder))
    assert {"modeling_cct.py", "image_processing_cct.py", "image_processing_channel_conversion.py"} <= present
    assert missing == []
    check_repository_folder(str(folder))
    (folder / "image_processing_cct.py").unlink()
    with pytest.raises(HubPushError, match=r"missing: image_processing_cct.py"):
        check_repository_folder(str(folder))

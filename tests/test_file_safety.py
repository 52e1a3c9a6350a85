"""Hostile file-system cases: folders that already hold the user's own files, given to train.py and amsdff-export as
a careless or hostile user would. For each, every file the user put there must be byte-identical after the command,
whatever its exit code; a command replaces only files that a manifest (`amsdff_manifest.json`) of its kind lists and
that still match it, and refuses otherwise, naming the files."""

import json
import os
import shutil
import sys

import pytest
import torch
from huggingface_hub import ModelCard

from modeling_amsdff import runner
from modeling_amsdff.data import DataError
from modeling_amsdff.export import ExportError, export_onnx, graph_opset
from modeling_amsdff.hub import HubPushError, check_only_run_files, check_repository_folder
from modeling_amsdff.output_dir import (
    MANIFEST_NAME,
    DiskFullError,
    OutputDirError,
    checkpoint_problems,
    last_complete_checkpoint,
    resolve_resume_checkpoint,
)
from modeling_amsdff.training import NonFiniteLossError

from helpers import FAST


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import train  # noqa: E402


WORDS = ["warm", "dull", "sharp", "slow", "funny", "tedious"]


def snapshot(folder) -> dict[str, bytes]:
    """Every file under `folder` (relative path -> bytes)."""
    return {
        os.path.relpath(os.path.join(root, name), folder): open(os.path.join(root, name), "rb").read()
        for root, _, names in os.walk(folder)
        for name in names
    }


def put(folder, files: dict[str, str]) -> dict[str, bytes]:
    """Write the user's `files` (relative path -> text) into `folder`; returns them as bytes, to compare after."""
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return {name: text.encode() for name, text in files.items()}


def assert_kept(folder, files: dict[str, bytes]) -> None:
    for name, content in files.items():
        assert (folder / name).read_bytes() == content, f"{name} was changed or removed"


@pytest.fixture(scope="module")
def data_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "data.csv"
    path.write_text("text,label\n" + "\n".join(f"a {WORDS[i % 6]} film number {i},{i % 2}" for i in range(40)))
    return str(path)


@pytest.fixture(scope="module")
def trained_run(tiny_encoder, data_csv, tmp_path_factory):
    """A finished train.py run with two checkpoints (copied by each test that changes it)."""
    out = tmp_path_factory.mktemp("runs") / "run"
    args = ["--model_name_or_path", tiny_encoder, "--train_file", data_csv, "--output_dir", str(out), *FAST]
    train.main([*args, "--save_strategy", "steps", "--save_steps", "2"])
    return out


def run_args(tiny_encoder, data_csv, out) -> list[str]:
    return ["--model_name_or_path", tiny_encoder, "--train_file", data_csv, "--output_dir", str(out), *FAST]


def test_a_run_records_every_file_it_wrote(trained_run):
    manifest = json.loads((trained_run / MANIFEST_NAME).read_text())
    files = {name for name in snapshot(trained_run) if name != MANIFEST_NAME}
    assert manifest["kind"] == "train.py" and set(manifest["files"]) == files and manifest["in_progress"] == []
    assert {"README.md", "model.safetensors", "checkpoint-2/model.safetensors", "checkpoint-4/optimizer.pt"} <= files
    record = manifest["files"]["model.safetensors"]
    assert record["size"] == (trained_run / "model.safetensors").stat().st_size and len(record["sha256"]) == 64


def test_the_users_readme_in_an_output_folder_is_never_replaced(tiny_encoder, data_csv, tmp_path):
    out = tmp_path / "out"
    mine = put(out, {"README.md": "# My project\n\nMy notes.\n"})
    with pytest.raises(OutputDirError, match=r"cannot prove it wrote: README.md"):
        train.main(run_args(tiny_encoder, data_csv, out))
    assert_kept(out, mine)
    assert sorted(os.listdir(out)) == ["README.md"]


@pytest.mark.parametrize("manifest", [True, False, "killed"], ids=["with-manifest", "earlier-version", "killed"])
def test_overwrite_output_dir_refuses_folders_holding_user_files(
    trained_run, tiny_encoder, data_csv, tmp_path, manifest
):
    out = tmp_path / "run"
    shutil.copytree(trained_run, out)
    if manifest == "killed":  # a run stopped while it wrote runs/ and a checkpoint: their files count as its own ...
        recorded = json.loads((out / MANIFEST_NAME).read_text())
        (out / MANIFEST_NAME).write_text(json.dumps(dict(recorded, in_progress=["runs", "checkpoint-2"])))
        (out / "runs" / "May07_10-00-00_host").mkdir(parents=True)
        (out / "runs" / "May07_10-00-00_host" / "events.out.tfevents.1.host").write_bytes(b"events")
        (out / "checkpoint-2" / "optimizer.pt").write_bytes(b"half")  # cut short
        # ... but only the files TensorBoard and checkpoints write (the user's notes there below are not)
    if not manifest:  # a folder written before runs recorded their files: judged by the names runs gave them
        (out / MANIFEST_NAME).unlink()
        (out / "predictions.csv").unlink()  # earlier versions did not write it
        (out / "README.md").unlink()  # a README.md is never taken for a run's: see the next test
    mine = put(
        out,
        {
            "baseline_results.json": "{}",
            "kmeans.model": "centroids",
            "modeling_mine.py": "print('mine')",
            "runs/my_notes.txt": "notes",
            "checkpoint-2/my_eval.txt": "eval",
            "notes/todo.txt": "todo",
        },
    )
    before = snapshot(out)
    with pytest.raises(OutputDirError) as refused:
        train.main([*run_args(tiny_encoder, data_csv, out), "--overwrite_output_dir"])
    for name in mine:
        assert name in str(refused.value)
    assert "config.json" not in str(refused.value) and "model.safetensors" not in str(refused.value)
    assert "events.out.tfevents" not in str(refused.value) and "optimizer.pt" not in str(refused.value)
    assert snapshot(out) == before  # nothing moved, nothing removed
    assert sorted(os.listdir(tmp_path)) == ["run"]  # no folder set aside


def test_an_earlier_versions_readme_or_an_edited_file_makes_overwrite_refuse(
    trained_run, tiny_encoder, data_csv, tmp_path
):
    legacy = tmp_path / "legacy"
    shutil.copytree(trained_run, legacy)
    (legacy / MANIFEST_NAME).unlink()
    (legacy / "predictions.csv").unlink()  # earlier versions did not write it
    before = snapshot(legacy)
    with pytest.raises(OutputDirError, match=r"README.md \(it has no amsdff_manifest.json"):
        train.main([*run_args(tiny_encoder, data_csv, legacy), "--overwrite_output_dir"])
    assert snapshot(legacy) == before

    edited = tmp_path / "edited"
    shutil.copytree(trained_run, edited)
    with open(edited / "README.md", "a") as handle:
        handle.write("\nMy own paragraph.\n")
    before = snapshot(edited)
    with pytest.raises(
        OutputDirError, match=r"README.md \(its amsdff_manifest.json does not list them, or they chang"
    ):
        train.main([*run_args(tiny_encoder, data_csv, edited), "--overwrite_output_dir"])
    with pytest.raises(OutputDirError, match=r"cannot prove it wrote: README.md"):
        train.main([*run_args(tiny_encoder, data_csv, edited), "--resume_from_checkpoint", "true", "--do_train"])
    assert snapshot(edited) == before


def test_overwrite_replaces_a_runs_own_files(trained_run, tiny_encoder, data_csv, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(trained_run, out)
    train.main([*run_args(tiny_encoder, data_csv, out), "--overwrite_output_dir"])
    assert not any(name.startswith("checkpoint-") for name in os.listdir(out))  # FAST saves no checkpoint
    assert sorted(os.listdir(tmp_path)) == ["run"]  # the earlier run, set aside meanwhile, is gone

    legacy = tmp_path / "legacy"  # an earlier version's run without its card: only files runs write
    shutil.copytree(trained_run, legacy)
    (legacy / MANIFEST_NAME).unlink()
    (legacy / "predictions.csv").unlink()  # earlier versions did not write it
    (legacy / "README.md").unlink()
    train.main([*run_args(tiny_encoder, data_csv, legacy), "--overwrite_output_dir"])
    assert (legacy / MANIFEST_NAME).is_file() and not (legacy / "checkpoint-2").exists()


def test_files_put_into_a_run_folder_while_it_trains_stay_the_users(
    tiny_encoder, data_csv, tmp_path, monkeypatch, caplog
):
    """The owner writes into a run's folder while it trains: the run lists none of it as its own, writes its card
    beside the owner's README.md and no predictions over theirs, and a later overwrite or push refuses, naming them."""
    out, real, mine = tmp_path / "run", runner.train_and_save, {}

    def train_and_save(*args, **kwargs):
        mine.update(put(out, {"README.md": "# Mine", "predictions.csv": "a,b", "notes.txt": "x", "data/x.csv": "a"}))
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "train_and_save", train_and_save)
    with caplog.at_level("WARNING", logger="train"):
        train.main(run_args(tiny_encoder, data_csv, out))
    assert_kept(out, mine)
    listed = json.loads((out / MANIFEST_NAME).read_text())["files"]
    assert not set(mine) & set(listed) and {"MODEL_CARD.md", "model.safetensors", "trainer_state.json"} <= set(listed)
    assert "README.md, data/x.csv, notes.txt, predictions.csv appeared or changed while the run" in caplog.text
    assert "the model card is in MODEL_CARD.md" in caplog.text and "no predictions written" in caplog.text
    assert ModelCard.load(out / "MODEL_CARD.md").data.model_name == "run"

    before = snapshot(out)
    with pytest.raises(OutputDirError) as refused:
        train.main([*run_args(tiny_encoder, data_csv, out), "--overwrite_output_dir"])
    assert all(name in str(refused.value) for name in mine)
    assert snapshot(out) == before
    with pytest.raises(HubPushError, match=r"did not write there: README.md, data/x.csv, notes.txt\. A push"):
        check_only_run_files(str(out))
    for name in ("README.md", "notes.txt", "data/x.csv"):  # the owner moves theirs out, and renames the card
        os.rename(out / name, tmp_path / os.path.basename(name))
    os.rename(out / "MODEL_CARD.md", out / "README.md")
    check_only_run_files(str(out))
    check_repository_folder(str(out))


def test_the_earlier_run_set_aside_is_removed_only_if_all_of_it_is_a_runs(
    trained_run, tiny_encoder, data_csv, tmp_path, monkeypatch, caplog
):
    """--overwrite_output_dir moves the earlier run aside and removes it at the end: a file that reached the hidden
    folder meanwhile (moved with the run, or put there) keeps the whole folder, named in a warning."""
    out, real, aside = tmp_path / "run", runner.set_aside_previous_run, []
    shutil.copytree(trained_run, out)

    def set_aside(output_dir):
        aside.append(real(output_dir))
        put(tmp_path / os.path.basename(aside[0]), {"notes.txt": "mine"})
        return aside[0]

    monkeypatch.setattr(runner, "set_aside_previous_run", set_aside)
    with caplog.at_level("WARNING", logger="train"):
        train.main([*run_args(tiny_encoder, data_csv, out), "--overwrite_output_dir"])
    assert (tmp_path / os.path.basename(aside[0]) / "notes.txt").read_text() == "mine"
    assert f"Kept the earlier run's files in {aside[0]}" in caplog.text and "(notes.txt)" in caplog.text


@pytest.mark.parametrize("best", [False, True], ids=["newest-kept", "best-kept"])
def test_save_total_limit_keeps_a_checkpoint_holding_the_users_files(
    tiny_encoder, data_csv, tmp_path, monkeypatch, caplog, best
):
    """The user evaluates checkpoint-1 while the run goes on and writes the result into it: the Trainer's rotation
    would delete the folder whole; here it stays (named in a warning), and only the run's own checkpoints go."""
    from modeling_amsdff.training import StrategyTrainer

    out = tmp_path / "run"
    save_checkpoint, mine = StrategyTrainer._save_checkpoint, {}

    def save_then_user_writes(self, model, trial):
        save_checkpoint(self, model, trial)
        if self.state.global_step == 1:
            mine.update(put(out, {"checkpoint-1/my_eval.txt": "accuracy 0.5", "checkpoint-1/config.json": "{}"}))

    monkeypatch.setattr(StrategyTrainer, "_save_checkpoint", save_then_user_writes)
    args = [*run_args(tiny_encoder, data_csv, out), "--save_strategy", "steps", "--save_steps", "1"]
    if best:  # a limit of one keeps only the best checkpoint at the end of training (as the Trainer's rule says)
        args += ["--save_total_limit", "1", "--do_train", "--do_eval", "--eval_strategy", "steps", "--eval_steps", "1"]
        args += ["--load_best_model_at_end"]
    else:
        args += ["--save_total_limit", "2"]
    with caplog.at_level("WARNING", logger="modeling_amsdff.training"):
        train.main(args)
    assert_kept(out, mine)
    step = lambda name: int(name.split("-")[1])  # noqa: E731
    checkpoints = sorted((name for name in os.listdir(out) if name.startswith("checkpoint-")), key=step)
    if best:  # the best one, and checkpoint-1 (which may be the best)
        best_checkpoint = json.loads((out / "trainer_state.json").read_text())["best_model_checkpoint"]
        assert checkpoints == sorted({"checkpoint-1", os.path.basename(best_checkpoint)}, key=step)
    else:  # checkpoint-1, and the two newest
        steps = json.loads((out / "trainer_state.json").read_text())["global_step"]
        assert checkpoints == ["checkpoint-1", f"checkpoint-{steps - 1}", f"checkpoint-{steps}"]
        saved_args = torch.load(out / checkpoints[-1] / "training_args.bin", weights_only=False)
        assert saved_args.save_total_limit == 2  # as given, though the Trainer's own rotation was switched off
    assert "checkpoint-1 although --save_total_limit" in caplog.text and "my_eval.txt" in caplog.text
    # The run lists none of the user's files as its own: replacing the run refuses, naming them.
    listed = json.loads((out / MANIFEST_NAME).read_text())["files"]
    assert "checkpoint-1/my_eval.txt" not in listed and listed["checkpoint-1/config.json"]["size"] != 2
    with pytest.raises(OutputDirError, match="checkpoint-1/config.json, checkpoint-1/my_eval.txt"):
        train.main([*run_args(tiny_encoder, data_csv, out), "--overwrite_output_dir"])
    assert_kept(out, mine)


def test_a_run_never_writes_over_the_model_or_data_it_reads(trained_run, data_csv, tmp_path):
    model = tmp_path / "o4"
    shutil.copytree(trained_run, model)
    before = snapshot(model)
    evaluate = ["--model_name_or_path", str(model), "--train_file", data_csv, "--do_eval", "--use_cpu"]
    for output_dir in (model, model / "results", tmp_path):
        with pytest.raises(OutputDirError, match="are the same folder or one holds the other"):
            train.main([*evaluate, "--output_dir", str(output_dir), "--overwrite_output_dir", "--report_to", "none"])
    assert snapshot(model) == before

    data_folder = tmp_path / "data"
    data_folder.mkdir()
    shutil.copy(data_csv, data_folder / "data.csv")
    with pytest.raises(OutputDirError, match="--train_file"):
        train.main([*evaluate[:2], "--train_file", str(data_folder / "data.csv"), "--output_dir", str(data_folder)])
    assert os.listdir(data_folder) == ["data.csv"]


def test_a_non_finite_loss_stops_the_run_and_saves_no_final_model(tiny_encoder, data_csv, tmp_path, monkeypatch):
    from modeling_amsdff.training import StrategyTrainer

    compute_loss = StrategyTrainer.compute_loss

    def exploding(self, model, inputs, *args, **kwargs):
        loss = compute_loss(self, model, inputs, *args, **kwargs)
        if self.state.global_step >= 2:  # the third step's loss is infinite
            loss = loss * float("inf") if not isinstance(loss, tuple) else loss
        return loss

    monkeypatch.setattr(StrategyTrainer, "compute_loss", exploding)
    out = tmp_path / "run"
    with pytest.raises(NonFiniteLossError, match="The training loss became inf at step 3"):
        train.main(run_args(tiny_encoder, data_csv, out))
    assert not (out / "model.safetensors").exists() and not (out / "README.md").exists()
    monkeypatch.undo()
    train.main([*run_args(tiny_encoder, data_csv, out), "--overwrite_output_dir"])  # the stopped run's files are known
    assert (out / "model.safetensors").is_file()


def test_regression_targets_must_be_finite(tiny_encoder, tmp_path):
    rows = [f"sentence number {i} is fine,{i * 0.1},{i * 0.2}" for i in range(30)]
    rows[4], rows[8] = "sentence five,inf,1e308", "sentence nine,-inf,0.5"
    data = tmp_path / "scores.csv"
    data.write_text("text,label,valence\n" + "\n".join(rows))
    common = ["--model_name_or_path", tiny_encoder, "--train_file", str(data), "--output_dir", str(tmp_path / "o")]
    message = (
        r"2 regression target\(s\).*row 5 of scores.csv: infinite \(inf\); row 9 of scores.csv: infinite \(-inf\)"
    )
    with pytest.raises(DataError, match=message):
        train.main([*common, "--do_regression", *FAST])  # AMSDFF
    with pytest.raises(DataError, match=message):
        train.main([*common, "--model_type", "base_regression", "--label_column_names", "label", *FAST])
    with pytest.raises(DataError, match=r"row 5 of scores.csv: 1e\+308, beyond what float32"):
        train.main([*common, "--model_type", "moe_regression", "--label_column_names", "valence", *FAST])
    assert not (tmp_path / "o").exists()


def test_a_full_disk_while_saving_leaves_no_model_that_loads(tiny_encoder, data_csv, tmp_path, monkeypatch):
    import errno

    import transformers.modeling_utils

    def disk_full(tensors, filename, metadata=None):
        with open(filename, "wb") as handle:  # half a file, as a write cut short leaves it
            handle.write(b"\x00" * 100)
        raise OSError(errno.ENOSPC, "No space left on device", filename)

    monkeypatch.setattr(transformers.modeling_utils, "safe_save_file", disk_full)
    out = tmp_path / "run"
    with pytest.raises(DiskFullError, match=r"The disk holding '.*run' is full"):
        train.main(run_args(tiny_encoder, data_csv, out))
    assert not (out / "model.safetensors").exists()
    assert json.loads((out / MANIFEST_NAME).read_text())["kind"] == "train.py"


def test_a_truncated_checkpoint_is_named_and_skipped(trained_run, tmp_path):
    out = tmp_path / "run"
    shutil.copytree(trained_run, out)
    weights = out / "checkpoint-4" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    problems = checkpoint_problems(out / "checkpoint-4")
    assert len(problems) == 1 and problems[0].startswith("model.safetensors (unreadable: "), problems
    assert last_complete_checkpoint(str(out)) == str(out / "checkpoint-2")
    with pytest.raises(OutputDirError, match=r"checkpoint-4' is incomplete \(missing or broken: model.safetensors"):
        resolve_resume_checkpoint(str(out / "checkpoint-4"), str(out))
    optimizer = out / "checkpoint-2" / "optimizer.pt"
    optimizer.write_bytes(optimizer.read_bytes()[:-100])
    assert checkpoint_problems(out / "checkpoint-2")[0].startswith("optimizer.pt (unreadable")
    with pytest.raises(OutputDirError, match="holds no complete checkpoint"):
        resolve_resume_checkpoint("true", str(out))


# ---- amsdff-export ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    from modeling_amsdff import AmsraNetImageProcessor, CifarResNetForImageClassification

    from model_cases import tiny_resnet_config

    torch.manual_seed(0)
    folder = tmp_path_factory.mktemp("anc") / "model"
    CifarResNetForImageClassification(tiny_resnet_config()).save_pretrained(folder)
    AmsraNetImageProcessor(num_channels=3, size={"height": 16, "width": 16}).save_pretrained(folder)
    return folder


def test_an_export_never_eats_its_source(saved_model, tmp_path, monkeypatch):
    parent = saved_model.parent
    before = snapshot(parent)
    link = tmp_path / "link"
    link.symlink_to(saved_model)
    for destination in (parent, saved_model, saved_model / "onnx", link, tmp_path / "link" / "onnx"):
        with pytest.raises(ExportError, match="is the folder of the model being exported, holds it, or lies inside"):
            export_onnx(str(saved_model), str(destination), overwrite=True)
    monkeypatch.chdir(parent)
    with pytest.raises(ExportError, match="holds it"):
        export_onnx("model", ".", overwrite=True)
    assert snapshot(parent) == before


@pytest.mark.slow
def test_export_overwrites_only_an_earlier_export_and_writes_the_opset_it_reports(saved_model, tmp_path, monkeypatch):
    import modeling_amsdff.export as export

    out = tmp_path / "onnx"
    for opset in (1, 17):  # torch would write opset 18 for either, and the report said what was asked
        with pytest.raises(ExportError, match=f"--opset {opset} is not supported"):
            export_onnx(str(saved_model), str(out), opset=opset)
    report = export_onnx(str(saved_model), str(out), opset=19)
    assert report["opset"] == 19 == graph_opset(str(out / "model.onnx"))
    with monkeypatch.context() as patched:  # should torch ever fall back again, the export says so
        patched.setattr(export, "graph_opset", lambda path: 18)
        with pytest.raises(ExportError, match="could not write opset 19 for CifarResNetForImageClassification"):
            export_onnx(str(saved_model), str(tmp_path / "other"), opset=19)
    assert json.loads((out / MANIFEST_NAME).read_text())["kind"] == "amsdff-export"

    mine = put(out, {"notes.txt": "mine"})
    before = snapshot(out)
    with pytest.raises(ExportError, match=r"cannot prove it wrote: notes.txt"):
        export_onnx(str(saved_model), str(out), overwrite=True)
    assert snapshot(out) == before
    (out / "notes.txt").unlink()
    export_onnx(str(saved_model), str(out), overwrite=True)  # only an export's own files: replaced

    run = tmp_path / "run"  # a folder train.py wrote is not an export's to replace
    shutil.copytree(out, run)
    manifest = json.loads((run / MANIFEST_NAME).read_text())
    (run / MANIFEST_NAME).write_text(json.dumps({**manifest, "kind": "train.py"}))
    with pytest.raises(ExportError, match="says train.py wrote it, not amsdff-export"):
        export_onnx(str(saved_model), str(run), overwrite=True)
    assert "notes.txt" in mine

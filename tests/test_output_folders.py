"""The output folder of a run: --overwrite_output_dir leaves only the new run's files and never removes the user's,
and a run killed in the middle of a checkpoint save resumes from its last complete checkpoint with
--resume_from_checkpoint true, to the weights an uninterrupted run reaches."""

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest
import torch
from safetensors.torch import load_file

from modeling_amsdff.output_dir import OutputDirError, checkpoint_problems

from helpers import FAST


ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
import train  # noqa: E402


@pytest.fixture
def csv_data(tmp_path):
    path = tmp_path / "data.csv"
    words = ["warm", "dull", "sharp", "slow", "funny", "tedious"]
    path.write_text("text,label\n" + "\n".join(f"a {words[i % 6]} film number {i},{i % 2}" for i in range(40)))
    return str(path)


def test_overwrite_output_dir_leaves_only_this_runs_files(tiny_encoder, csv_data, tmp_path):
    out = tmp_path / "run"
    common = ["--model_name_or_path", tiny_encoder, "--train_file", csv_data, "--output_dir", str(out), *FAST]
    train.main([*common, "--save_strategy", "steps", "--save_steps", "2"])
    assert (out / "checkpoint-2").is_dir() and (out / "predict_results.json").is_file()
    train.main([*common, "--overwrite_output_dir", "--do_train"])
    files = set(os.listdir(out))
    assert not any(name.startswith("checkpoint-") for name in files), files
    assert not {"predict_results.json", "eval_results.json"} & files
    assert not any(key.startswith(("eval_", "predict_")) for key in json.loads((out / "all_results.json").read_text()))
    assert sorted(os.listdir(tmp_path)) == ["data.csv", "run"]  # the earlier run is gone once this one finished

    (out / "my-notes.txt").write_text("mine")
    before = sorted(os.listdir(out))
    with pytest.raises(OutputDirError, match=r"cannot prove it wrote: my-notes.txt \(its amsdff_manifest.json does"):
        train.main([*common, "--overwrite_output_dir"])
    assert sorted(os.listdir(out)) == before and (out / "my-notes.txt").read_text() == "mine"


# argv: the repository, then train.py arguments. Kills its own process (SIGKILL) while the checkpoint of step 4 is
# being saved: the model is written, the optimizer file has just been created, nothing after it.
KILLED_DURING_A_SAVE = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, sys.argv[1])
    import transformers
    import train

    save = transformers.Trainer._save_optimizer_and_scheduler

    def killed_while_saving(self, output_dir):
        if self.state.global_step == 4:
            open(os.path.join(output_dir, "optimizer.pt"), "wb").close()
            os.kill(os.getpid(), signal.SIGKILL)
        return save(self, output_dir)

    transformers.Trainer._save_optimizer_and_scheduler = killed_while_saving
    train.main(sys.argv[2:])
    """
)


@pytest.mark.slow
def test_a_run_killed_during_a_checkpoint_save_resumes_from_the_last_complete_one(tiny_encoder, csv_data, tmp_path):
    flags = "--do_train --max_steps 6 --save_strategy steps --save_steps 2 --per_device_train_batch_size 4 "
    flags += "--max_seq_length 16 --learning_rate 1e-3 --report_to none --use_cpu"
    args = ["--model_name_or_path", tiny_encoder, "--train_file", csv_data, *flags.split()]
    reference = tmp_path / "uninterrupted"
    train.main([*args, "--output_dir", str(reference)])

    out = tmp_path / "killed"
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    command = [sys.executable, "-c", KILLED_DURING_A_SAVE, ROOT, *args, "--output_dir", str(out)]
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    assert checkpoint_problems(out / "checkpoint-2") == []
    assert checkpoint_problems(out / "checkpoint-4") == ["trainer_state.json", "optimizer.pt (empty)"]

    with pytest.raises(OutputDirError, match="already holds a model.*--resume_from_checkpoint true"):
        train.main([*args, "--output_dir", str(out)])
    with pytest.raises(OutputDirError, match=r"checkpoint-4' is incomplete \(missing or broken: trainer_state.json"):
        train.main([*args, "--output_dir", str(out), "--resume_from_checkpoint", str(out / "checkpoint-4")])
    results = train.main([*args, "--output_dir", str(out), "--resume_from_checkpoint", "true"])
    assert results["epoch"] > 0
    resumed, uninterrupted = load_file(out / "model.safetensors"), load_file(reference / "model.safetensors")
    assert resumed.keys() == uninterrupted.keys()
    for name, value in uninterrupted.items():
        torch.testing.assert_close(resumed[name], value, rtol=1e-5, atol=1e-6, msg=name)


KILLED_DURING_THE_FINAL_SAVE = textwrap.dedent(
    """
    import os, signal, sys
    sys.path.insert(0, sys.argv[1])
    import transformers
    import train

    def killed_while_saving(self, output_dir=None, _internal_call=False):
        if output_dir is None:  # the final model (checkpoints name their folder)
            with open(os.path.join(self.args.output_dir, "model.safetensors"), "wb") as handle:
                handle.write(b"half a model")
            os.kill(os.getpid(), signal.SIGKILL)

    transformers.Trainer.save_model = killed_while_saving
    train.main(sys.argv[2:])
    """
)


def test_a_run_killed_during_its_final_save_is_replaced_by_the_next_overwrite(tiny_encoder, csv_data, tmp_path):
    """The final model's files that a killed run had started count as its own (the manifest claims them before the
    save), so `--overwrite_output_dir` replaces them instead of refusing; a file of the user's there still refuses."""
    out = tmp_path / "killed"
    args = ["--model_name_or_path", tiny_encoder, "--train_file", csv_data, "--output_dir", str(out), *FAST]
    command = [sys.executable, "-c", KILLED_DURING_THE_FINAL_SAVE, ROOT, *args]
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=600)
    assert result.returncode == -signal.SIGKILL, result.stderr[-2000:]
    assert (out / "model.safetensors").read_bytes() == b"half a model"

    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputDirError, match=r"cannot prove it wrote: notes.txt \("):
        train.main([*args, "--overwrite_output_dir"])
    (out / "notes.txt").unlink()
    train.main([*args, "--overwrite_output_dir"])
    assert load_file(out / "model.safetensors") and sorted(os.listdir(tmp_path)) == ["data.csv", "killed"]

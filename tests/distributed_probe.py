"""Runs train.py's main under a multi-process launcher (torchrun / accelerate launch) and records, per rank, the
examples of every training batch and a digest of the trained weights. Used by test_distributed.py.

    torchrun --nproc_per_node 2 distributed_probe.py RECORD_DIR train.py-arguments...
"""

import hashlib
import json
import os
import sys


sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from modeling_amsdff.training import StrategyTrainer  # noqa: E402

import train  # noqa: E402


def weights_digest(model) -> str:
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode() + tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def main() -> None:
    record_dir, argv = sys.argv[1], sys.argv[2:]
    rank = int(os.environ.get("RANK", "0"))
    training_step, train_loop = StrategyTrainer.training_step, StrategyTrainer.train

    def record(name: str, value) -> None:
        with open(os.path.join(record_dir, f"rank{rank}.jsonl"), "a") as handle:
            handle.write(json.dumps({name: value}) + "\n")

    def recording_step(self, model, inputs, *args, **kwargs):
        record("batch", {"world_size": self.args.world_size, "input_ids": inputs["input_ids"].tolist()})
        return training_step(self, model, inputs, *args, **kwargs)

    def recording_train(self, *args, **kwargs):
        output = train_loop(self, *args, **kwargs)
        record("weights", weights_digest(self.model))
        return output

    StrategyTrainer.training_step, StrategyTrainer.train = recording_step, recording_train
    train.main(argv)


if __name__ == "__main__":
    main()

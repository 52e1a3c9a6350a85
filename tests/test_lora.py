"""LoRA on every task model: the default targets and fully-trained modules, a training step that moves only those,
an adapter that saves, reloads on a base loaded from its folder, and merges into the same function."""

import pytest
import torch
from peft import PeftModel

from modeling_amsdff.lora import add_lora, default_lora_target_modules, default_modules_to_save, lora_config_for

from model_cases import MODEL_CASES, labels_for


TASK_CASES = [case for case in MODEL_CASES if case.output_key == "logits"]


@pytest.mark.parametrize("case", TASK_CASES, ids=lambda case: case.name)
def test_lora_adapter_trains_saves_reloads_and_merges(case, tmp_path):
    torch.manual_seed(0)
    base = case.model_class(case.config()).eval()
    with torch.no_grad():  # as after pre-training: LGSA's gamma starts at 0, which would block its projections' grads
        for name, parameter in base.named_parameters():
            if name.endswith("gamma"):
                parameter.fill_(0.5)
    base.save_pretrained(tmp_path / "base")
    targets = default_lora_target_modules(base)
    to_save = default_modules_to_save(base)
    assert targets and "classifier" in to_save
    model = add_lora(base, r=4, lora_alpha=8, lora_dropout=0.0)

    # Trainable: the adapters and the modules outside the body, nothing else of the body.
    trainable = {name for name, p in model.named_parameters() if p.requires_grad}
    assert trainable and all("lora_" in name or "modules_to_save" in name for name in trainable), sorted(trainable)
    assert any("lora_" in name for name in trainable)
    assert any(f"{module}.modules_to_save" in name for name in trainable for module in to_save)

    inputs = case.make_inputs()
    problem = case.problem_types[0] if case.problem_types else "single_label_classification"
    labels = labels_for(problem, base.config.num_labels)
    before = {name: p.detach().clone() for name, p in model.named_parameters()}
    model.train()
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    for _ in range(2):  # LoRA's B starts at zero: A moves only from the second step
        model(**inputs, labels=labels).loss.backward()
        optimizer.step()
        optimizer.zero_grad()
    moved = {name for name, p in model.named_parameters() if not torch.equal(p.detach(), before[name])}
    frozen_moved = moved - trainable
    assert not frozen_moved, sorted(frozen_moved)
    assert any("lora_" in name for name in moved)

    model.eval()
    with torch.no_grad():
        expected = model(**inputs).logits
    model.save_pretrained(tmp_path / "adapter")
    reloaded_base = type(base).from_pretrained(tmp_path / "base").eval()
    reloaded = PeftModel.from_pretrained(reloaded_base, tmp_path / "adapter").eval()
    with torch.no_grad():
        torch.testing.assert_close(reloaded(**inputs).logits, expected)
        merged = reloaded.merge_and_unload().eval()
        assert type(merged) is type(base)
        torch.testing.assert_close(merged(**inputs).logits, expected, rtol=1e-4, atol=1e-5)


def test_lora_arguments_are_checked():
    case = TASK_CASES[0]
    model = case.model_class(case.config())
    with pytest.raises(ValueError, match="rank"):
        lora_config_for(model, r=0)
    with pytest.raises(ValueError, match="lora_dropout"):
        lora_config_for(model, lora_dropout=1.0)
    body_case = next(case for case in MODEL_CASES if case.output_key == "pooler_output")
    with pytest.raises(ValueError, match="without a task head"):
        lora_config_for(body_case.model_class(body_case.config()))

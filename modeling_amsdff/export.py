# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""ONNX export of a saved model of any family (`torch.onnx.export` through `torch.export`, dynamic batch and
sequence length), checked against PyTorch with ONNX Runtime, and post-training dynamic int8 quantisation of the
exported graph with ONNX Runtime's quantiser, for CPU inference.

    amsdff-export SAVED_FOLDER ONNX_FOLDER [--int8]

ONNX_FOLDER gets model.onnx (inputs input_ids + attention_mask, or pixel_values; output logits), model_int8.onnx with
--int8, the config and tokenizer or image processor, and export_report.json with the measured differences. Not copied
to the Hub with a model."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import warnings

import numpy as np
import torch

from .inference import LoadedModel, load_for_inference
from .output_dir import EXPORT, TOKENIZER_FILES, OutputDirError, check_folder_owned, record_folder, same_or_nested


ONNX_NAME, INT8_NAME, REPORT_NAME = "model.onnx", "model_int8.onnx", "export_report.json"
# torch's dynamo exporter writes opset 18 natively; asked for an older one it tries ONNX's version converter, which
# failed for every model family here at opset 17 (torch 2.13, onnx 1.23), and then writes 18 without saying so.
OLDEST_OPSET = 18
# Largest |ONNX Runtime - PyTorch| allowed on the logits of the fp32 export, per unit of the largest |logit| (at least
# 1): float32 sums in another order differ by about 1e-7 of the values summed, and logits may be large.
PARITY_TOLERANCE = 1e-4
# What the export needs beside the graph: the config (labels, text cleaning) and the processor, whichever files the
# saved tokenizer has (vocab.txt for BERT, vocab.json + merges.txt for RoBERTa, spm.model for DeBERTa-v2 ...).
PROCESSOR_FILES = ("config.json", "preprocessor_config.json", *TOKENIZER_FILES)


class ExportError(RuntimeError):
    """Raised when a model cannot be exported, or its export does not match PyTorch."""


class _TextLogits(torch.nn.Module):
    """The model with plain tensor inputs and the logits as its one output (the graph ONNX stores)."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        return self.model(input_ids=input_ids, attention_mask=attention_mask).logits


class _ImageLogits(_TextLogits):
    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.model(pixel_values=pixel_values).logits


def example_inputs(loaded: LoadedModel, batch: int, seed: int = 0) -> dict[str, torch.Tensor]:
    """Inputs of `batch` rows through the model's own processor: texts of different lengths, or random images."""
    generator = np.random.default_rng(seed)
    if loaded.kind == "text":
        words = "the film was a warm funny and sharp story told with care but far too long".split()
        texts = [" ".join(generator.choice(words, size=3 + 4 * i)) for i in range(batch)]
        return loaded.preprocess(texts)
    from PIL import Image

    size = loaded.processor.size["height"]  # the side the processor resizes to
    images = [Image.fromarray(generator.integers(0, 256, (size, size, 3), dtype=np.uint8)) for _ in range(batch)]
    return loaded.preprocess(images)


def onnx_session(path: str, threads: int | None = None):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
    return onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])


def run_onnx(session, inputs: dict[str, torch.Tensor]) -> np.ndarray:
    return session.run(["logits"], {name: tensor.numpy() for name, tensor in inputs.items()})[0]


def check_destination(folder: str, output_dir: str, overwrite: bool) -> None:
    """Refuse a destination that is the model's own folder, holds it or lies inside it (resolved through symbolic
    links), a file, or a folder that holds anything (another model, an earlier export) unless `overwrite`; and with
    `overwrite`, a folder that holds anything but an earlier export's files (`check_folder_owned`: its manifest, or for
    an export without one, the names exports give their files)."""
    target = os.path.realpath(output_dir)
    if os.path.exists(folder) and same_or_nested(folder, target):
        raise ExportError(
            f"{output_dir!r} is the folder of the model being exported, holds it, or lies inside it; export into "
            "another folder."
        )
    if os.path.exists(target) and not os.path.isdir(target):
        raise ExportError(f"{output_dir!r} is a file, not a folder; choose a folder for the export.")
    if not os.path.isdir(target) or not os.listdir(target):
        return
    if overwrite:
        try:
            check_folder_owned(output_dir, EXPORT, "--overwrite would replace the earlier export in")
        except OutputDirError as error:
            raise ExportError(str(error)) from None
        return
    found = sorted(os.listdir(target))
    if ONNX_NAME in found:
        what = f"an ONNX export ({ONNX_NAME})"
    elif "config.json" in found:
        what = "a model (config.json)"
    else:
        what = f"files ({', '.join(found[:5])})"
    raise ExportError(
        f"{output_dir!r} already holds {what}; choose another folder, or pass --overwrite to replace an earlier "
        "export."
    )


def check_opset(opset: int) -> None:
    """The ONNX opsets the exporter writes: 18 up to the newest that the installed `onnx` knows."""
    import onnx

    newest = onnx.defs.onnx_opset_version()
    if not isinstance(opset, int) or not OLDEST_OPSET <= opset <= newest:
        raise ExportError(
            f"--opset {opset} is not supported: the export writes opsets {OLDEST_OPSET} to {newest} (the newest the "
            "installed onnx knows); the default is 18."
        )


def graph_opset(path: str) -> int:
    """The default-domain opset an ONNX file declares (read without its external weights)."""
    import onnx

    graph = onnx.load(path, load_external_data=False)
    return next(entry.version for entry in graph.opset_import if entry.domain in ("", "ai.onnx"))


def export_onnx(
    folder: str,
    output_dir: str,
    *,
    int8: bool = False,
    opset: int = 18,
    overwrite: bool = False,
    trust_remote_code: bool = False,
) -> dict:
    """Export the model saved in `folder` to `output_dir` and check it; returns (and saves) the export report.

    Everything is written to a new temporary folder beside `output_dir`, which takes its place only when the export
    and its checks succeeded: a failed export leaves `output_dir` as it was (see `check_destination` for what may be
    replaced). The folder's own code runs only with `trust_remote_code` (see `load_for_inference`).
    """
    check_opset(opset)
    check_destination(folder, output_dir, overwrite)
    loaded = load_for_inference(folder, trust_remote_code=trust_remote_code)
    target = os.path.realpath(output_dir)  # a symbolic link: its folder is replaced
    os.makedirs(os.path.dirname(target), exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.export-", dir=os.path.dirname(target))
    try:
        report = _export_into(loaded, folder, staging, int8=int8, opset=opset)
        record_folder(staging, EXPORT)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)  # a folder as any other, not mkdtemp's owner-only one
        if os.path.exists(target):
            check_destination(folder, output_dir, overwrite)  # again: files may have been added while it exported
            replaced = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.replaced-", dir=os.path.dirname(target))
            os.rename(target, os.path.join(replaced, "old"))
            os.rename(staging, target)
            shutil.rmtree(replaced)
        else:
            os.rename(staging, target)
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging)
    return report


def _export_into(loaded: LoadedModel, folder: str, output_dir: str, *, int8: bool, opset: int) -> dict:
    """Export, copy the processor files, check parity (and quantise) inside `output_dir`; returns the report."""
    wrapper = (_ImageLogits if loaded.kind == "image" else _TextLogits)(loaded.model).eval()
    sample = example_inputs(loaded, batch=2)
    dynamic = torch.export.Dim.DYNAMIC
    shapes = {name: {0: dynamic} if loaded.kind == "image" else {0: dynamic, 1: dynamic} for name in sample}
    path = os.path.join(output_dir, ONNX_NAME)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            torch.onnx.export(
                wrapper,
                tuple(sample.values()),
                path,
                input_names=list(sample),
                output_names=["logits"],
                dynamic_shapes=shapes,
                opset_version=opset,
                dynamo=True,
                verbose=False,
            )
        except Exception as error:  # noqa: BLE001 - torch.export's errors are long; keep the first line
            summary = str(error).split("## Exception summary", 1)[-1].strip().splitlines()[0]
            raise ExportError(f"torch.onnx.export failed for {type(loaded.model).__name__}: {summary}") from error
    written = graph_opset(path)
    if written != opset:
        raise ExportError(
            f"torch.onnx.export could not write opset {opset} for {type(loaded.model).__name__} (it wrote opset "
            f"{written} instead: its conversion to opset {opset} failed); export with --opset {written} or newer."
        )
    for name in PROCESSOR_FILES:
        if os.path.isfile(os.path.join(folder, name)):
            shutil.copy(os.path.join(folder, name), output_dir)

    # Parity on another batch size (and other text lengths) than the one exported with.
    check = example_inputs(loaded, batch=5, seed=1)
    with torch.no_grad():
        reference = wrapper(*check.values()).numpy()
    difference = float(np.abs(run_onnx(onnx_session(path), check) - reference).max())
    tolerance = PARITY_TOLERANCE * max(1.0, float(np.abs(reference).max()))
    report = {
        "model": type(loaded.model).__name__,
        "onnx": ONNX_NAME,
        "opset": written,
        "check_inputs": {name: list(t.shape) for name, t in check.items()},
        "max_abs_difference": difference,
        "tolerance": tolerance,
    }
    if not difference <= tolerance:
        raise ExportError(
            f"The ONNX export of {folder!r} differs from PyTorch by {difference:.3g} (tolerance {tolerance:.3g})."
        )
    if int8:
        report.update(quantize_int8(path, os.path.join(output_dir, INT8_NAME), check, reference))
    with open(os.path.join(output_dir, REPORT_NAME), "w") as handle:
        json.dump(report, handle, indent=1)
    return report


PROTOBUF_LIMIT = 2**31 - 1  # bytes: a larger ONNX model keeps its weights in an external data file


def quantize_int8(onnx_path: str, output_path: str, check: dict, reference: np.ndarray) -> dict:
    """Dynamic int8 quantisation (weights int8 ahead of time, activations quantised per batch at run time) of the
    matrix multiplications and convolutions; reports how far its logits move on `check`.

    The graph is first pre-processed by ONNX Runtime (`quant_pre_process`: constant folding and shape inference). That
    is not optional in practice: AMSRA-Net's gated attention concatenates two convolution weights at run time, and the
    quantiser needs such weights folded into initializers ("Expected cat_14 to be an initializer"). The pre-processing
    loses the weights of a graph that keeps them in an external data file, so it gets a copy with its weights inline
    (graphs under the 2 GB protobuf limit). A failed step is never silent: pre-processing falls back to the graph as
    exported with a warning that says why, and a failed quantisation is an `ExportError`."""
    import onnx
    from onnxruntime.quantization import QuantType, quant_pre_process, quantize_dynamic

    with tempfile.TemporaryDirectory() as scratch:
        inline = os.path.join(scratch, "model.onnx")
        graph = onnx.load(onnx_path)
        if graph.ByteSize() < PROTOBUF_LIMIT:
            onnx.save(graph, inline)
        else:
            onnx.save(graph, inline, save_as_external_data=True, location="model.onnx.data")
        prepared = os.path.join(scratch, "prepared.onnx")
        preprocessed = True
        try:
            quant_pre_process(inline, prepared, skip_symbolic_shape=True)
        except Exception as error:  # noqa: BLE001 - any failure: say it, and quantise the graph as exported
            preprocessed = False
            prepared = inline
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            warnings.warn(
                f"int8: ONNX Runtime's pre-processing (quant_pre_process) failed ({message}); quantising the graph "
                "as exported, without its constant folding.",
                stacklevel=2,
            )
        try:
            quantize_dynamic(prepared, output_path, weight_type=QuantType.QInt8)
        except Exception as error:  # noqa: BLE001 - the quantiser's errors name nodes; keep the first line
            message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise ExportError(f"int8 quantisation of {os.path.basename(onnx_path)} failed: {message}") from error
    quantized = run_onnx(onnx_session(output_path), check)
    return {
        "int8": os.path.basename(output_path),
        "int8_preprocessed": preprocessed,
        "int8_max_abs_difference": float(np.abs(quantized - reference).max()),
        "int8_same_argmax": float((quantized.argmax(-1) == reference.argmax(-1)).mean()),
        "onnx_bytes": file_bytes(onnx_path),
        "int8_bytes": file_bytes(output_path),
    }


def file_bytes(onnx_path: str) -> int:
    """Size of an ONNX model with its external weights file, if it has one."""
    return sum(os.path.getsize(path) for path in (onnx_path, onnx_path + ".data") if os.path.isfile(path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="amsdff-export", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", help="Saved model folder (train.py output or save_pretrained).")
    parser.add_argument("output_dir", help="Folder for model.onnx, the processor files and the report.")
    parser.add_argument("--int8", action="store_true", help="Also write model_int8.onnx (dynamic int8).")
    parser.add_argument("--opset", type=int, default=18)
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="Replace an earlier export in output_dir (refused when it holds any file an export did not write).",
    )
    parser.add_argument(
        "--trust_remote_code",
        action="store_true",
        help="Run the Python code of a folder whose model type is not one of this package's (as in transformers).",
    )
    args = parser.parse_args(argv)
    try:
        report = export_onnx(
            args.folder,
            args.output_dir,
            int8=args.int8,
            opset=args.opset,
            overwrite=args.overwrite,
            trust_remote_code=args.trust_remote_code,
        )
    except (ExportError, FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

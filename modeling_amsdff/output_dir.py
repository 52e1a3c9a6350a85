# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""The folders this package writes (a training run's output folder, an ONNX export), and whose files are in them.

Every command that writes a folder records what it wrote there in the folder's manifest (`amsdff_manifest.json`: each
file's path, size and SHA-256, and which command wrote it). A command removes or replaces only files that a manifest of
its own kind lists and that still match it; any other file in the folder makes it refuse, naming the file. Folders
written before the manifest existed are judged by the names runs give their files, except that a `README.md`, a `*.py`
that the saved model does not import, or a file in a subfolder that no run writes is never taken for a run's.

Training runs also resume from their last complete checkpoint. Not copied to the Hub with a model."""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import zipfile


logger = logging.getLogger("train")

MANIFEST_NAME = "amsdff_manifest.json"
RUN, EXPORT = "train.py", "amsdff-export"  # the kinds of folder a manifest describes
WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")
MODEL_FILES = ("config.json", *WEIGHT_FILES, "adapter_config.json")
CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")
FINAL_SAVE = "."  # in a manifest's in_progress: the run was saving its final model at the top of its folder
TRUE = ("true", "yes", "1", "latest")

# ---- the names that runs of earlier versions (no manifest) gave their files ----------------------------------------
TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "added_tokens.json",
    "vocab.txt",
    "vocab.json",
    "merges.txt",
    "spiece.model",
    "spm.model",
    "sentencepiece.bpe.model",
    "tokenizer.model",
    "chat_template.jinja",
    "chat_template.json",
)
SAVED_MODEL_FILES = (
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "model-*-of-*.safetensors",
    "model.safetensors.index.json",
    "pytorch_model*.bin",
    "preprocessor_config.json",
    "processor_config.json",
    "training_args.bin",
    *TOKENIZER_FILES,
)
CHECKPOINT_FILES = (
    *SAVED_MODEL_FILES,
    "adapter_config.json",  # a LoRA run's checkpoints
    "adapter_model.safetensors",
    "adapter_model.bin",
    "trainer_state.json",
    "optimizer.pt",
    "scheduler.pt",
    "scaler.pt",
    "rng_state*.pth",
)
RUN_FILES = (
    *SAVED_MODEL_FILES,
    "trainer_state.json",
    "train_results.json",
    "eval_results.json",
    "predict_results.json",
    "all_results.json",
    "hyperparameter_search.json",
    "cross_validation_results.json",
)
# Beyond those, the names of files this version's runs write (a file of another name that appears while a run goes on
# is not the run's, `record_folder`); the run's card (README.md) and predictions are listed as it writes them
# (`adopt_files`), as an owner may well put files of those names into the folder.
PREDICTIONS_FILE = "predictions.csv"
RUN_SUBFOLDER_CARDS = ("lora_adapter/README.md", "lora_base/README.md")
ADAPTER_FILES = (
    "adapter_config.json",
    "adapter_model.safetensors",
    "adapter_model.bin",
    "preprocessor_config.json",
    *TOKENIZER_FILES,
)
EXPORT_FILES = (
    "model.onnx",
    "model.onnx.data",
    "model_int8.onnx",
    "model_int8.onnx.data",
    "export_report.json",
    "config.json",
    "preprocessor_config.json",
    *TOKENIZER_FILES,
)


class OutputDirError(ValueError):
    """Raised when a folder holds files a command would overwrite or cannot prove it wrote, or a checkpoint cannot be
    resumed."""


class DiskFullError(OutputDirError):
    """Raised when the disk of an output folder fills up while a command writes it."""


def is_disk_full(error: BaseException, folder: str | None = None) -> bool:
    """Whether `error` (raised while writing into `folder`) means that the disk is full: ENOSPC, safetensors' and
    torch's messages for it, or a write error with less than a MiB left on the folder's disk."""
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if "No space left on device" in str(error) or "os error 28" in str(error):
        return True
    if folder is not None and isinstance(error, (OSError, RuntimeError)) and os.path.isdir(folder):
        return shutil.disk_usage(folder).free < 2**20
    return False


def remove_final_model(output_dir: str) -> list[str]:
    """Remove the weights of a final model whose save was cut short (the disk filled up), so that what is left of it
    never loads as a finished model; they are the run's own files (`writing_output_dir` started the folder)."""
    removed = []
    for name in sorted(os.listdir(output_dir)):
        if _matches(name, ("model.safetensors", "model-*-of-*.safetensors", "model.safetensors.index.json")) or (
            _matches(name, ("pytorch_model*.bin",))
        ):
            os.remove(os.path.join(output_dir, name))
            removed.append(name)
    return removed


# ---- the manifest ---------------------------------------------------------------------------------------------------


def file_record(path: str, known: dict | None = None) -> dict:
    """Size, SHA-256 and modification time of a file: what a manifest keeps of it. `known`, a record of the same file
    that this command wrote earlier, is reused when size and modification time are unchanged (hashing every
    checkpoint again at the end of a run would cost seconds per gigabyte); checks always hash (`unowned_files`)."""
    status = os.stat(path)
    if isinstance(known, dict) and known.get("size") == status.st_size and known.get("mtime_ns") == status.st_mtime_ns:
        return known
    with open(path, "rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return {"size": status.st_size, "sha256": digest, "mtime_ns": status.st_mtime_ns}


def unchanged(folder: str, name: str, record) -> bool:
    """Whether the file `name` of `folder` is the one a manifest's `record` describes (same size and SHA-256)."""
    path = os.path.join(folder, name)
    if not isinstance(record, dict) or not os.path.isfile(path) or os.path.getsize(path) != record.get("size"):
        return False
    return file_record(path)["sha256"] == record.get("sha256")


def folder_entries(folder: str) -> tuple[list[str], list[str], list[str]]:
    """(files, empty folders, symbolic links) under `folder`, as paths relative to it with `/`; links are never
    followed."""
    files, empty, links = [], [], []
    for root, dirs, names in os.walk(folder):
        relative = os.path.relpath(root, folder)
        prefix = "" if relative == "." else relative.replace(os.sep, "/") + "/"
        for name in list(dirs):
            if os.path.islink(os.path.join(root, name)):
                links.append(prefix + name)
                dirs.remove(name)
        for name in names:
            (links if os.path.islink(os.path.join(root, name)) else files).append(prefix + name)
        if not dirs and not names and prefix:
            empty.append(prefix.rstrip("/"))
    return sorted(files), sorted(empty), sorted(links)


def read_manifest(folder: str) -> dict | None:
    """The manifest of `folder`; None when it has none. A manifest that does not parse proves nothing: it reads as one
    that lists no file."""
    path = os.path.join(folder, MANIFEST_NAME)
    if not os.path.isfile(path) or os.path.islink(path):
        return None
    try:
        with open(path) as handle:
            manifest = json.load(handle)
        if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
            raise ValueError("not a manifest")
    except (OSError, ValueError):
        logger.warning(f"{path} does not parse; no file of {folder!r} counts as written by this package.")
        return {"kind": None, "files": {}, "folders": [], "in_progress": []}
    return manifest


def _write_manifest(folder: str, manifest: dict) -> None:
    """Replace the manifest of `folder` in one step (a reader never sees half of one)."""
    handle, path = tempfile.mkstemp(prefix=".manifest-", dir=folder)
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(handle, 0o666 & ~umask)  # as any file the command writes, not mkstemp's owner-only mode
    with os.fdopen(handle, "w") as out:
        json.dump(manifest, out, indent=1, sort_keys=True)
    os.replace(path, os.path.join(folder, MANIFEST_NAME))


def _package_version() -> str:
    from . import __version__

    return __version__


def record_folder(folder: str, kind: str, keep_in_progress: bool = False) -> dict:
    """Write the manifest of `folder` listing the files in it now (with their size and hash), as written by `kind`.

    Call it when the command has finished writing, on a folder that held only files it owns when the command started
    (`check_folder_owned`). For an export (written in a fresh folder) every file there is the command's. A training run
    goes on for hours, while its owner may put files into its folder: a file that appeared or changed since the
    manifest listed it is taken for the run's only if a run writes files of its name (`_run_writes`); any other is
    left out (or keeps its earlier record, so that it reads as changed), is named in a warning, and stays the user's.
    `keep_in_progress` keeps the folders claimed as being written (`claim`), for a manifest written during a run.
    """
    previous = read_manifest(folder) or {}
    known = previous.get("files", {})
    # A checkpoint's files were listed when it was saved (`record_subfolder`), and the run never writes there again:
    # a file added to it or changed since is someone else's, and stays out of the listing (or keeps its old record).
    saved = {name.split("/", 1)[0] for name in known if CHECKPOINT.match(name.split("/", 1)[0]) and "/" in name}
    saved -= set(previous.get("in_progress", []))
    files, empty, _ = folder_entries(folder)
    known_folders = previous.get("folders", [])
    listed, others = {}, []
    for name in files:
        if name == MANIFEST_NAME:
            continue
        path, before = os.path.join(folder, name), known.get(name)
        record = file_record(path, before) if isinstance(before, dict) else None
        if record is not None and (record["size"], record["sha256"]) == (before.get("size"), before.get("sha256")):
            listed[name] = record  # unchanged since it was listed
        elif name.split("/", 1)[0] in saved or (kind == RUN and not _run_writes(folder, name)):
            others.append(name)
            if name in known:
                listed[name] = before
        else:
            listed[name] = record or file_record(path)
    if others:
        logger.warning(
            f"{folder}: {describe_files(others)} appeared or changed while the run went on, not written by it (it "
            f"writes no files of these names there): they are not listed as the run's ({MANIFEST_NAME}), so later "
            "commands leave them alone (and refuse to overwrite the folder or push them until they are moved out)."
        )
    manifest = {
        "kind": kind,
        "written_by": f"modeling_amsdff {_package_version()}",
        "files": listed,
        "folders": [name for name in empty if name.split("/", 1)[0] not in saved or name in known_folders],
        "in_progress": previous.get("in_progress", []) if keep_in_progress else [],
    }
    _write_manifest(folder, manifest)
    return manifest


def adopt_files(folder: str, names: list[str]) -> None:
    """List the files `names` (relative to `folder`), which the command has just written there, in its manifest: the
    files whose names alone do not prove them the run's (its model card, its predictions). No-op without a manifest."""
    manifest = read_manifest(folder)
    if manifest is None:
        return
    manifest["files"].update({name: file_record(os.path.join(folder, name)) for name in names})
    _write_manifest(folder, manifest)


def may_write(folder: str, name: str) -> bool:
    """Whether a run may write `name` (relative to its output folder `folder`): nothing is there, or the file there is
    listed in the folder's manifest of a run and unchanged since (its own, or an earlier run's it replaces)."""
    path = os.path.join(folder, name)
    if not os.path.lexists(path):
        return True
    manifest = read_manifest(folder)
    if manifest is None or manifest.get("kind") != RUN or os.path.islink(path):
        return False
    return unchanged(folder, name, manifest["files"].get(name))


def claim(folder: str, relative: str) -> None:
    """Record in the manifest of `folder` that this run is about to write the new subfolder `relative` (a checkpoint):
    its files count as the run's even when the run is killed before it can list them (those whose names a checkpoint
    or TensorBoard gives its files: `_earlier_run_owns`). No-op without a manifest."""
    manifest = read_manifest(folder)
    if manifest is None or os.path.lexists(os.path.join(folder, relative)):
        return
    manifest["in_progress"] = sorted({*manifest.get("in_progress", []), relative})
    _write_manifest(folder, manifest)


def claim_final_save(folder: str) -> None:
    """Record in the manifest of `folder` that the run is about to save its final model there: files of the names a
    saved model has count as the run's even when the run is killed before it can list them. No-op without a
    manifest; the run's last listing (`record_folder`) ends the claim."""
    manifest = read_manifest(folder)
    if manifest is None:
        return
    manifest["in_progress"] = sorted({*manifest.get("in_progress", []), FINAL_SAVE})
    _write_manifest(folder, manifest)


def record_subfolder(folder: str, relative: str) -> None:
    """List the files of the subfolder `relative` (a checkpoint just saved) in the manifest of `folder`, and drop files
    of subfolders that no longer exist (checkpoints the Trainer rotated away). No-op without a manifest."""
    manifest = read_manifest(folder)
    if manifest is None:
        return
    files, _, _ = folder_entries(os.path.join(folder, relative))
    listed = {name: record for name, record in manifest["files"].items() if os.path.isfile(os.path.join(folder, name))}
    listed.update({f"{relative}/{name}": file_record(os.path.join(folder, relative, name)) for name in files})
    manifest["files"] = listed
    manifest["in_progress"] = [name for name in manifest.get("in_progress", []) if name != relative]
    _write_manifest(folder, manifest)


# ---- whose files are in a folder ---------------------------------------------------------------------------------


def code_modules(folder: str) -> tuple[set[str], list[str]]:
    """The `*.py` files that a saved model folder's `auto_map`s name (the config's, the image processor's, the
    tokenizer's) and the modules they import (`from .x import`), recursively: the code `trust_remote_code` loads.
    Returns (those present, those named but missing)."""
    references = []
    for name in ("config.json", "preprocessor_config.json", "tokenizer_config.json"):
        try:
            with open(os.path.join(folder, name)) as handle:
                saved = json.load(handle)
        except (OSError, ValueError):
            continue
        auto_map = saved.get("auto_map") if isinstance(saved, dict) else None
        for value in (auto_map or {}).values() if isinstance(auto_map, dict) else []:
            references += [value] if isinstance(value, str) else [v for v in value or [] if isinstance(v, str)]
    pending = [reference.split("--")[-1].rsplit(".", 1)[0] for reference in references]
    found, missing = set(), []
    while pending:
        module = pending.pop()
        if module in found or f"{module}.py" in missing:
            continue
        path = os.path.join(folder, f"{module}.py")
        if not os.path.isfile(path):
            missing.append(f"{module}.py")
            continue
        found.add(module)
        with open(path, errors="replace") as handle:
            pending += re.findall(r"^\s*from \.(\w+) import", handle.read(), re.MULTILINE)
    return {f"{module}.py" for module in found}, sorted(missing)


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def _earlier_run_owns(folder: str, name: str) -> bool:
    """Whether a run of an earlier version (no manifest) wrote `name` (relative to its output folder `folder`)."""
    parts = name.split("/")
    if len(parts) == 1:
        return _matches(name, RUN_FILES) or name in code_modules(folder)[0]
    top, rest = parts[0], "/".join(parts[1:])
    # checkpoints and the LoRA folders: files of those names, and the code their configs name
    subfolder_files = {"lora_base": SAVED_MODEL_FILES, "lora_adapter": ADAPTER_FILES}
    patterns = CHECKPOINT_FILES if CHECKPOINT.match(top) else subfolder_files.get(top)
    if patterns:
        return len(parts) == 2 and (_matches(rest, patterns) or rest in code_modules(os.path.join(folder, top))[0])
    if top == "plots":
        return len(parts) == 2 and rest.endswith(".png")
    if top == "runs":  # TensorBoard: runs/<time_host>/events.out.tfevents.*
        return len(parts) >= 3 and parts[-1].startswith("events.out.tfevents.")
    return False


def _run_writes(folder: str, name: str) -> bool:
    """Whether a run of this version writes files named `name` (relative to its output folder `folder`): those of
    earlier versions' runs and the LoRA folders' cards; not the run's card and predictions (`adopt_files`)."""
    return name in RUN_SUBFOLDER_CARDS or _earlier_run_owns(folder, name)


def _earlier_export_owns(folder: str, name: str) -> bool:
    return "/" not in name and _matches(name, EXPORT_FILES)


def unowned_files(folder: str, kind: str, under: str | None = None) -> list[str]:
    """The entries of `folder` that a command of `kind` cannot prove a command of that kind wrote: not listed in the
    folder's manifest, changed since (size or hash), symbolic links, and empty folders the manifest does not list.
    Without a manifest, the names earlier versions gave their files decide (see the module docstring). `under`: only
    the entries in that subfolder (a checkpoint), as paths relative to `folder`."""
    if under is None:
        files, empty, links = folder_entries(folder)
    elif os.path.islink(os.path.join(folder, under)):
        files, empty, links = [], [], [under]
    else:
        entries = folder_entries(os.path.join(folder, under))
        files, empty, links = ([f"{under}/{name}" for name in names] for names in entries)
    manifest = read_manifest(folder)
    if manifest is None:
        owns = _earlier_run_owns if kind == RUN else _earlier_export_owns
        return links + [name for name in files if not owns(folder, name)] + [f"{name}/" for name in empty]
    if manifest.get("kind") != kind:
        return [name for name in files + links if name != MANIFEST_NAME] + [f"{name}/" for name in empty]
    claims = manifest.get("in_progress") if isinstance(manifest.get("in_progress"), list) else []
    claimed = [name for name in claims if isinstance(name, str) and name.strip("./")]
    final_save = kind == RUN and FINAL_SAVE in claims
    listed, foreign = manifest["files"], list(links)
    for name in files:
        if name == MANIFEST_NAME:
            continue
        if final_save and "/" not in name and _run_writes(folder, name):
            continue  # the run was saving its final model when it stopped: the files a saved model has
        if any(name.startswith(f"{folder_}/") for folder_ in claimed) and (
            kind != RUN or _earlier_run_owns(folder, name)
        ):
            continue  # a folder the run was writing when it stopped: the files a checkpoint or TensorBoard writes
        if not unchanged(folder, name, listed.get(name)):
            foreign.append(name)
    known_folders = set(manifest.get("folders", [])) | set(claimed)
    foreign += [f"{name}/" for name in empty if name not in known_folders]
    return sorted(foreign)


def describe_files(names: list[str], limit: int = 8) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def check_folder_owned(folder: str, kind: str, action: str) -> None:
    """Refuse (naming the files) when `folder` holds anything a command of `kind` cannot prove it wrote: `action` is
    what the command was about to do with the folder."""
    if not os.path.isdir(folder):
        return
    foreign = unowned_files(folder, kind)
    if not foreign:
        return
    manifest = read_manifest(folder)
    if manifest is not None and manifest.get("kind") not in (kind, None):
        why = f"its {MANIFEST_NAME} says {manifest.get('kind')} wrote it, not {kind}"
    elif manifest is not None:
        why = f"its {MANIFEST_NAME} does not list them, or they changed since"
    else:
        why = (
            f"it has no {MANIFEST_NAME}, and earlier versions never wrote files of these names (a README.md, or code "
            "the saved model does not import, never counts as theirs)"
        )
    raise OutputDirError(
        f"{action} {folder!r}, but it holds files this package cannot prove it wrote: {describe_files(foreign)} "
        f"({why}). They are left alone: move them out, or choose another folder."
    )


def same_or_nested(first: str, second: str) -> bool:
    """Whether two paths (resolved through symbolic links) are the same, or one lies inside the other."""
    a, b = os.path.realpath(first), os.path.realpath(second)
    return os.path.commonpath([a, b]) in (a, b)


# ---- a training run's output folder ---------------------------------------------------------------------------------


def check_output_dir(
    output_dir: str, overwrite: bool, resume: str | None = None, inputs: dict[str, str] | None = None
) -> None:
    """The checks of a run's output folder before anything is loaded.

    - It must not be, contain, or lie inside anything the run reads (`inputs`: argument name -> local path): the model
      it continues or evaluates, its data, its tokenizer ...
    - Everything already in it must be a run's (`unowned_files`), whatever the flags: the user's files are never
      overwritten, moved or deleted.
    - A folder that holds a saved model or checkpoints is refused unless the run resumes (`--resume_from_checkpoint`)
      or replaces it (`--overwrite_output_dir`, see `set_aside_previous_run`).
    """
    for name, path in (inputs or {}).items():
        if path and os.path.exists(path) and same_or_nested(output_dir, path):
            raise OutputDirError(
                f"--output_dir {output_dir!r} and --{name} {path!r} are the same folder or one holds the other: the "
                "run would write over what it reads. Choose another --output_dir."
            )
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise OutputDirError(f"--output_dir {output_dir!r} is a file, not a folder.")
    action = (
        "--overwrite_output_dir would replace the earlier run in"
        if overwrite and not resume
        else "--resume_from_checkpoint continues the run in"
        if resume
        else "The run would write into"
    )
    check_folder_owned(output_dir, RUN, action)
    if overwrite or resume or not os.path.isdir(output_dir):
        return
    found = [name for name in MODEL_FILES if os.path.exists(os.path.join(output_dir, name))]
    found += [os.path.basename(p) for p in os.listdir(output_dir) if CHECKPOINT.match(p)]
    if found:
        existing = ""
        try:
            with open(os.path.join(output_dir, "config.json")) as handle:
                config = json.load(handle)
            existing = f" (a {config.get('model_type', 'model')} {config.get('architectures') or ''})"
        except (OSError, ValueError, AttributeError):
            pass
        raise OutputDirError(
            f"Output folder {output_dir!r} already holds a model{existing}: {', '.join(sorted(found)[:5])}. Choose "
            "another --output_dir, pass --resume_from_checkpoint true to continue it, or --overwrite_output_dir to "
            "replace it."
        )


def set_aside_previous_run(output_dir: str) -> str | None:
    """Move an earlier run's files out of `output_dir` (into a hidden folder beside it), so that the folder ends up
    holding only this run's files. Checks again that all of them are a run's (`check_folder_owned`). Returns that
    folder, which `discard_previous_run` removes once this run has finished: a run that fails leaves the earlier one
    there, and says where."""
    if not os.path.isdir(output_dir) or not os.listdir(output_dir):
        return None
    check_folder_owned(output_dir, RUN, "--overwrite_output_dir would replace the earlier run in")
    target = os.path.realpath(output_dir)  # beside the real folder: a rename never crosses disks
    aside = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.previous-run-", dir=os.path.dirname(target))
    for name in os.listdir(target):
        os.rename(os.path.join(target, name), os.path.join(aside, name))
    logger.warning(f"--overwrite_output_dir: the earlier run's files are in {aside} until this run finishes.")
    return aside


def discard_previous_run(aside: str | None) -> None:
    """Remove the earlier run set aside (`set_aside_previous_run`) once this run has finished, after checking again
    that all of it is a run's: anything else (a file that came into the folder as it was moved, or into the hidden
    folder since) keeps the whole folder where it is, named in a warning."""
    if not aside or not os.path.isdir(aside):
        return
    foreign = unowned_files(aside, RUN)
    if foreign:
        logger.warning(
            f"Kept the earlier run's files in {aside}: it also holds files this package cannot prove a run wrote "
            f"({describe_files(foreign)}). Take what you need and remove the folder yourself."
        )
        return
    shutil.rmtree(aside)


def start_manifest(output_dir: str) -> None:
    """The manifest of a run that starts writing `output_dir` (which holds only a run's files, `check_output_dir`):
    the files already there, and the folders the run will fill (`runs/` for TensorBoard) claimed."""
    os.makedirs(output_dir, exist_ok=True)
    record_folder(output_dir, RUN, keep_in_progress=True)
    claim(output_dir, "runs")


# ---- checkpoints ---------------------------------------------------------------------------------------------------


def _weights_problem(path: str) -> str | None:
    """What is wrong with a weights file (its header, or its length against the header), read without loading it."""
    try:
        if path.endswith(".safetensors"):
            from safetensors import safe_open

            with safe_open(path, framework="numpy") as weights:
                weights.keys()
            with open(path, "rb") as handle:
                header_size = int.from_bytes(handle.read(8), "little")
                header = json.loads(handle.read(header_size))
            end = max((entry["data_offsets"][1] for key, entry in header.items() if key != "__metadata__"), default=0)
            if os.path.getsize(path) < 8 + header_size + end:
                return "truncated"
        elif path.endswith((".bin", ".pt", ".pth")):
            with zipfile.ZipFile(path) as archive:  # torch.save writes a zip; its directory is at the end
                archive.namelist()
    except Exception as error:  # noqa: BLE001 - any failure to read the header means a file that cannot load
        return f"unreadable: {str(error).splitlines()[0] if str(error) else type(error).__name__}"
    return None


def checkpoint_problems(path: str) -> list[str]:
    """What a checkpoint folder lacks to be resumed (empty for a complete one). The Trainer writes
    `trainer_state.json` last, so a save cut short (a killed process, a full disk) lacks it; a weights, optimizer or
    scheduler file whose header or length is wrong is named too."""
    problems = []
    if not os.path.isfile(os.path.join(path, "trainer_state.json")):
        problems.append("trainer_state.json")
    weights = [name for name in WEIGHT_FILES if os.path.isfile(os.path.join(path, name))]
    if not weights:
        problems.append("the model weights")
    for name in (*weights, "optimizer.pt", "scheduler.pt"):
        file = os.path.join(path, name)
        if not os.path.isfile(file) or name.endswith(".json"):
            continue
        if os.path.getsize(file) == 0:
            problems.append(f"{name} (empty)")
        elif problem := _weights_problem(file):
            problems.append(f"{name} ({problem})")
    return problems


def remove_checkpoint(run_dir: str, name: str) -> list[str]:
    """Remove the checkpoint folder `name` of the run writing `run_dir` (rotated out by `--save_total_limit`) if every
    entry in it is provably the run's (`unowned_files`); otherwise remove nothing and return the entries that are not
    (relative to `run_dir`), for the caller to name."""
    foreign = unowned_files(run_dir, RUN, under=name)
    if not foreign:
        shutil.rmtree(os.path.join(run_dir, name))
    return foreign


def last_complete_checkpoint(output_dir: str) -> str | None:
    """The checkpoint of `output_dir` with the highest step that can be resumed; incomplete ones are skipped (and
    logged)."""
    if not os.path.isdir(output_dir):
        return None
    steps = sorted(
        (int(match.group(1)), name)
        for name in os.listdir(output_dir)
        if (match := CHECKPOINT.match(name)) and os.path.isdir(os.path.join(output_dir, name))
    )
    for _, name in reversed(steps):
        path = os.path.join(output_dir, name)
        problems = checkpoint_problems(path)
        if not problems:
            return path
        logger.warning(f"Skipping incomplete checkpoint {path} (missing or broken: {', '.join(problems)}).")
    return None


def resolve_resume_checkpoint(value: str | bool | None, output_dir: str) -> str | None:
    """The checkpoint folder `--resume_from_checkpoint` names: a path (which must be complete), or `true` for the last
    complete checkpoint of `output_dir`; None to start afresh."""
    if value is None or value is False or str(value).lower() in ("false", "no", "0", ""):
        return None
    if value is True or str(value).lower() in TRUE:
        found = last_complete_checkpoint(output_dir)
        if found is None:
            raise OutputDirError(f"--resume_from_checkpoint true: {output_dir!r} holds no complete checkpoint.")
        return found
    if not os.path.isdir(value):
        raise OutputDirError(f"--resume_from_checkpoint {value!r} is not a checkpoint folder.")
    problems = checkpoint_problems(value)
    if problems:
        raise OutputDirError(
            f"--resume_from_checkpoint {value!r} is incomplete (missing or broken: {', '.join(problems)}); its save "
            "was cut short. Pass --resume_from_checkpoint true to resume from the last complete checkpoint."
        )
    return value

"""What a saved model carries to the Hub: exactly the code its model imports (no file of another family, no file that
nothing imports), and only public transformers API, so that a user's transformers can load it."""

import ast
import json
import sys
from pathlib import Path

import pytest
import transformers

import modeling_amsdff
from modeling_amsdff.registry import FAMILIES_BY_MODEL_TYPE

from model_cases import TINY_CONFIGS


PACKAGE = Path(modeling_amsdff.__file__).parent


def source_walk(family: str) -> set[str]:
    """The package's files a family's classes reach through relative imports (its config, model and image processor
    modules first): what its saved repository must hold. Derived, so a new family needs no list here."""
    entry = FAMILIES_BY_MODEL_TYPE[family]
    classes = [entry.config_class, entry.body_class, entry.model_class, entry.image_processor_class]
    pending = [f"{cls.__module__.rsplit('.', 1)[1]}.py" for cls in classes if cls is not None]
    reached = set()
    while pending:
        module = pending.pop()
        if module not in reached:
            reached.add(module)
            pending += relative_imports(PACKAGE / module)
    return reached


# Modules of transformers that its own model files import from (besides the top-level package).
TRANSFORMERS_MODULES = {"modeling_outputs", "modeling_utils", "initialization", "activations"}
# Third-party packages a shipped file may import: torch, and numpy (the image processors; transformers needs it).
THIRD_PARTY = {"torch", "numpy", "transformers"}


def save_repository(family: str, folder: Path) -> Path:
    entry = FAMILIES_BY_MODEL_TYPE[family]
    entry.model_class(TINY_CONFIGS[family]()).save_pretrained(folder)
    if entry.image_processor_class is not None:
        entry.image_processor_class().save_pretrained(folder)
    return folder


def relative_imports(path: Path) -> set[str]:
    """Modules named by `from .module import ...` in a file."""
    tree = ast.parse(path.read_text())
    return {f"{node.module}.py" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.level == 1}


def entry_modules(folder: Path) -> set[str]:
    """The modules that `auto_map` (config and image processor) names: where `trust_remote_code` starts loading."""
    names = set()
    for file in ("config.json", "preprocessor_config.json"):
        if (folder / file).is_file():
            auto_map = json.loads((folder / file).read_text()).get("auto_map", {})
            names |= {f"{reference.rsplit('.', 1)[0]}.py" for reference in auto_map.values()}
    return names


@pytest.mark.parametrize("family", sorted(FAMILIES_BY_MODEL_TYPE))
def test_a_saved_repository_ships_exactly_the_files_its_model_imports(family, tmp_path):
    folder = save_repository(family, tmp_path / family)
    shipped = {path.name for path in folder.glob("*.py")}
    reachable, pending = set(), list(entry_modules(folder))
    while pending:
        module = pending.pop()
        if module not in reachable:
            reachable.add(module)
            assert (folder / module).is_file(), f"{module} is imported but not shipped"
            pending += relative_imports(folder / module)
    assert shipped == reachable, f"shipped but imported by nothing: {sorted(shipped - reachable)}"
    assert shipped == source_walk(family)
    # every family carries its own two files and the config version rule, and nothing of another family
    assert {f"configuration_{family}.py", f"modeling_{family}.py", "configuration_common.py"} <= shipped
    others = {f"modeling_{other}.py" for other in FAMILIES_BY_MODEL_TYPE if other != family}
    assert not shipped & others


def shipped_modules() -> list[Path]:
    return sorted({PACKAGE / name for family in FAMILIES_BY_MODEL_TYPE for name in source_walk(family)})


@pytest.mark.parametrize("path", shipped_modules(), ids=lambda path: path.name)
def test_shipped_files_import_only_public_transformers_api(path):
    problems = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top not in THIRD_PARTY and top not in sys.stdlib_module_names:
                    problems.append(f"import {alias.name}")
                elif top == "transformers" and alias.name != "transformers":
                    problems.append(f"import {alias.name} (import from transformers' top level)")
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            top, _, rest = node.module.partition(".")
            names = [alias.name for alias in node.names]
            if top not in THIRD_PARTY and top not in sys.stdlib_module_names:
                problems.append(f"from {node.module} import {names}")
            elif node.module == "transformers":
                private = [n for n in names if n not in transformers.__all__ and n not in TRANSFORMERS_MODULES]
                if private:
                    problems.append(f"from transformers import {private}: not exported by transformers")
            elif top == "transformers" and rest not in TRANSFORMERS_MODULES:
                problems.append(f"from {node.module} import {names}: not a module transformers' models import from")
    assert not problems, problems

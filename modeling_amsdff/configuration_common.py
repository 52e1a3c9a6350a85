# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""What every family's config shares (saved with each): one rule for the versions of saved configs, the arguments
renamed since 0.1.0, and the body's entry in `auto_map`.

Every config this package saves names the package version that wrote it (`modeling_amsdff_version`, beside
transformers' own `transformers_version`). Reading a config:

- a dict that names the version that wrote it is read as it says (AMSDFF's `architecture_revision` included);
- a dict written by `save_pretrained` before the version was recorded (it has `transformers_version` but no
  `modeling_amsdff_version`: versions 0.1-0.2, and 0.3 models saved before this rule) is migrated by its family's
  `from_unversioned`, which knows what those versions meant by a missing key;
- a saved dict (either of the two above) written before a default changed (`changed_defaults`) and without that
  argument gets the default of the version that wrote it (`save_pretrained` writes every argument, so this is for
  configs trimmed by hand);
- any other dict (written by hand: `AmsdffConfig.from_dict({"num_labels": 3})`) is today's config, exactly as the
  constructor builds it.

Arguments renamed since 0.1.0 (`renamed_arguments`, old name -> today's) are read under their old name by the
constructor and by `from_dict` alike, and saved under the new one. This file imports only the standard library.
"""

from __future__ import annotations

import logging


logger = logging.getLogger(__name__)

PACKAGE_VERSION = "0.4.0"  # the version of modeling_amsdff (`modeling_amsdff.__version__` is this)
VERSION_KEY = "modeling_amsdff_version"


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:3] if part.isdigit())


class VersionedConfigMixin:
    """The version rule above, for a `PreTrainedConfig` subclass (put it first among the bases)."""

    # Arguments renamed since 0.1.0: old name -> today's name.
    renamed_arguments: dict[str, str] = {}
    # Defaults changed since 0.1.0: the version that changed them -> {argument: its default before that version}.
    changed_defaults: dict[str, dict[str, object]] = {}

    def __post_init__(self, **kwargs):
        for old, new in self.renamed_arguments.items():
            if old in kwargs:
                setattr(self, new, kwargs.pop(old))
        kwargs.pop(VERSION_KEY, None)  # a saved dict handed to the constructor: the version is not an argument
        super().__post_init__(**kwargs)

    @classmethod
    def from_unversioned(cls, config_dict: dict) -> dict:
        """A dict saved before the version was recorded, rewritten as today's config reads it (the family's rules)."""
        return config_dict

    @classmethod
    def from_dict(cls, config_dict: dict, **kwargs):
        config_dict = dict(config_dict)
        saved_by = config_dict.pop(VERSION_KEY, None)
        written = _version_tuple(str(saved_by or "0"))  # (0,): saved before versions were recorded
        if saved_by is not None or "transformers_version" in config_dict:  # saved, not written by hand
            for version, defaults in cls.changed_defaults.items():
                if written < _version_tuple(version):
                    config_dict = {**defaults, **config_dict}
        if saved_by is None and "transformers_version" in config_dict:
            config_dict = cls.from_unversioned(config_dict)
        elif written > _version_tuple(PACKAGE_VERSION):
            logger.warning(
                f"This {cls.__name__} was saved by modeling_amsdff {saved_by}, newer than this code "
                f"({PACKAGE_VERSION}): arguments it added are kept as plain attributes."
            )
        return super().from_dict(config_dict, **kwargs)

    def to_dict(self) -> dict:
        return {**super().to_dict(), VERSION_KEY: PACKAGE_VERSION}

    def to_diff_dict(self) -> dict:
        return {**super().to_diff_dict(), VERSION_KEY: PACKAGE_VERSION}


def as_tuple(value):
    """JSON turns tuples into lists; normalise so that a config round-trips to an equal object."""
    return tuple(value) if isinstance(value, list) else value


def name_body_in_auto_map(model, body_class: type) -> None:
    """A task model's saved config names its body for `AutoModel` too: `register_for_auto_class` records one Auto
    class per class, so without this a saved folder would load with the task's Auto class only. Call it in the task
    model's `__init__` (it does nothing where the model is not saved with its code)."""
    if model.is_remote_code():
        model.config.auto_map = {
            **(getattr(model.config, "auto_map", None) or {}),
            "AutoModel": f"{body_class.__module__.split('.')[-1]}.{body_class.__name__}",
        }


__all__ = ["PACKAGE_VERSION", "VERSION_KEY", "VersionedConfigMixin", "as_tuple", "name_body_in_auto_map"]

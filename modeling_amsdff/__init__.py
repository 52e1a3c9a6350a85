# Copyright 2026 The modeling_amsdff authors. Licensed under the Apache License, Version 2.0.
"""Hugging Face-native implementations of AMSDFF, the emotion-regression heads (base, gated, mixture of experts),
AMSRA-Net and its CIFAR ResNet baseline.

Importing the package registers every family of `registry.FAMILIES` with the `Auto*` classes and marks its classes
for saving with their code (`registry.register_family`), so that `save_pretrained` writes a folder that
`AutoModelFor<Task>.from_pretrained(folder, trust_remote_code=True)` loads where this package is not installed. The
package exports what each family's configuration, modeling and image-processing files list in their `__all__`: a new
family is exported by its registry entry. This file is never copied to the Hub.
"""

import sys

from .configuration_common import PACKAGE_VERSION
from .image_processing_channel_conversion import ChannelConvertingImageProcessor  # noqa: F401 (shared, exported)
from .registry import FAMILIES


__version__ = PACKAGE_VERSION


def _family_exports() -> dict[str, type]:
    """The public classes of every family's own files (their `__all__`), by name."""
    exports = {}
    for family in FAMILIES:
        classes = (family.config_class, family.body_class, family.model_class, family.image_processor_class)
        for module in dict.fromkeys(cls.__module__ for cls in classes if cls is not None):
            exports.update({name: getattr(sys.modules[module], name) for name in sys.modules[module].__all__})
    return exports


globals().update(_family_exports())
__all__ = sorted([*_family_exports(), "ChannelConvertingImageProcessor"])

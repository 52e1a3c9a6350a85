"""transformers' own model test battery (`ModelTesterMixin`, `ConfigTester`) run against every model family of the
package: one test class per family, made from its entry in `model_cases.BATTERY_CASES` (the tiny config of
`TINY_CONFIGS`, what the battery's checks read from a model tester, and the battery tests that cannot apply, with the
reason); `test_every_family_has_a_battery_case` fails for a registered family without one.

The battery comes from the transformers source distribution of the installed version
(tests/fetch_transformers_tests.py, which scripts/run_tests.sh runs first).
"""

import operator
import unittest

import pytest
import torch
from transformers.models.auto import modeling_auto

from modeling_amsdff.registry import FAMILIES

from model_cases import BATCH, BATTERY_CASES, TINY_CONFIGS, image_inputs, text_inputs


try:
    from hf_battery.test_configuration_common import ConfigTester
    from hf_battery.test_modeling_common import ModelTesterMixin
except ImportError as error:  # pragma: no cover - the test command always fetches it
    pytest.skip(
        f"transformers' test battery is not fetched ({error}); run tests/fetch_transformers_tests.py",
        allow_module_level=True,
    )


class FamilyModelTester:
    """The model tester the battery expects (`get_config`, `prepare_config_and_inputs_for_common` and the attributes
    its checks read), for one `BatteryCase`."""

    def __init__(self, parent, case):
        self.parent, self.case = parent, case
        self.batch_size = BATCH
        self.is_training = True
        for name, value in case.tester_attributes.items():
            setattr(self, name, value)

    def get_config(self):
        return TINY_CONFIGS[self.case.model_type](**self.case.config_kwargs)

    def prepare_config_and_inputs_for_common(self):
        config = self.get_config()
        if self.case.family.is_image:
            inputs = image_inputs(self.batch_size, channels=self.num_channels, size=self.image_size)
        else:
            inputs = text_inputs(self.batch_size, self.seq_length)
        return config, inputs


class FamilyBatteryTest(ModelTesterMixin):
    case = None  # the family's BatteryCase, set on each generated class
    test_torch_exportable = False  # the stub ExportTesterMixin runs nothing; export is tested in test_export.py

    def setUp(self):
        self.model_tester = FamilyModelTester(self, self.case)
        self.config_tester = ConfigTester(self, config_class=self.case.family.config_class, **self.case.config_tester)

    def test_config(self):
        self.config_tester.run_common_tests()

    def test_hidden_states_output(self):
        if self.case.stage_shapes is None:
            return super().test_hidden_states_output()
        # A convolutional network's hidden states are its stem and stages, (channels, side) each, not a
        # transformer's per-layer (sequence, hidden) states.
        config, inputs = self.model_tester.prepare_config_and_inputs_for_common()
        for model_class in self.all_model_classes:
            model = model_class(config).eval()
            with torch.no_grad():
                states = model(**inputs, output_hidden_states=True).hidden_states
            self.assertEqual([(s.shape[1], s.shape[-1]) for s in states], list(self.case.stage_shapes))


def add_to_battery_mappings(family, setitem=operator.setitem) -> None:
    """The battery decides which labels to build from transformers' model-name mappings: add the family's models."""
    task_names = (
        modeling_auto.MODEL_FOR_IMAGE_CLASSIFICATION_MAPPING_NAMES
        if family.is_image
        else modeling_auto.MODEL_FOR_SEQUENCE_CLASSIFICATION_MAPPING_NAMES
    )
    setitem(modeling_auto.MODEL_MAPPING_NAMES, family.model_type, family.body_class.__name__)
    setitem(task_names, family.model_type, family.model_class.__name__)


def battery_class(case, setitem=operator.setitem) -> type:
    """The battery's test class for one `BatteryCase` (its models added to the mappings with `setitem`)."""
    family = case.family
    add_to_battery_mappings(family, setitem)
    attributes = {
        "case": case,
        "all_model_classes": (family.model_class,)
        if case.task_model_only
        else (family.body_class, family.model_class),
        "has_attentions": case.has_attentions,
        "test_resize_embeddings": not family.is_image,  # an image model has no token embeddings
        "__doc__": f"transformers' battery on the {family.model_type} family.",
    }
    for name, reason in case.not_applicable.items():
        attributes[name] = unittest.skip(reason)(getattr(ModelTesterMixin, name))
    return type(
        f"{family.config_class.__name__.removesuffix('Config')}BatteryTest",
        (FamilyBatteryTest, unittest.TestCase),
        attributes,
    )


for _case in BATTERY_CASES:
    _class = battery_class(_case)
    globals()[_class.__name__] = _class
del _case, _class  # not test classes of their own


def test_every_family_has_a_battery_case():
    assert {family.model_type for family in FAMILIES} == {case.model_type for case in BATTERY_CASES}

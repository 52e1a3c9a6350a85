"""transformers' own model test battery (`ModelTesterMixin`, `ConfigTester`) run against this package's models.

The battery comes from the transformers source distribution of the installed version
(tests/fetch_transformers_tests.py, which scripts/run_tests.sh runs first). Tests that cannot apply to these models
are skipped with the reason.
"""

import unittest

import pytest

from modeling_amsdff import (
    AmsdffConfig,
    AmsdffForSequenceClassification,
    AmsdffModel,
    AmsraNetConfig,
    AmsraNetForImageClassification,
    AmsraNetModel,
    EmotionRegressionConfig,
    EmotionRegressionForSequenceClassification,
    EmotionRegressionModel,
)

from model_cases import (
    BATCH,
    HIDDEN,
    SEQ,
    VOCAB,
    image_inputs,
    text_inputs,
    tiny_amsdff_config,
    tiny_amsra_config,
    tiny_emotion_config,
)


try:
    from hf_battery.test_configuration_common import ConfigTester
    from hf_battery.test_modeling_common import ModelTesterMixin
except ImportError as error:  # pragma: no cover - the test command always fetches it
    pytest.skip(
        f"transformers' test battery is not fetched ({error}); run tests/fetch_transformers_tests.py",
        allow_module_level=True,
    )


class AmsdffModelTester:
    """Tiny AMSDFF on a 2-layer BERT encoder: batch 13, sequence 7, hidden 32, as transformers' testers use."""

    def __init__(self, parent):
        self.parent = parent
        self.batch_size = BATCH
        self.seq_length = SEQ
        self.vocab_size = VOCAB
        self.hidden_size = HIDDEN
        self.num_hidden_layers = 2
        self.num_attention_heads = 4
        self.num_labels = 3
        self.is_training = True
        self.type_sequence_label_size = 3

    def get_config(self) -> AmsdffConfig:
        return tiny_amsdff_config("bert", num_labels=self.num_labels)

    def prepare_config_and_inputs_for_common(self):
        return self.get_config(), text_inputs(self.batch_size, self.seq_length)


class AmsdffBatteryTest(ModelTesterMixin, unittest.TestCase):
    all_model_classes = (AmsdffModel, AmsdffForSequenceClassification)
    test_torch_exportable = False  # the stub ExportTesterMixin runs nothing; export is tested separately

    def setUp(self):
        self.model_tester = AmsdffModelTester(self)
        # Scalar AMSDFF arguments only: ConfigTester compares its inputs with the JSON it reads back, and a nested
        # backbone dict comes back with the encoder's defaults filled in.
        self.config_tester = ConfigTester(
            self,
            config_class=AmsdffConfig,
            has_text_modality=False,
            num_experts=4,
            classification_loss="focal",
            pooling_fusion="weighted",
        )

    def test_config(self):
        self.config_tester.run_common_tests()


class EmotionRegressionModelTester(AmsdffModelTester):
    """Tiny mixture-of-experts regression head on a 2-layer BERT. One output: the battery's sequence-classification
    label tests pass one target per example."""

    def __init__(self, parent):
        super().__init__(parent)
        self.num_labels = 1

    def get_config(self) -> EmotionRegressionConfig:
        # Target statistics as train.py stores them: re-heading the model (the battery's mismatched-shapes tests load
        # it with num_labels=42) must drop statistics of the old targets.
        return tiny_emotion_config("bert", head_type="moe", num_labels=1, label_means=(0.5,), label_scales=(2.0,))


class EmotionRegressionBatteryTest(ModelTesterMixin, unittest.TestCase):
    all_model_classes = (EmotionRegressionModel, EmotionRegressionForSequenceClassification)
    test_torch_exportable = False

    def setUp(self):
        self.model_tester = EmotionRegressionModelTester(self)
        self.config_tester = ConfigTester(
            self,
            config_class=EmotionRegressionConfig,
            has_text_modality=False,
            head_type="gated",
            gate_activation="sigmoid",
            huber_delta=0.5,
        )

    def test_config(self):
        self.config_tester.run_common_tests()


class AmsraNetModelTester:
    """Tiny AMSRA-Net: 13 RGB images of 16x16, stage widths (8, 16, 16, 32), one unit per stage."""

    def __init__(self, parent):
        self.parent = parent
        self.batch_size = BATCH
        self.num_channels = 3
        self.image_size = 16
        self.num_labels = 3
        self.is_training = True
        self.hidden_sizes = (8, 16, 16, 32)
        self.num_stages = 4

    def get_config(self) -> AmsraNetConfig:
        return tiny_amsra_config(num_labels=self.num_labels)

    def prepare_config_and_inputs_for_common(self):
        return self.get_config(), image_inputs(self.batch_size, channels=self.num_channels, size=self.image_size)


class AmsraNetBatteryTest(ModelTesterMixin, unittest.TestCase):
    all_model_classes = (AmsraNetModel, AmsraNetForImageClassification)
    has_attentions = False  # LGSA computes its attention with SDPA and returns none
    test_resize_embeddings = False  # an image model has no token embeddings
    test_torch_exportable = False

    def setUp(self):
        self.model_tester = AmsraNetModelTester(self)
        # An image model's common properties, not a transformer's (heads, layers); lists as JSON gives them back.
        self.config_tester = ConfigTester(
            self,
            config_class=AmsraNetConfig,
            has_text_modality=False,
            common_properties=["hidden_size", "num_channels", "image_size"],
            num_channels=1,
            depths=[1, 2, 2, 1],
            use_lgsa=False,
        )

    def test_config(self):
        self.config_tester.run_common_tests()

    def test_hidden_states_output(self):
        # The battery's version expects a transformer's per-layer states; this model returns the stem and the four
        # stages, with shrinking resolution.
        config, inputs = self.model_tester.prepare_config_and_inputs_for_common()
        for model_class in self.all_model_classes:
            model = model_class(config).eval()
            states = model(**inputs, output_hidden_states=True).hidden_states
            self.assertEqual(len(states), 5)
            self.assertEqual([s.shape[1] for s in states], [8, 8, 16, 16, 32])
            self.assertEqual([s.shape[-1] for s in states], [16, 16, 8, 4, 2])


# Battery tests that cannot apply, with the reason (every other test of the battery runs, on every family).
NOT_APPLICABLE = {
    AmsraNetBatteryTest: {"test_model_get_set_embeddings": "an image model has no token embeddings"},
}
for _test_class, _tests in NOT_APPLICABLE.items():
    for _name, _reason in _tests.items():
        setattr(_test_class, _name, unittest.skip(_reason)(getattr(_test_class, _name)))
del _test_class, _tests, _name, _reason  # not test classes of their own

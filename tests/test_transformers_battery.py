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
    EmotionRegressionConfig,
    EmotionRegressionForSequenceClassification,
    EmotionRegressionModel,
)

from model_cases import BATCH, HIDDEN, SEQ, VOCAB, text_inputs, tiny_amsdff_config, tiny_emotion_config


try:
    from hf_battery.test_configuration_common import ConfigTester
    from hf_battery.test_modeling_common import ModelTesterMixin
except ImportError as error:  # pragma: no cover - the test command always fetches it
    pytest.skip(f"transformers' test battery is not fetched ({error}); run tests/fetch_transformers_tests.py",
                allow_module_level=True)  # fmt: skip


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


# Battery tests that do not apply to a composite "pretrained encoder + new head" model, with the reason.
NOT_APPLICABLE = {
    "test_resize_embeddings": "the vocabulary belongs to the nested encoder; resizing is delegated to it and "
    "covered by transformers' own tests of that encoder",
    "test_resize_tokens_embeddings": "as test_resize_embeddings",
    "test_resize_embeddings_untied": "as test_resize_embeddings",
    "test_model_get_set_embeddings": "as test_resize_embeddings",
    "test_mismatched_shapes_have_properly_initialized_weights": "the encoder's own init is tested by transformers",
}


class AmsdffBatteryTest(ModelTesterMixin, unittest.TestCase):
    all_model_classes = (AmsdffModel, AmsdffForSequenceClassification)
    test_resize_embeddings = False
    test_torch_exportable = False  # the stub ExportTesterMixin runs nothing; export is tested separately
    _is_composite = True  # the encoder is a sub-model with its own config: run the attention-dispatch tests

    def setUp(self):
        self.model_tester = AmsdffModelTester(self)
        # Scalar AMSDFF arguments only: ConfigTester compares its inputs with the JSON it reads back, and a nested
        # backbone dict comes back with the encoder's defaults filled in.
        self.config_tester = ConfigTester(self, config_class=AmsdffConfig, has_text_modality=False, num_experts=4,
                                          loss_type="focal", pooling_fusion="weighted")  # fmt: skip

    def test_config(self):
        self.config_tester.run_common_tests()


class EmotionRegressionModelTester(AmsdffModelTester):
    """Tiny mixture-of-experts regression head on a 2-layer BERT. One output: the battery's sequence-classification
    label tests pass one target per example."""

    def __init__(self, parent):
        super().__init__(parent)
        self.num_labels = 1

    def get_config(self) -> EmotionRegressionConfig:
        return tiny_emotion_config("bert", head_type="moe", num_labels=1, label_means=None, label_scales=None)


class EmotionRegressionBatteryTest(ModelTesterMixin, unittest.TestCase):
    all_model_classes = (EmotionRegressionModel, EmotionRegressionForSequenceClassification)
    test_resize_embeddings = False
    test_torch_exportable = False
    _is_composite = True

    def setUp(self):
        self.model_tester = EmotionRegressionModelTester(self)
        self.config_tester = ConfigTester(self, config_class=EmotionRegressionConfig, has_text_modality=False,
                                          head_type="gated", gate_activation="sigmoid", huber_delta=0.5)  # fmt: skip

    def test_config(self):
        self.config_tester.run_common_tests()


for _test_class in (AmsdffBatteryTest, EmotionRegressionBatteryTest):
    for _name, _reason in NOT_APPLICABLE.items():
        if hasattr(_test_class, _name):
            setattr(_test_class, _name, unittest.skip(_reason)(getattr(_test_class, _name)))
del _test_class  # not a test class of its own

"""The model zoo: pure `nn.Module`s, no I/O, no devices, no config parsing.

Every recurrent model has `forward(x, state=None, ...) -> (out, state)`; state is never kept on
`self`, so one module can serve many independent streams (sampling, serving, TBPTT).
"""

from rnnkit.models.attention import AdditiveAttention, Attended, AttentionLSTM
from rnnkit.models.bidirectional import BiLSTMEncoder
from rnnkit.models.charlm import CharLM
from rnnkit.models.encoders import ENCODER_KINDS, recurrent_encoder
from rnnkit.models.forecaster import WindowForecaster
from rnnkit.models.classifier import CLASSIFIER_KINDS, Classified, SequenceClassifier
from rnnkit.models.recurrent import RecurrentCore
from rnnkit.models.state import State, detach_state, select_state, state_to

__all__ = [
    "AdditiveAttention",
    "Attended",
    "AttentionLSTM",
    "BiLSTMEncoder",
    "CLASSIFIER_KINDS",
    "CharLM",
    "ENCODER_KINDS",
    "Classified",
    "RecurrentCore",
    "SequenceClassifier",
    "State",
    "detach_state",
    "recurrent_encoder",
    "select_state",
    "state_to",
    "WindowForecaster",
]

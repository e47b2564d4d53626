"""Regressions found by running ordinary PyTorch programs with chainrule (tests/ported/)."""

import torch

import chainrule as cr


def _tied(lib):
    """A decoder whose weight is tied to the encoder's after both are built."""
    nn = lib.nn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = nn.Embedding(5, 3)
            self.decoder = nn.Linear(3, 5)
            self.decoder.weight = self.encoder.weight
            self.register_buffer("steps", lib.zeros(()))
            self.register_buffer("scale", lib.ones(()))
            self.register_buffer("steps", lib.ones(()))      # registered again: same place
            self.head = nn.Identity()
            self.register_parameter("gain", nn.Parameter(lib.ones(2)))
            self.head = nn.Linear(3, 3)                     # assigned again: same place

    return Model()


def test_reassigned_parameters_buffers_and_modules_keep_their_place():
    ours, theirs = _tied(cr), _tied(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert list(ours.state_dict())[:5] == ["gain", "steps", "scale", "encoder.weight",
                                           "decoder.weight"]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert ours.decoder.weight is ours.encoder.weight

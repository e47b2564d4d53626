"""chainrule.optim: optimizers and learning-rate schedulers with PyTorch's names.

The :class:`Optimizer` base owns the loop (param groups, ``zero_grad``, ``step``,
state dicts); each update rule is one small class.

>>> import chainrule as cr
>>> from chainrule import optim
>>> w = cr.tensor([3.0], requires_grad=True)
>>> opt = optim.SGD([w], lr=0.25)
>>> for _ in range(3):
...     opt.zero_grad()
...     ((w - 1.0) ** 2).sum().backward()
...     opt.step()
>>> w                     # halves the distance to 1 each step
tensor([1.25], requires_grad=True)
"""

from . import lr_scheduler, swa_utils
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .asgd import ASGD
from .lbfgs import LBFGS
from .muon import Muon
from .nadam import NAdam
from .optimizer import Optimizer
from .radam import RAdam
from .rmsprop import RMSprop
from .rprop import Rprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax",
           "NAdam", "RAdam", "ASGD", "Rprop", "Adafactor", "Muon", "LBFGS", "lr_scheduler",
           "swa_utils"]

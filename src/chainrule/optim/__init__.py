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

from . import lr_scheduler
from .adam import Adam
from .adamw import AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "lr_scheduler"]

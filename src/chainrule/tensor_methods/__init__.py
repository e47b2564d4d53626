"""Tensor's methods, grouped by the same kinds as :mod:`chainrule.ops`.

Each module holds one slot-less mixin class (``ElementwiseMethods``,
``ReduceMethods``, ...) that :class:`chainrule.Tensor` inherits, and the free
functions of its kind (``chainrule.cat``, ``chainrule.where``, ...). A method
normalises what the user wrote (``dim=``, negative dims, Tensors inside indices),
checks it, and hands the arrays to an op of the same group through
:func:`chainrule.tensor._apply`: reading ``max`` means ``ops/reduce.py`` plus
``tensor_methods/reduce.py``.

These modules are imported by :mod:`chainrule.tensor` while it defines Tensor
(after ``_apply``), never on their own.
"""

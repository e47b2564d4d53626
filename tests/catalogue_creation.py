"""Catalogue cases of the creation family: meshgrid (differentiable: each grid is an expand of
its input) and the dtype/device methods that keep a tensor in the graph (``to``, ``cpu``,
``type``); casts to integers and bools are compared on values (no gradient)."""

from __future__ import annotations

from op_catalogue import Case, cases

CASES = [
    *cases("meshgrid_ij", lambda m, a, b: m.meshgrid(a, b, indexing="ij"),
           [[(3,), (4,)], [(), (2,)]]),
    *cases("meshgrid_xy", lambda m, a, b, c: m.meshgrid(a, b, c, indexing="xy"),
           [[(2,), (3,), (4,)]]),
    *cases("meshgrid_list_xy_weighted",
           lambda m, a, b: [g * g.exp() for g in m.meshgrid([a, b], indexing="xy")],
           [[(3,), (2,)]]),
    *cases("to_device_and_copy", lambda m, a: a.to("cpu") * a.to(a.dtype, copy=True).cpu(),
           [[(2, 3)], [()]]),
    *cases("to_other_tensor", lambda m, a, b: a.to(b) + b.to(device="cpu", copy=True) * a,
           [[(2, 3), (3,)]]),
    *cases("type_same_dtype", lambda m, a: a.type(a.dtype) * a.to(dtype=a.dtype), [[(4,)]]),
]

NONDIFF_CASES = [
    Case("to_int64", lambda m, a: (a * 10).to(m.int64), ((2, 3),)),
    Case("to_device_dtype", lambda m, a: (a * 10).to("cpu", m.int32), ((2, 3),)),
    Case("long", lambda m, a: (a * 10).long(), ((2, 3),)),
    Case("int_short_char", lambda m, a: (a * 10).int() + (a * 10).short() + (a * 10).char(),
         ((2, 3),)),
    Case("bool", lambda m, a: (a > 0).float().bool(), ((2, 3),)),
    Case("type_legacy_string", lambda m, a: (a * 10).type("torch.LongTensor"), ((2, 3),)),
    Case("type_legacy_class", lambda m, a: (a * 10).type(m.IntTensor), ((3,),)),
]

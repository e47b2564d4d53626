"""Random draws: generators (seeding, state, reproducibility), the distributions' shapes, dtypes
and statistics, multinomial's rules, in-place fills under the in-place rules, and PyTorch's
zero gradients through a draw. Statistics are checked with seeded generators, so every run
draws the same numbers."""

from __future__ import annotations

import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
import torch

import chainrule as cr

# ---------------------------------------------------------------------------
# Generators, seeds and states
# ---------------------------------------------------------------------------

DRAWS = {
    "rand": lambda g: cr.rand(3, generator=g),
    "randn": lambda g: cr.randn(2, 2, generator=g, dtype=cr.float64),
    "randint": lambda g: cr.randint(0, 100, (4,), generator=g),
    "randperm": lambda g: cr.randperm(6, generator=g),
    "normal": lambda g: cr.normal(1.0, 2.0, (3,), generator=g),
    "normal_tensor": lambda g: cr.normal(cr.zeros(3), cr.ones(3), generator=g),
    "bernoulli": lambda g: cr.bernoulli(cr.full((5,), 0.5), generator=g),
    "multinomial": lambda g: cr.multinomial(cr.ones(5), 3, generator=g),
    "poisson": lambda g: cr.poisson(cr.full((4,), 3.0), generator=g),
    "rand_like": lambda g: cr.rand_like(cr.ones(3), generator=g),
    "uniform_": lambda g: cr.empty(3).uniform_(generator=g),
    "normal_": lambda g: cr.empty(3).normal_(generator=g),
    "random_": lambda g: cr.empty(3).random_(10, generator=g),
    "exponential_": lambda g: cr.empty(3).exponential_(generator=g),
    "bernoulli_": lambda g: cr.empty(3).bernoulli_(0.5, generator=g),
    "geometric_": lambda g: cr.empty(3).geometric_(0.3, generator=g),
    "log_normal_": lambda g: cr.empty(3).log_normal_(generator=g),
    "cauchy_": lambda g: cr.empty(3).cauchy_(generator=g),
}


@pytest.mark.parametrize("name", sorted(DRAWS))
def test_a_seeded_generator_repeats_its_draws_and_leaves_the_default_alone(name):
    draw = DRAWS[name]
    cr.manual_seed(5)
    expected_default = cr.rand(2)
    cr.manual_seed(5)
    first = draw(cr.Generator().manual_seed(11))
    again = draw(cr.Generator().manual_seed(11))
    other = draw(cr.Generator().manual_seed(12))
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    assert not np.array_equal(first.numpy(), other.numpy()) or name == "multinomial"
    np.testing.assert_array_equal(cr.rand(2).numpy(), expected_default.numpy())


def test_generator_seed_state_and_initial_seed_as_torch():
    g = cr.Generator()
    assert g.initial_seed() == torch.Generator().initial_seed() == 67280421310721
    assert g.device == cr.device("cpu")
    assert g.manual_seed(3) is g and g.initial_seed() == 3
    assert g.manual_seed(-1).initial_seed() == torch.Generator().manual_seed(-1).initial_seed()
    assert g.manual_seed(1.5).initial_seed() == 1 and g.manual_seed("7").initial_seed() == 7
    state = g.get_state()
    assert isinstance(state, cr.Tensor) and state.dtype == cr.uint8 and state.ndim == 1
    a = cr.rand(4, generator=g)
    twin = cr.Generator().set_state(state)
    assert twin.initial_seed() == 7
    np.testing.assert_array_equal(cr.rand(4, generator=twin).numpy(), a.numpy())
    new_seed = g.seed()
    assert g.initial_seed() == new_seed and 0 <= new_seed < 2 ** 64
    with pytest.raises(ValueError, match="seed must be in"):
        g.manual_seed(2 ** 64)
    with pytest.raises(TypeError, match="uint8 tensor"):
        g.set_state(cr.zeros(3))
    with pytest.raises(ValueError, match="not a generator state"):
        g.set_state(cr.zeros(3, dtype=cr.uint8))
    with pytest.raises(RuntimeError, match="not available"):
        cr.Generator("cuda")
    with pytest.raises(TypeError, match="generator must be a chainrule.Generator"):
        cr.rand(2, generator=3)


def test_global_seed_and_state_functions():
    assert cr.manual_seed(9) is cr.random.default_generator is cr.default_generator
    assert cr.initial_seed() == 9
    state = cr.get_rng_state()
    a = cr.randn(5)
    cr.set_rng_state(state)
    np.testing.assert_array_equal(cr.randn(5).numpy(), a.numpy())
    seed = cr.seed()
    assert cr.initial_seed() == seed
    cr.manual_seed(0)
    with cr.random.fork_rng():
        cr.rand(100)
    after_fork = cr.rand(3)
    cr.manual_seed(0)
    np.testing.assert_array_equal(cr.rand(3).numpy(), after_fork.numpy())


def test_an_unseeded_process_draws_fresh_numbers_as_torch():
    code = "import chainrule as cr; print(cr.initial_seed(), cr.rand(1).item())"
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, timeout=120).stdout for _ in range(2)}
    assert len(runs) == 2


def test_manual_seed_reseeds_dropout_init_and_checkpoint_replay():
    def run():
        cr.manual_seed(4)
        layer = cr.nn.Linear(3, 3)
        return cr.nn.functional.dropout(layer(cr.ones(2, 3)), 0.5).detach().numpy()

    np.testing.assert_array_equal(run(), run())


# ---------------------------------------------------------------------------
# Drawing in the target dtype (issue 14 item 17: no float64 temporary)
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda: cr.randn(500, 500), lambda: cr.rand(500, 500),
                                  lambda: cr.normal(0.0, 1.0, (500, 500)),
                                  lambda: cr.empty(500, 500).normal_(),
                                  lambda: cr.empty(500, 500).uniform_(-1, 1)])
def test_float32_draws_allocate_no_float64_temporary(make):
    make()  # warm up
    tracemalloc.start()
    try:
        out = make()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out.dtype == cr.float32
    result = 500 * 500 * 4
    assert peak < 2.2 * result  # a float64 draw alone would be 2x, plus the float32 copy


@pytest.mark.parametrize("name", ["float16", "float32", "float64", "complex64", "complex128"])
def test_rand_and_randn_in_every_floating_dtype(name):
    g = cr.Generator().manual_seed(0)
    u = cr.rand(20000, generator=g, dtype=getattr(cr, name))
    n = cr.randn(20000, generator=g, dtype=getattr(cr, name))
    assert u.dtype.name == n.dtype.name == name
    for part in ((u.numpy().real, u.numpy().imag) if "complex" in name else (u.numpy(),)):
        assert part.min() >= 0 and part.max() < 1 and abs(part.mean() - 0.5) < 0.02
    values = n.numpy()
    assert abs(values.mean()) < 0.03 and abs(np.mean(np.abs(values) ** 2) - 1) < 0.05
    with pytest.raises(TypeError, match="floating dtype"):
        cr.rand(2, dtype=cr.int64)


# ---------------------------------------------------------------------------
# Distributions: shapes, dtypes, statistics
# ---------------------------------------------------------------------------

def _g():
    return cr.Generator().manual_seed(1234)


def test_randint_randperm_bounds_and_dtypes():
    x = cr.randint(3, 10, (2000,), generator=_g())
    assert x.dtype == cr.int64 and x.min().item() == 3 and x.max().item() == 9
    assert cr.randint(10, (5,)).shape == (5,)
    assert cr.randint(high=4, size=(3,)).max().item() < 4
    assert cr.randint(low=2, high=3, size=(2,)).tolist() == [2, 2]
    assert cr.randint(10, (2,), dtype=cr.float32).dtype == cr.float32
    assert cr.randint_like(cr.zeros(3), 5).dtype == cr.float32
    assert cr.randint_like(cr.zeros(3, dtype=cr.int32), 3, 5).min().item() >= 3
    assert sorted(cr.randperm(50, generator=_g()).tolist()) == list(range(50))
    assert cr.randperm(0).shape == (0,) and cr.randperm(4, dtype=cr.float32).dtype == cr.float32
    for call, words in ((lambda: cr.randint(3, 3, (2,)), "less than"),
                        (lambda: cr.randint(10), "missing the 'size'"),
                        (lambda: cr.randint(10, 3), "must be a tuple of ints"),
                        (lambda: cr.randperm(-1), "negative dimension")):
        with pytest.raises((RuntimeError, TypeError), match=words):
            call()


def test_normal_signatures_shapes_dtypes_and_statistics():
    g = _g()
    assert cr.normal(cr.zeros(2, 1), cr.ones(3), generator=g).shape == (2, 3)
    assert cr.normal(cr.zeros(2, dtype=cr.float64), cr.ones(2)).dtype == cr.float64
    assert cr.normal(cr.zeros(2)).shape == (2,)
    assert cr.normal(2, 3, (2,)).dtype == cr.float32
    assert cr.normal(0.0, 1.0, size=(2,), dtype=cr.float64).dtype == cr.float64
    big = cr.normal(cr.full((40000,), 3.0), 2.0, generator=g).numpy()
    assert abs(big.mean() - 3) < 0.05 and abs(big.std() - 2) < 0.05
    scaled = cr.normal(-1.0, cr.full((40000,), 0.5), generator=g).numpy()
    assert abs(scaled.mean() + 1) < 0.02 and abs(scaled.std() - 0.5) < 0.02
    for call, words in ((lambda: cr.normal(0.0, -1.0, (2,)), "std >= 0.0"),
                        (lambda: cr.normal(cr.zeros(2), -1.0), "std >= 0.0"),
                        (lambda: cr.normal(cr.zeros(2), cr.full((2,), -1.0)), "std >= 0.0"),
                        (lambda: cr.normal(cr.zeros(2), cr.ones(3)), "don't broadcast"),
                        (lambda: cr.normal(0.0, 1.0), "give size"),
                        (lambda: cr.normal(cr.zeros(2, dtype=cr.int64), 1.0), "floating")):
        with pytest.raises((RuntimeError, TypeError), match=words) as err:
            call()
        assert "\n" not in str(err.value)


def test_bernoulli_poisson_statistics_and_errors():
    g = _g()
    p = cr.tensor([0.0, 0.25, 1.0]).expand(20000, 3)
    draws = cr.bernoulli(p, generator=g)
    assert draws.dtype == cr.float32
    np.testing.assert_allclose(draws.numpy().mean(0), [0.0, 0.25, 1.0], atol=0.02)
    assert abs(cr.bernoulli(cr.zeros(20000), 0.7, generator=g).numpy().mean() - 0.7) < 0.02
    rates = cr.poisson(cr.full((20000,), 4.0, dtype=cr.float64), generator=g).numpy()
    assert abs(rates.mean() - 4) < 0.1 and abs(rates.var() - 4) < 0.2
    for call, words in ((lambda: cr.bernoulli(cr.tensor([0.5, 2.0])), r"p in \[0, 1\]"),
                        (lambda: cr.bernoulli(cr.tensor([0.5]), 1.3), r"in \[0, 1\]"),
                        (lambda: cr.bernoulli(cr.tensor([1, 0])), "floating"),
                        (lambda: cr.poisson(cr.tensor([1.0, -1.0])), "non-negative"),
                        (lambda: cr.poisson(cr.tensor([1, 2])), "floating")):
        with pytest.raises((RuntimeError, TypeError), match=words):
            call()


def test_multinomial_with_and_without_replacement():
    g = _g()
    weights = cr.tensor([0.0, 1.0, 2.0, 0.0, 1.0])
    for _ in range(50):
        picks = cr.multinomial(weights, 3, generator=g).tolist()
        assert len(set(picks)) == 3 and set(picks) <= {1, 2, 4}
    counts = np.bincount(cr.multinomial(weights, 40000, replacement=True,
                                        generator=g).numpy(), minlength=5)
    np.testing.assert_allclose(counts / 40000, [0, 0.25, 0.5, 0, 0.25], atol=0.01)
    firsts = np.bincount([cr.multinomial(weights, 1, generator=g).item() for _ in range(4000)],
                         minlength=5)
    np.testing.assert_allclose(firsts / 4000, [0, 0.25, 0.5, 0, 0.25], atol=0.03)
    rows = cr.multinomial(cr.tensor([[1.0, 0.0], [0.0, 1.0]]), 4, True, generator=g)
    assert rows.dtype == cr.int64 and rows.tolist() == [[0] * 4, [1] * 4]
    assert cr.multinomial(cr.ones(3, dtype=cr.float64), 3).shape == (3,)
    assert weights.multinomial(2).shape == (2,)
    for call, words in ((lambda: cr.multinomial(weights, 4), "not enough"),
                        (lambda: cr.multinomial(cr.tensor([0.0, -1.0]), 1), "element < 0"),
                        (lambda: cr.multinomial(cr.tensor([0.0, float("nan")]), 1), "nan"),
                        (lambda: cr.multinomial(cr.zeros(2), 1), "sum of probabilities"),
                        (lambda: cr.multinomial(cr.ones(2), 0), "n_sample <= 0"),
                        (lambda: cr.multinomial(cr.ones(2, 2, 2), 1), "1 or 2 dim"),
                        (lambda: cr.multinomial(cr.tensor([1, 2]), 1), "floating-point")):
        with pytest.raises(RuntimeError, match=words) as err:
            call()
        assert "\n" not in str(err.value)


# ---------------------------------------------------------------------------
# In-place fills
# ---------------------------------------------------------------------------

def test_in_place_fills_keep_dtype_and_range():
    g = _g()
    x = cr.empty(20000, dtype=cr.float64)
    assert x.uniform_(2, 3, generator=g) is x and x.dtype == cr.float64
    assert x.min().item() >= 2 and x.max().item() < 3
    assert cr.empty(3).uniform_(**{"from": -1, "to": 0}).max().item() < 0
    x.normal_(1.0, 0.5, generator=g)
    assert abs(x.numpy().mean() - 1) < 0.02 and abs(x.numpy().std() - 0.5) < 0.02
    x.exponential_(2.0, generator=g)
    assert x.min().item() >= 0 and abs(x.numpy().mean() - 0.5) < 0.02
    x.geometric_(0.25, generator=g)
    assert x.min().item() >= 1 and abs(x.numpy().mean() - 4) < 0.1
    x.log_normal_(0.0, 0.25, generator=g)
    assert abs(np.log(x.numpy()).std() - 0.25) < 0.01
    x.cauchy_(1.0, 2.0, generator=g)
    assert abs(np.median(x.numpy()) - 1) < 0.1
    x.bernoulli_(0.3, generator=g)
    assert set(np.unique(x.numpy())) == {0.0, 1.0} and abs(x.numpy().mean() - 0.3) < 0.02
    probs = cr.tensor([0.0, 1.0, 1.0])
    assert cr.zeros(3).bernoulli_(probs).tolist() == [0.0, 1.0, 1.0]
    assert cr.zeros(3, dtype=cr.int64).bernoulli_(1.0).tolist() == [1, 1, 1]
    assert x.zero_() is x and x.sum().item() == 0 and x.fill_(2.5).numpy().max() == 2.5


def test_random_fill_ranges_as_torch():
    g = _g()
    assert set(cr.empty(2000).random_(3, 5, generator=g).tolist()) == {3.0, 4.0}
    assert set(cr.empty(2000).random_(2, generator=g).tolist()) == {0.0, 1.0}
    assert set(cr.empty(2000).random_(to=2, generator=g).tolist()) == {0.0, 1.0}
    assert cr.empty(2000).random_(**{"from": 7}, generator=g).min().item() >= 7
    assert set(cr.empty(100, dtype=cr.bool).random_(generator=g).tolist()) == {False, True}
    assert cr.empty(100, dtype=cr.uint8).random_(generator=g).dtype == cr.uint8
    floats = cr.empty(2000).random_(generator=g).numpy()
    assert floats.max() <= 2 ** 24 and floats.max() > 2 ** 20 and (floats == np.floor(floats)).all()
    ints = cr.empty(2000, dtype=cr.int64).random_(generator=g).numpy()
    assert ints.min() >= 0 and ints.max() > 2 ** 60
    with pytest.raises(RuntimeError, match="less than"):
        cr.empty(3).random_(5, 2)
    with pytest.raises(RuntimeError, match="out of bounds"):
        cr.empty(3, dtype=cr.uint8).random_(0, 1000)


BAD_FILLS = {
    "uniform_ reversed": (lambda: cr.zeros(3).uniform_(3, 2), RuntimeError, "from=3 > to=2"),
    "uniform_ int": (lambda: cr.zeros(3, dtype=cr.int64).uniform_(), TypeError, "floating"),
    "normal_ negative std": (lambda: cr.zeros(3).normal_(0, -1), RuntimeError, "std >= 0.0"),
    "exponential_ zero": (lambda: cr.zeros(3).exponential_(0), RuntimeError, "lambda > 0.0"),
    "bernoulli_ p": (lambda: cr.zeros(3).bernoulli_(1.5), RuntimeError, r"\[0, 1\]"),
    "geometric_ p": (lambda: cr.zeros(3).geometric_(0), RuntimeError, "p to be in"),
    "uniform_ keyword": (lambda: cr.zeros(3).uniform_(lo=1), TypeError, "unexpected keyword"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILLS))
def test_bad_fills_raise_one_line(name):
    call, error, words = BAD_FILLS[name]
    with pytest.raises(error, match=words) as err:
        call()
    assert "\n" not in str(err.value)


@pytest.mark.parametrize("fill", ["uniform_", "normal_", "random_", "exponential_",
                                  "bernoulli_", "zero_", "fill_"])
def test_in_place_fills_follow_the_in_place_rules_as_torch(fill):
    def run(m):
        args = (0.5,) if fill in ("bernoulli_", "fill_") else ()
        leaf = m.ones(3, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf"):
            getattr(leaf, fill)(*args)
        with m.no_grad():
            getattr(leaf, fill)(*args)
        y = leaf * 2
        z = getattr(y, fill)(*args)
        assert z is y and y.requires_grad and y.grad_fn is not None
        (y * 3 + leaf).sum().backward()
        return leaf.grad.numpy()

    np.testing.assert_array_equal(run(cr), run(torch))


def test_a_fill_bumps_the_version_so_a_stale_saved_value_is_caught():
    x = cr.ones(3, requires_grad=True)
    y = x * 1
    z = (y * y).sum()
    y.normal_()
    with pytest.raises(RuntimeError, match="modified in place"):
        z.backward()


# ---------------------------------------------------------------------------
# Gradients through draws: zero, as PyTorch
# ---------------------------------------------------------------------------

GRADS = {
    "normal_mean": lambda m, a, b: m.normal(a * 2, 1.0),
    "normal_both": lambda m, a, b: m.normal(a, b.abs() + 1),
    "normal_std": lambda m, a, b: m.normal(0.0, b.abs() + 1),
    "bernoulli": lambda m, a, b: m.bernoulli(a.sigmoid()),
    "poisson": lambda m, a, b: m.poisson(a.exp()),
}


@pytest.mark.parametrize("name", sorted(GRADS))
def test_draws_are_recorded_with_zero_gradients_as_torch(name):
    def run(m):
        a = m.tensor([0.3, -0.2, 0.1], requires_grad=True)
        b = m.tensor([0.5, 1.5, -1.0], requires_grad=True)
        out = GRADS[name](m, a, b)
        assert out.requires_grad and out.grad_fn is not None
        (out * 2 + a * b).sum().backward()
        return a.grad.numpy(), None if b.grad is None else b.grad.numpy()

    for ours, theirs in zip(run(cr), run(torch)):
        if theirs is None:
            assert ours is None
        else:
            np.testing.assert_array_equal(ours, theirs)


def test_bernoulli_with_p_has_a_zero_gradient_where_torch_has_none():
    a = cr.tensor([0.3, -0.2], requires_grad=True)
    (cr.bernoulli(a, 0.5) * 2 + a).sum().backward()
    assert a.grad.tolist() == [1.0, 1.0]
    ta = torch.tensor([0.3, -0.2], requires_grad=True)
    with pytest.raises(RuntimeError, match="not implemented"):
        (torch.bernoulli(ta, 0.5) * 2 + ta).sum().backward()


def test_zero_gradients_hold_at_second_order():
    a = cr.tensor([0.3, -0.2], requires_grad=True, dtype=cr.float64)
    out = (cr.normal(a * a, 1.0) + a ** 3).sum()
    (g,) = cr.grad(out, a, create_graph=True)
    (gg,) = cr.grad(g.sum(), a)
    np.testing.assert_allclose(gg.numpy(), 6 * a.detach().numpy())

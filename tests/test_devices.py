"""Device plumbing as PyTorch has it on a CPU-only machine: chainrule.device, device= on every
creation function, Tensor.device/cpu/cuda, chainrule.cuda / accelerator / backends / amp,
inference_mode, thread counts and compile."""

from __future__ import annotations

import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr

# ---------------------------------------------------------------------------
# chainrule.device
# ---------------------------------------------------------------------------

DEVICES = [("cpu",), ("cpu", 0), ("cuda",), ("cuda:1",), ("cuda", 2), ("mps",), ("meta",)]


@pytest.mark.parametrize("args", DEVICES, ids=lambda a: repr(a))
def test_device_repr_str_fields_are_pytorchs(args):
    ours, theirs = cr.device(*args), torch.device(*args)
    assert (repr(ours), str(ours)) == (repr(theirs), str(theirs))
    assert (ours.type, ours.index) == (theirs.type, theirs.index)
    assert cr.device(ours) == ours and hash(cr.device(*args)) == hash(ours)
    assert pickle.loads(pickle.dumps(ours)) == ours


def test_device_equality_is_pytorchs():
    pairs = [(("cpu",), ("cpu",)), (("cpu",), ("cpu", 0)), (("cuda:0",), ("cuda", 0))]
    for a, b in pairs:
        assert (cr.device(*a) == cr.device(*b)) == (torch.device(*a) == torch.device(*b))
    assert (cr.device("cpu") == "cpu") == (torch.device("cpu") == "cpu")


@pytest.mark.parametrize("args", [("foo",), ("cpu:x",), ("cuda", -1), ("cuda:0", 1), (0,)],
                         ids=repr)
def test_bad_devices_raise_pytorchs_error_in_one_line(args):
    with pytest.raises(RuntimeError) as ours:
        cr.device(*args)
    with pytest.raises(RuntimeError) as theirs:
        torch.device(*args)
    assert "\n" not in str(ours.value)
    assert str(theirs.value).split(":")[0][:30] in str(ours.value)


# ---------------------------------------------------------------------------
# device= everywhere, tensors on the CPU only
# ---------------------------------------------------------------------------

CREATION = {
    "tensor": lambda device: cr.tensor([1.0], device=device),
    "as_tensor": lambda device: cr.as_tensor([1.0], device=device),
    "asarray": lambda device: cr.asarray([1.0], device=device),
    "zeros": lambda device: cr.zeros(2, device=device),
    "ones": lambda device: cr.ones(2, device=device),
    "empty": lambda device: cr.empty(2, device=device),
    "full": lambda device: cr.full((2,), 1.0, device=device),
    "eye": lambda device: cr.eye(2, device=device),
    "arange": lambda device: cr.arange(3, device=device),
    "linspace": lambda device: cr.linspace(0, 1, 3, device=device),
    "logspace": lambda device: cr.logspace(0, 1, 3, device=device),
    "zeros_like": lambda device: cr.zeros_like(cr.ones(2), device=device),
    "ones_like": lambda device: cr.ones_like(cr.ones(2), device=device),
    "empty_like": lambda device: cr.empty_like(cr.ones(2), device=device),
    "full_like": lambda device: cr.full_like(cr.ones(2), 3.0, device=device),
    "rand": lambda device: cr.rand(2, device=device),
    "randn": lambda device: cr.randn(2, device=device),
    "randint": lambda device: cr.randint(5, (2,), device=device),
    "randperm": lambda device: cr.randperm(4, device=device),
    "rand_like": lambda device: cr.rand_like(cr.ones(2), device=device),
    "randn_like": lambda device: cr.randn_like(cr.ones(2), device=device),
    "randint_like": lambda device: cr.randint_like(cr.ones(2), 4, device=device),
    "normal": lambda device: cr.normal(0.0, 1.0, (2,), device=device),
    "LongTensor": lambda device: cr.LongTensor([1], device=device),
    "Generator": lambda device: cr.Generator(device=device),
}


@pytest.mark.parametrize("name", sorted(CREATION))
def test_every_creation_function_takes_device_cpu_and_refuses_others(name):
    make = CREATION[name]
    for dev in ("cpu", "cpu:0", cr.device("cpu"), cr.device("cpu", 0), None):
        made = make(dev)
        if isinstance(made, cr.Tensor):
            assert made.device == cr.device("cpu") and not made.is_cuda and made.is_cpu
    for dev in ("cuda", "cuda:0", cr.device("mps"), "meta"):
        with pytest.raises(RuntimeError, match=f"{name}: device '.+' is not available") as err:
            make(dev)
        assert "\n" not in str(err.value)
        assert isinstance(err.value, AssertionError)  # what torch without CUDA raises


def test_tensor_device_properties_are_pytorchs_on_a_cpu():
    x, tx = cr.zeros(2), torch.zeros(2)
    for name in ("is_cuda", "is_cpu", "is_mps", "is_meta"):
        assert getattr(x, name) == getattr(tx, name), name
    assert repr(x.device) == repr(tx.device)
    assert x.get_device() == tx.get_device()
    assert x.cpu() is x and x.cpu(memory_format=cr.contiguous_format) is x
    assert x.pin_memory() is x and not x.is_pinned()
    for move in (lambda: x.cuda(), lambda: x.to("cuda"), lambda: x.to(cr.device("cuda", 0))):
        with pytest.raises(AssertionError, match="CUDA|cuda") as err:
            move()
        assert "\n" not in str(err.value)


def test_a_default_device_of_cpu_is_accepted():
    assert cr.get_default_device() == cr.device("cpu")
    cr.set_default_device("cpu")
    with cr.device("cpu"):
        assert cr.zeros(1).device == cr.device("cpu")
    with pytest.raises(RuntimeError, match="not available"):
        cr.set_default_device("cuda")
    with pytest.raises(RuntimeError, match="not available"):
        with cr.device("cuda"):
            pass


def test_layout_and_memory_format_arguments():
    assert cr.zeros(2, layout=cr.strided).shape == (2,)
    assert cr.empty(1, 2, 3, 4, memory_format=cr.channels_last).shape == (1, 2, 3, 4)
    assert cr.zeros_like(cr.ones(2), memory_format=cr.preserve_format).shape == (2,)
    with pytest.raises(RuntimeError, match="rank 4"):
        cr.empty(2, memory_format=cr.channels_last)
    with pytest.raises(RuntimeError, match="layout"):
        cr.zeros(2, layout="sparse")


# ---------------------------------------------------------------------------
# chainrule.cuda, accelerator, backends: PyTorch's answers without CUDA
# ---------------------------------------------------------------------------

SAME_AS_TORCH = [
    "cuda.is_available()", "cuda.device_count()", "cuda.is_initialized()",
    "cuda.manual_seed(0)", "cuda.manual_seed_all(0)", "cuda.seed()", "cuda.seed_all()",
    "cuda.empty_cache()", "cuda.memory_allocated()", "cuda.max_memory_allocated()",
    "cuda.memory_reserved()", "cuda.is_bf16_supported()", "accelerator.is_available()",
    "accelerator.current_accelerator()", "accelerator.device_count()",
    "backends.mps.is_available()", "backends.mps.is_built()", "backends.cuda.is_built()",
    "backends.cudnn.is_available()", "backends.cudnn.version()", "backends.cudnn.enabled",
    "backends.cudnn.benchmark", "backends.cudnn.deterministic", "backends.cudnn.allow_tf32",
    "backends.cuda.matmul.allow_tf32", "backends.cuda.flash_sdp_enabled()",
]


@pytest.mark.parametrize("expr", SAME_AS_TORCH)
def test_cuda_accelerator_backends_answer_as_torch_without_cuda(expr):
    assert eval("cr." + expr) == eval("torch." + expr)


RAISE_AS_TORCH = ["cuda.current_device()", "cuda.synchronize()", "cuda.get_device_name()",
                  "cuda.get_device_capability()", "cuda.get_device_properties(0)",
                  "cuda.initial_seed()", "cuda.get_rng_state()",
                  "accelerator.current_device_index()", "accelerator.synchronize()"]


@pytest.mark.parametrize("expr", RAISE_AS_TORCH)
def test_cuda_calls_that_need_a_device_raise_as_torch(expr):
    with pytest.raises(Exception) as theirs:
        eval("torch." + expr)
    with pytest.raises(type(theirs.value)) as ours:
        eval("cr." + expr)
    assert "\n" not in str(ours.value) and "CPU only" in str(ours.value)


def test_backend_flags_are_settable_and_cudnn_flags_restores_them():
    import chainrule.backends.cudnn as cudnn

    cudnn.benchmark = True
    cr.backends.cuda.matmul.allow_tf32 = True
    cr.backends.cuda.enable_flash_sdp(False)
    try:
        assert cr.backends.cudnn.benchmark and cr.backends.cuda.matmul.allow_tf32
        assert not cr.backends.cuda.flash_sdp_enabled()
        with cudnn.flags(enabled=False, deterministic=True):
            assert not cudnn.enabled and cudnn.deterministic
        assert cudnn.enabled and not cudnn.deterministic
    finally:
        cudnn.benchmark = False
        cr.backends.cuda.matmul.allow_tf32 = False
        cr.backends.cuda.enable_flash_sdp(True)
    assert not cr.backends.mkldnn.is_available() and not cr.backends.openmp.is_available()


def test_cuda_manual_seed_checks_its_argument():
    with pytest.raises(ValueError, match="seed"):
        cr.cuda.manual_seed_all("a")


# ---------------------------------------------------------------------------
# inference_mode, threads, compile, amp
# ---------------------------------------------------------------------------

def test_inference_mode_as_context_manager_and_decorator():
    x = cr.tensor([1.0], requires_grad=True)
    assert not cr.is_inference_mode_enabled()
    with cr.inference_mode():
        assert cr.is_inference_mode_enabled() and not cr.is_grad_enabled()
        assert not (x * 2).requires_grad
        with cr.inference_mode(False):
            assert not cr.is_inference_mode_enabled()
            assert not (x * 2).requires_grad  # as torch: inference_mode(False) keeps grad off
    assert cr.is_grad_enabled() and not cr.is_inference_mode_enabled()
    with cr.inference_mode(mode=False):
        assert (x * 2).requires_grad

    @cr.inference_mode
    def bare(t):
        return t * 2

    @cr.inference_mode()
    def called(t):
        return t * 2

    @cr.inference_mode(False)
    def off(t):
        return t * 2

    assert not bare(x).requires_grad and not called(x).requires_grad
    assert off(x).requires_grad
    assert cr.is_grad_enabled()


def test_inference_mode_restores_grad_mode_after_an_error():
    with pytest.raises(ValueError):
        with cr.inference_mode():
            raise ValueError
    assert cr.is_grad_enabled() and not cr.is_inference_mode_enabled()


def test_set_num_threads_limits_numpys_blas_in_a_fresh_process():
    code = textwrap.dedent("""
        import threadpoolctl, chainrule as cr
        if not [i for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]:
            print("no-blas")
        else:
            cr.set_num_threads(1)
            print(cr.get_num_threads())
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout.strip()
    assert out in ("1", "no-blas")
    with pytest.raises(RuntimeError, match="positive"):
        cr.set_num_threads(0)
    with pytest.raises(RuntimeError, match="expects an int"):
        cr.set_num_threads(1.5)
    cr.set_num_interop_threads(3)
    assert cr.get_num_interop_threads() == 3
    assert cr.get_num_threads() >= 1


def test_compile_returns_the_model_with_or_without_arguments():
    model = cr.nn.Linear(2, 1)
    assert cr.compile(model) is model
    assert cr.compile(model, mode="max-autotune", fullgraph=True) is model

    @cr.compile
    def f(x):
        return x * 2

    @cr.compile(dynamic=True)
    def g(x):
        return x * 3

    assert f(cr.ones(1)).item() == 2.0 and g(cr.ones(1)).item() == 3.0
    with pytest.raises(TypeError, match="compile"):
        cr.compile(3)


def test_grad_scaler_is_disabled_and_passes_through_as_torchs_without_cuda():
    model = cr.nn.Linear(2, 1)
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)
    before = model.weight.detach().numpy().copy()
    with pytest.warns(UserWarning, match="Disabling"):
        scaler = cr.cuda.amp.GradScaler(enabled=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet = cr.amp.GradScaler("cuda", enabled=False)
    assert not scaler.is_enabled() and not quiet.is_enabled() and scaler.get_scale() == 1.0
    loss = model(cr.ones(4, 2)).sum()
    assert scaler.scale(loss) is loss
    scaler.scale(loss).backward()
    scaler.unscale_(optimizer)
    scaler.step(optimizer)
    scaler.update()
    assert not np.array_equal(model.weight.detach().numpy(), before)
    assert scaler.state_dict() == {}
    scaler.load_state_dict({"scale": 1024.0})


def test_autocast_changes_no_dtype():
    x = cr.ones(2, 2)
    with cr.autocast("cpu", enabled=False):
        assert (x @ x).dtype == cr.float32
    with pytest.warns(UserWarning, match="no mixed precision"):
        cr.amp.autocast._warned = False
        context = cr.amp.autocast(device_type="cuda", dtype=cr.float16)
    with context:
        assert (x @ x).dtype == cr.float32

    @cr.amp.autocast("cpu", enabled=False)
    def f(t):
        return t * 2

    assert f(x).dtype == cr.float32


# ---------------------------------------------------------------------------
# The first lines of well-known PyTorch programs, run with `torch` meaning chainrule
# ---------------------------------------------------------------------------

PROGRAM_HEADERS = '''
import numpy as np
from contextlib import nullcontext
import torch.backends.cudnn as cudnn

# a GPT training script (CPU branch)
device = "cuda" if torch.cuda.is_available() else "cpu"
dtype = "bfloat16" if torch.cuda.is_available() and torch.cuda.is_bf16_supported() \\
    else "float16"
torch.manual_seed(1337)
torch.backends.cuda.matmul.allow_tf32 = True
torch.backends.cudnn.allow_tf32 = True
device_type = "cuda" if "cuda" in device else "cpu"
ptdtype = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}[dtype]
ctx = nullcontext() if device_type == "cpu" else torch.amp.autocast(device_type=device_type,
                                                                  dtype=ptdtype)
data = np.arange(1000, dtype=np.uint16)
ix = torch.randint(len(data) - 8, (4,))
x = torch.stack([torch.from_numpy((data[i:i + 8]).astype(np.int64)) for i in ix])
if device_type == "cuda":
    x = x.pin_memory().to(device, non_blocking=True)
else:
    x = x.to(device)
scaler = torch.cuda.amp.GradScaler(enabled=(dtype == "float16"))
model_fn = torch.compile(lambda t: t.float().mean())
with ctx:
    assert scaler.scale(model_fn(x)).item() == float(x.float().mean())

# an MNIST script
use_accel = torch.accelerator.is_available()
device = torch.accelerator.current_accelerator() if use_accel else torch.device("cpu")
use_mps = torch.backends.mps.is_available()
kwargs = {"num_workers": 1, "pin_memory": True} if use_accel else {}
images = torch.rand(2, 1, 28, 28).to(device)
target = torch.LongTensor([3, 7]).to(device)

# a word-level language model
torch.cuda.manual_seed(1111)
ids = torch.tensor([[1, 2, 3], [4, 5, 6]]).type(torch.int64)
hidden = torch.zeros(2, 3, 5, device=device)
with torch.no_grad():
    probs = torch.ones(10).div(1.0).exp()
    word = torch.multinomial(probs, 1)[0]
inputs = torch.randint(10, (1, 1), dtype=torch.long).to(device)
inputs.fill_(word)

# a DCGAN
cudnn.benchmark = True
torch.manual_seed(999)
ngpu = 0
device = torch.device("cuda:0" if (torch.cuda.is_available() and ngpu > 0) else "cpu")
fixed_noise = torch.randn(64, 100, 1, 1, device=device)
label = torch.full((64,), 1.0, dtype=images.dtype, device=device)
label.fill_(0.0)
weight = torch.empty(3, 3)
torch.nn.init.normal_(weight, 0.0, 0.02)
layer = torch.nn.Linear(100, 3)
layer.weight.data.normal_(0.0, 0.02)
layer.bias.data.fill_(0)
assert float(layer.bias.abs().sum()) == 0.0 and float(layer.weight.std()) < 0.05

# a VAE
std = torch.exp(0.5 * torch.zeros(4, 20))
eps = torch.randn_like(std)
sample = torch.randn(64, 20).to(device)
with torch.inference_mode():
    sample = sample * 2

torch.set_num_threads(1)

'''


def test_the_device_plumbing_of_well_known_programs_runs(tmp_path):
    # `import torch` (and torch.backends.cudnn, ...) pointed at chainrule, in a fresh process
    script = tmp_path / "program.py"
    script.write_text(textwrap.dedent("""
        import sys
        import warnings
        import chainrule, chainrule.backends.cudnn, chainrule.nn.init
        for name, module in list(sys.modules.items()):
            if name == "chainrule" or name.startswith("chainrule."):
                sys.modules["torch" + name[len("chainrule"):]] = module
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", "GradScaler is enabled")
        import torch
        assert torch is chainrule
    """) + PROGRAM_HEADERS + "\nprint('ran')\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ran", done.stderr

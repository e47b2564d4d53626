"""Models built from issue 11's layers, written as PyTorch users write them, against
PyTorch from the same weights: a DCGAN step (transposed convolutions, batch norm, leaky
ReLU, BCE with logits, Adam on both players), a small U-Net-like denoiser (reflection
padding, group norm, SiLU, pixel shuffle, upsampling, dropout2d in eval), and a
convolutional VAE's loss (Unflatten, GaussianNLL, KL divergence)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
import chainrule.optim as optim


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _generator(m):
    return m.Sequential(
        m.ConvTranspose2d(8, 16, 4, 1, 0, bias=False), m.BatchNorm2d(16), m.ReLU(True),
        m.ConvTranspose2d(16, 8, 4, 2, 1, bias=False), m.BatchNorm2d(8), m.ReLU(True),
        m.ConvTranspose2d(8, 1, 4, 2, 1, bias=False), m.Tanh())


def _discriminator(m):
    return m.Sequential(
        m.Conv2d(1, 8, 4, 2, 1, bias=False), m.LeakyReLU(0.2, inplace=True),
        m.Conv2d(8, 16, 4, 2, 1, bias=False), m.BatchNorm2d(16), m.LeakyReLU(0.2, True),
        m.Conv2d(16, 1, 4, 1, 0, bias=False), m.Flatten(0))


def _weights_init(m):
    """DCGAN's initialisation, as its users write it."""
    name = type(m).__name__
    lib_init = torch.nn.init if isinstance(m, torch.nn.Module) else nn.init
    if "Conv" in name:
        lib_init.normal_(m.weight, 0.0, 0.02)
    elif "BatchNorm" in name:
        lib_init.normal_(m.weight, 1.0, 0.02)
        lib_init.constant_(m.bias, 0)


def _dcgan_steps(lib, m, opt, state_g, state_d, noise, real, steps):
    G, D = _generator(m), _discriminator(m)
    G.load_state_dict(state_g)
    D.load_state_dict(state_d)
    criterion = m.BCEWithLogitsLoss()
    opt_g = opt.Adam(G.parameters(), lr=2e-3, betas=(0.5, 0.999))
    opt_d = opt.Adam(D.parameters(), lr=2e-3, betas=(0.5, 0.999))
    ones, zeros = lib.ones(real.shape[1]), lib.zeros(real.shape[1])
    losses = []
    for step in range(steps):
        z, x = lib.tensor(noise[step]), lib.tensor(real[step])
        D.zero_grad()
        fake = G(z)
        loss_d = criterion(D(x), ones) + criterion(D(fake.detach()), zeros)
        loss_d.backward()
        opt_d.step()
        G.zero_grad()
        loss_g = criterion(D(fake), ones)
        loss_g.backward()
        opt_g.step()
        losses.append((loss_d.item(), loss_g.item()))
    weights = {k: v.detach().numpy().copy() for k, v in G.state_dict().items()}
    return losses, weights


def test_dcgan_training_steps_follow_torch():
    torch.manual_seed(0)
    G, D = _generator(torch.nn), _discriminator(torch.nn)
    G.apply(_weights_init)
    D.apply(_weights_init)
    rng = np.random.default_rng(0)
    steps, batch = 3, 6
    noise = rng.standard_normal((steps, batch, 8, 1, 1)).astype(np.float32)
    real = np.tanh(rng.standard_normal((steps, batch, 1, 16, 16))).astype(np.float32)
    ours = _dcgan_steps(cr, nn, optim, G.state_dict(), D.state_dict(), noise, real, steps)
    theirs = _dcgan_steps(torch, torch.nn, torch.optim, G.state_dict(), D.state_dict(), noise,
                          real, steps)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=2e-4, atol=1e-5)
    for key in theirs[1]:
        np.testing.assert_allclose(ours[1][key], theirs[1][key], rtol=1e-3, atol=1e-5,
                                   err_msg=key)


class _Denoiser:
    """The same small U-Net-like model for either library."""

    @staticmethod
    def build(m):
        class Block(m.Module):
            def __init__(self, cin, cout):
                super().__init__()
                self.pad = m.ReflectionPad2d(1)
                self.conv = m.Conv2d(cin, cout, 3)
                self.norm = m.GroupNorm(2, cout)
                self.act = m.SiLU()

            def forward(self, x):
                return self.act(self.norm(self.conv(self.pad(x))))

        class Net(m.Module):
            def __init__(self):
                super().__init__()
                self.down = Block(2, 8)
                self.pool = m.AvgPool2d(2)
                self.mid = m.ModuleDict({"block": Block(8, 16), "drop": m.Dropout2d(0.2)})
                self.up = m.Sequential(m.Conv2d(16, 32, 1), m.PixelShuffle(2))
                self.skip = m.Upsample(scale_factor=1.0, mode="nearest")
                self.out = m.Sequential(Block(16, 8), m.Conv2d(8, 2, 1))
                self.scale = m.Parameter(m.init.ones_(torch.empty(2) if m is torch.nn
                                                      else cr.empty(2)))

            def forward(self, x):
                h = self.down(x)
                mid = self.mid["drop"](self.mid["block"](self.pool(h)))
                y = self.out(torch_cat(m)([self.up(mid), self.skip(h)], 1))
                return x + y * self.scale.reshape(1, -1, 1, 1)

        return Net()


def torch_cat(m):
    return torch.cat if m is torch.nn else cr.cat


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_denoiser_forward_and_gradients_follow_torch(dtype):
    torch.manual_seed(0)
    theirs = _Denoiser.build(torch.nn).to(torch.float32 if dtype == np.float32
                                          else torch.float64).eval()
    ours = _Denoiser.build(nn).to(dtype).eval()
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(0).standard_normal((2, 2, 8, 8)).astype(dtype)
    xt, xc = torch.tensor(x, requires_grad=True), cr.tensor(x, requires_grad=True)
    out_t, out_c = theirs(xt), ours(xc)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out_c.detach().numpy(), out_t.detach().numpy(), **tol)
    (out_t ** 2).mean().backward()
    (out_c ** 2).mean().backward()
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy(), **tol)
    grads = dict(theirs.named_parameters())
    for k, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads[k].grad.numpy(), **tol, err_msg=k)


def _vae(m):
    class VAE(m.Module):
        def __init__(self):
            super().__init__()
            self.enc = m.Sequential(m.Conv2d(1, 4, 3, 2, 1), m.ELU(), m.Flatten(),
                                    m.Linear(4 * 4 * 4, 6))
            self.dec = m.Sequential(m.Linear(3, 4 * 4 * 4), m.Unflatten(1, (4, 4, 4)),
                                    m.Mish(), m.ConvTranspose2d(4, 2, 4, 2, 1))
            self.nll = m.GaussianNLLLoss(reduction="sum")

        def forward(self, x, eps):
            mu, logvar = self.enc(x).chunk(2, dim=1)
            z = mu + eps * (0.5 * logvar).exp()
            mean, logvar_x = self.dec(z).chunk(2, dim=1)
            rec = self.nll(mean, x, logvar_x.exp())
            kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum()
            return (rec + kl) / x.shape[0]
    return VAE()


def test_vae_loss_and_gradients_follow_torch():
    torch.manual_seed(0)
    theirs, ours = _vae(torch.nn).double(), _vae(nn).double()
    ours.load_state_dict(theirs.state_dict())
    rng = np.random.default_rng(0)
    x, eps = rng.standard_normal((5, 1, 8, 8)), rng.standard_normal((5, 3))
    loss_t = theirs(torch.tensor(x), torch.tensor(eps))
    loss_c = ours(cr.tensor(x), cr.tensor(eps))
    np.testing.assert_allclose(loss_c.item(), loss_t.item(), rtol=1e-10)
    loss_t.backward()
    loss_c.backward()
    grads = dict(theirs.named_parameters())
    for k, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads[k].grad.numpy(), rtol=1e-8,
                                   atol=1e-11, err_msg=k)

"""A DCGAN, as people write one with ``import torch``.

The generator turns noise of shape (N, nz, 1, 1) into images with ``ConvTranspose2d``,
``BatchNorm2d`` and ``ReLU``, ending in ``Tanh``; the discriminator is ``Conv2d``,
``BatchNorm2d`` and ``LeakyReLU(0.2, inplace=True)`` ending in ``Sigmoid``. Weights are
initialised by ``apply(weights_init)`` on the class name; two Adam optimizers; each step
trains D on a real batch and on ``fake.detach()``, then G through D with the labels flipped.
"""


def program(torch, weights=None, data=None, steps=0, dtype="float32"):
    """Build both networks (loading ``weights`` if given) and train for ``steps`` batches."""
    import torch.nn as nn
    import torch.optim as optim
    import torch.utils.data

    nc, nz, ngf, ndf = 3, 8, 8, 8

    def weights_init(m):
        classname = m.__class__.__name__
        if classname.find("Conv") != -1:
            nn.init.normal_(m.weight.data, 0.0, 0.02)
        elif classname.find("BatchNorm") != -1:
            nn.init.normal_(m.weight.data, 1.0, 0.02)
            nn.init.constant_(m.bias.data, 0)

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(
                # nz x 1 x 1 -> (ngf*4) x 4 x 4
                nn.ConvTranspose2d(nz, ngf * 4, 4, 1, 0, bias=False),
                nn.BatchNorm2d(ngf * 4),
                nn.ReLU(True),
                # -> (ngf*2) x 8 x 8
                nn.ConvTranspose2d(ngf * 4, ngf * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ngf * 2),
                nn.ReLU(True),
                # -> nc x 16 x 16
                nn.ConvTranspose2d(ngf * 2, nc, 4, 2, 1, bias=False),
                nn.Tanh(),
            )

        def forward(self, input):
            return self.main(input)

    class Discriminator(nn.Module):
        def __init__(self):
            super().__init__()
            self.main = nn.Sequential(
                # nc x 16 x 16 -> ndf x 8 x 8
                nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
                nn.LeakyReLU(0.2, inplace=True),
                # -> (ndf*2) x 4 x 4
                nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
                nn.BatchNorm2d(ndf * 2),
                nn.LeakyReLU(0.2, inplace=True),
                # -> 1 x 1 x 1
                nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
                nn.Sigmoid(),
            )

        def forward(self, input):
            return self.main(input)

    float_type = getattr(torch, dtype)
    netG = Generator().to(float_type)
    netG.apply(weights_init)
    netD = Discriminator().to(float_type)
    netD.apply(weights_init)
    if weights is not None:
        netG.load_state_dict({k[2:]: torch.from_numpy(v) for k, v in weights.items()
                              if k.startswith("G.")})
        netD.load_state_dict({k[2:]: torch.from_numpy(v) for k, v in weights.items()
                              if k.startswith("D.")})

    losses = []
    if steps:
        criterion = nn.BCELoss()
        fixed_noise = torch.randn(4, nz, 1, 1, dtype=float_type)
        real_label, fake_label = 1., 0.
        optimizerD = optim.Adam(netD.parameters(), lr=2e-4, betas=(0.5, 0.999))
        optimizerG = optim.Adam(netG.parameters(), lr=2e-4, betas=(0.5, 0.999))
        dataset = torch.utils.data.TensorDataset(torch.from_numpy(data).to(float_type))
        dataloader = torch.utils.data.DataLoader(dataset, batch_size=4, shuffle=False)

        for i, (real_cpu,) in enumerate(dataloader):
            if i == steps:
                break
            # (1) update D: maximize log(D(x)) + log(1 - D(G(z)))
            netD.zero_grad()
            b_size = real_cpu.size(0)
            label = torch.full((b_size,), real_label, dtype=float_type)
            output = netD(real_cpu).view(-1)
            errD_real = criterion(output, label)
            errD_real.backward()
            D_x = output.mean().item()

            noise = torch.randn(b_size, nz, 1, 1, dtype=float_type)
            fake = netG(noise)
            label.fill_(fake_label)
            output = netD(fake.detach()).view(-1)
            errD_fake = criterion(output, label)
            errD_fake.backward()
            D_G_z1 = output.mean().item()
            errD = errD_real + errD_fake
            optimizerD.step()

            # (2) update G: maximize log(D(G(z)))
            netG.zero_grad()
            label.fill_(real_label)
            output = netD(fake).view(-1)
            errG = criterion(output, label)
            errG.backward()
            D_G_z2 = output.mean().item()
            optimizerG.step()
            losses.extend([errD.item(), errG.item(), D_x, D_G_z1, D_G_z2])

        with torch.no_grad():
            fake = netG(fixed_noise).detach().cpu()
        samples = fake.numpy()
    else:
        samples = None
    state = {f"G.{k}": v.detach().numpy().copy() for k, v in netG.state_dict().items()}
    state.update({f"D.{k}": v.detach().numpy().copy() for k, v in netD.state_dict().items()})
    return {"losses": losses, "state": state, "samples": samples}

"""A variational autoencoder on MNIST-shaped images, as people write one with ``import torch``.

An MLP encoder gives the mean and log-variance, the reparameterisation draws
``eps = torch.randn_like(std)``, a sigmoid decoder reconstructs, and the loss is the summed
binary cross-entropy plus the KL divergence to N(0, I). Adam; a test pass under
``torch.no_grad()``; samples decoded from ``torch.randn``.
"""


def program(torch, weights=None, data=None, steps=0, dtype="float32"):
    """Build the VAE (loading ``weights`` if given) and train it for ``steps`` batches."""
    from torch import nn, optim
    from torch.nn import functional as F
    from torch.utils.data import DataLoader, TensorDataset

    class VAE(nn.Module):
        def __init__(self, hidden=48, latent=6):
            super().__init__()
            self.fc1 = nn.Linear(784, hidden)
            self.fc21 = nn.Linear(hidden, latent)
            self.fc22 = nn.Linear(hidden, latent)
            self.fc3 = nn.Linear(latent, hidden)
            self.fc4 = nn.Linear(hidden, 784)

        def encode(self, x):
            h1 = F.relu(self.fc1(x))
            return self.fc21(h1), self.fc22(h1)

        def reparameterize(self, mu, logvar):
            std = torch.exp(0.5 * logvar)
            eps = torch.randn_like(std)
            return mu + eps * std

        def decode(self, z):
            h3 = F.relu(self.fc3(z))
            return torch.sigmoid(self.fc4(h3))

        def forward(self, x):
            mu, logvar = self.encode(x.view(-1, 784))
            z = self.reparameterize(mu, logvar)
            return self.decode(z), mu, logvar

    def loss_function(recon_x, x, mu, logvar):
        BCE = F.binary_cross_entropy(recon_x, x.view(-1, 784), reduction="sum")
        # 0.5 * sum(1 + log(sigma^2) - mu^2 - sigma^2)
        KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
        return BCE + KLD

    model = VAE().to(getattr(torch, dtype))
    if weights is not None:
        model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})

    losses = []
    if steps:
        train_x, test_x = (torch.from_numpy(a).to(getattr(torch, dtype)) for a in data)
        train_loader = DataLoader(TensorDataset(train_x), batch_size=8, shuffle=False)
        test_loader = DataLoader(TensorDataset(test_x), batch_size=8)
        optimizer = optim.Adam(model.parameters(), lr=1e-3)

        model.train()
        for batch_idx, (batch,) in enumerate(train_loader):
            if batch_idx == steps:
                break
            optimizer.zero_grad()
            recon_batch, mu, logvar = model(batch)
            loss = loss_function(recon_batch, batch, mu, logvar)
            loss.backward()
            losses.append(loss.item() / len(batch))
            optimizer.step()

        model.eval()
        test_loss = 0
        with torch.no_grad():
            for (batch,) in test_loader:
                recon_batch, mu, logvar = model(batch)
                test_loss += loss_function(recon_batch, batch, mu, logvar).item()
        losses.append(test_loss / len(test_loader.dataset))

        with torch.no_grad():
            sample = torch.randn(4, 6, dtype=getattr(torch, dtype))
            sample = model.decode(sample).cpu()
        samples = sample.view(4, 1, 28, 28).numpy()
    else:
        samples = None
    state = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    return {"losses": losses, "state": state, "samples": samples}

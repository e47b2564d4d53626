"""A convolutional network for MNIST, as people write one with ``import torch``.

Two ``Conv2d`` layers, ``F.max_pool2d``, ``Dropout`` (given ``p``), ``torch.flatten``, two
``Linear`` layers and ``F.log_softmax`` with ``F.nll_loss``; trained by ``Adadelta`` with a
``StepLR`` decay per epoch; each epoch ends with a test pass in eval mode under
``torch.no_grad()`` counting correct predictions with ``argmax`` and ``eq``.
"""


def program(torch, weights=None, data=None, steps=0, dtype="float32", dropout=0.0):
    """Build the network (loading ``weights`` if given) and train it for ``steps`` epochs."""
    import torch.nn as nn
    import torch.nn.functional as F
    import torch.optim as optim
    from torch.optim.lr_scheduler import StepLR
    from torch.utils.data import DataLoader, TensorDataset

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = nn.Conv2d(1, 8, 3, 1)
            self.conv2 = nn.Conv2d(8, 16, 3, 1)
            self.dropout1 = nn.Dropout(dropout)
            self.dropout2 = nn.Dropout(2 * dropout)
            self.fc1 = nn.Linear(2304, 32)
            self.fc2 = nn.Linear(32, 10)

        def forward(self, x):
            x = self.conv1(x)
            x = F.relu(x)
            x = self.conv2(x)
            x = F.relu(x)
            x = F.max_pool2d(x, 2)
            x = self.dropout1(x)
            x = torch.flatten(x, 1)
            x = self.fc1(x)
            x = F.relu(x)
            x = self.dropout2(x)
            x = self.fc2(x)
            output = F.log_softmax(x, dim=1)
            return output

    def train(model, train_loader, optimizer, losses):
        model.train()
        for data, target in train_loader:
            optimizer.zero_grad()
            output = model(data)
            loss = F.nll_loss(output, target)
            loss.backward()
            optimizer.step()
            losses.append(loss.item())

    def test(model, test_loader):
        model.eval()
        test_loss = 0
        correct = 0
        with torch.no_grad():
            for data, target in test_loader:
                output = model(data)
                test_loss += F.nll_loss(output, target, reduction="sum").item()
                pred = output.argmax(dim=1, keepdim=True)
                correct += pred.eq(target.view_as(pred)).sum().item()
        test_loss /= len(test_loader.dataset)
        return test_loss, correct

    float_type = getattr(torch, dtype)
    model = Net().to(float_type)
    if weights is not None:
        model.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})

    losses, tests = [], []
    if steps:
        (train_x, train_y), (test_x, test_y) = data
        normalize = lambda x: (torch.from_numpy(x).to(float_type) - 0.1307) / 0.3081  # noqa: E731
        train_set = TensorDataset(normalize(train_x), torch.from_numpy(train_y))
        test_set = TensorDataset(normalize(test_x), torch.from_numpy(test_y))
        train_loader = DataLoader(train_set, batch_size=8)
        test_loader = DataLoader(test_set, batch_size=10)

        optimizer = optim.Adadelta(model.parameters(), lr=1.0)
        scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
        for _epoch in range(1, steps + 1):
            train(model, train_loader, optimizer, losses)
            tests.append(test(model, test_loader))
            scheduler.step()
        losses.append(optimizer.param_groups[0]["lr"])
    state = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    return {"losses": losses, "state": state, "tests": tests, "model": model}

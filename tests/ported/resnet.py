"""A small ResNet for CIFAR-shaped images, as people write one with ``import torch``.

Basic blocks (3x3 convolutions without bias, ``BatchNorm2d``, ``ReLU(inplace=True)``, a
1x1 convolution shortcut where the shape changes), ``kaiming_normal_`` initialisation by
module type and zero-initialised last BatchNorm of each block, ``AdaptiveAvgPool2d``,
SGD with Nesterov momentum and weight decay, ``MultiStepLR``, ``CrossEntropyLoss`` with
label smoothing; accuracy counted in eval mode.
"""


def program(torch, weights=None, data=None, steps=0, dtype="float32"):
    """Build the network (loading ``weights`` if given) and train it for ``steps`` batches."""
    import torch.nn as nn
    import torch.optim as optim

    class BasicBlock(nn.Module):
        expansion = 1

        def __init__(self, in_planes, planes, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(in_planes, planes, kernel_size=3, stride=stride, padding=1,
                                   bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, kernel_size=3, stride=1, padding=1,
                                   bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU(inplace=True)
            self.shortcut = nn.Sequential()
            if stride != 1 or in_planes != self.expansion * planes:
                self.shortcut = nn.Sequential(
                    nn.Conv2d(in_planes, self.expansion * planes, kernel_size=1, stride=stride,
                              bias=False),
                    nn.BatchNorm2d(self.expansion * planes),
                )

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            out += self.shortcut(x)
            return self.relu(out)

    class ResNet(nn.Module):
        def __init__(self, block, num_blocks, num_classes=10, width=8):
            super().__init__()
            self.in_planes = width
            self.conv1 = nn.Conv2d(3, width, kernel_size=3, stride=1, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(width)
            self.layer1 = self._make_layer(block, width, num_blocks[0], stride=1)
            self.layer2 = self._make_layer(block, 2 * width, num_blocks[1], stride=2)
            self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
            self.fc = nn.Linear(2 * width * block.expansion, num_classes)
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
            for m in self.modules():
                if isinstance(m, BasicBlock):
                    nn.init.constant_(m.bn2.weight, 0)

        def _make_layer(self, block, planes, num_blocks, stride):
            strides = [stride] + [1] * (num_blocks - 1)
            layers = []
            for s in strides:
                layers.append(block(self.in_planes, planes, s))
                self.in_planes = planes * block.expansion
            return nn.Sequential(*layers)

        def forward(self, x):
            x = torch.relu(self.bn1(self.conv1(x)))
            x = self.layer1(x)
            x = self.layer2(x)
            x = self.avgpool(x)
            x = torch.flatten(x, 1)
            return self.fc(x)

    float_type = getattr(torch, dtype)
    net = ResNet(BasicBlock, [1, 1]).to(float_type)
    if weights is not None:
        net.load_state_dict({k: torch.from_numpy(v) for k, v in weights.items()})

    losses, accuracy = [], None
    if steps:
        images, labels = data
        inputs_all = torch.from_numpy(images).to(float_type)
        targets_all = torch.from_numpy(labels)
        criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
        optimizer = optim.SGD(net.parameters(), lr=0.1, momentum=0.9, nesterov=True,
                              weight_decay=5e-4)
        scheduler = optim.lr_scheduler.MultiStepLR(optimizer, milestones=[2, 3], gamma=0.1)
        net.train()
        for step in range(steps):
            inputs = inputs_all[4 * step:4 * step + 4]
            targets = targets_all[4 * step:4 * step + 4]
            optimizer.zero_grad()
            outputs = net(inputs)
            loss = criterion(outputs, targets)
            loss.backward()
            optimizer.step()
            scheduler.step()
            _, predicted = outputs.max(1)
            losses.append(loss.item())
            losses.append(predicted.eq(targets).sum().item())
        net.eval()
        with torch.no_grad():
            outputs = net(inputs_all)
            losses.append(criterion(outputs, targets_all).item())
            accuracy = (torch.argmax(outputs, dim=1) == targets_all).float().mean().item()
    state = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
    return {"losses": losses, "state": state, "accuracy": accuracy}

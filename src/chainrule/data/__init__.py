"""chainrule.data: datasets, batching, and the bundled 8x8 digits.

>>> from chainrule.data import DataLoader, load_digits
>>> train, test = load_digits()
>>> images, labels = next(iter(DataLoader(train, batch_size=32, shuffle=True, generator=0)))
>>> images.shape, labels.shape
((32, 1, 8, 8), (32,))
"""

from .dataloader import DataLoader, default_collate
from .dataset import Dataset, Subset, TensorDataset
from .digits import load_digits
from .distributed import DistributedSampler

__all__ = ["Dataset", "TensorDataset", "Subset", "DataLoader", "default_collate",
           "load_digits", "DistributedSampler"]

"""chainrule.data: datasets, samplers, batching, and the bundled 8x8 digits.

The names and behaviour are ``torch.utils.data``'s (``chainrule.utils.data`` is this
package under PyTorch's path). Loading runs in the calling process.

>>> from chainrule.data import DataLoader, load_digits
>>> import chainrule as cr
>>> train, test = load_digits()
>>> g = cr.Generator().manual_seed(0)
>>> images, labels = next(iter(DataLoader(train, batch_size=32, shuffle=True, generator=g)))
>>> images.shape, labels.shape
((32, 1, 8, 8), (32,))
"""

from .dataloader import DataLoader, WorkerInfo, default_collate, default_convert, get_worker_info
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .digits import load_digits
from .distributed import DistributedSampler
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "StackDataset", "ConcatDataset",
           "ChainDataset", "Subset", "random_split", "DataLoader", "default_collate",
           "default_convert", "get_worker_info", "WorkerInfo", "Sampler",
           "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler", "DistributedSampler", "load_digits"]

"""The digits data set (sklearn's 1,797 8x8 images) with one fixed, seeded split."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Split:
    """A train/test split as float32 features in [0, 1] and int64 labels.

    Attributes
    ----------
    x_train, x_test : (n, 64) float32, pixel intensities / 16
    y_train, y_test : (n,) int64, classes 0..9
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int:
        return int(max(self.y_train.max(), self.y_test.max()) + 1)

    def tensors(self):
        """The four arrays as torch tensors (float32 features, int64 labels)."""
        import torch
        return (torch.from_numpy(self.x_train), torch.from_numpy(self.y_train),
                torch.from_numpy(self.x_test), torch.from_numpy(self.y_test))


def digits_split(test_fraction: float = 0.25, seed: int = 0) -> Split:
    """sklearn's digits, split stratified by class with a fixed seed.

    The same ``(test_fraction, seed)`` always gives the same split (the data
    ship with scikit-learn; no download).
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie in (0, 1), got {test_fraction}")
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        raise ImportError("the digits data need scikit-learn: pip install 'alife-neutral[bridge]'") from None
    d = load_digits()
    x = (d.data / 16.0).astype(np.float32)
    y = d.target.astype(np.int64)
    xa, xb, ya, yb = train_test_split(x, y, test_size=test_fraction, random_state=seed, stratify=y)
    return Split(np.ascontiguousarray(xa), ya, np.ascontiguousarray(xb), yb)

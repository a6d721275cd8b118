"""ModelLab's Python client: `ModelLab(url, token=None)`; errors raise `ModelLabError`."""
from .client import ModelLab, ModelLabError

__all__ = ["ModelLab", "ModelLabError"]
__version__ = "0.1.0"

"""Neural-network layers; each family lives in its own module, imported here to register it."""
from . import nn_act, nn_conv, nn_dense, nn_extra, nn_norm, nn_pool  # noqa: F401

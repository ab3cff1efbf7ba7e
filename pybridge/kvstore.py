"""mx.kv / mx.kvstore: MXNet's key-value store on one machine and one process.

A store keeps one array per key.  ``push`` sums the values given for a key (one per device,
as MXNet's data-parallel training pushes one gradient per device); without an updater the
store then keeps that sum, with one (``set_optimizer``, ``_set_updater``) the updater applies
the sum to the stored array.  ``pull`` copies the stored array into every output.  Keys are
ints or strings, never both in one store.  Distributed types ("dist_*", horovod, byteps) need
several processes and are refused.
"""
import numbers
import os

from .base import MXNetError
from .ndarray import NDArray
from .ndarray.ndarray import _to_device
from . import optimizer as opt

__all__ = ["KVStore", "create", "for_training"]

# MXNet's native single-machine types: "local*" reduce on the CPU, "device*" on the devices,
# "nccl" through NCCL; on one process here they all behave as "local".
_LOCAL_TYPES = ("local", "device", "nccl", "local_update_cpu", "local_allreduce_cpu",
                "local_allreduce_device")
_DIST_TYPES = ("horovod", "byteps")


def create(name="local"):
    """A new KVStore of type ``name`` (case-insensitive, as MXNet)."""
    if not isinstance(name, str):
        raise TypeError(f"kvstore.create: name must be a string, got {type(name).__name__}")
    kind = name.lower()
    if "dist" in kind or kind in _DIST_TYPES:
        raise MXNetError(f"kvstore.create: '{name}' is a distributed kvstore type, which is not "
                         f"supported here (one process on one machine); use 'local' or 'device'")
    if kind not in _LOCAL_TYPES:
        raise MXNetError(f"kvstore.create: unknown kvstore type '{name}'; use one of "
                         f"{', '.join(_LOCAL_TYPES)}")
    return KVStore(kind)


def for_training(kvstore, fname="Module.init_optimizer"):
    """(store, update_on_kvstore) for training on this engine's one device, as MXNet chose.

    A name asks for no store at all on one device (MXNet skipped it there too), except a
    distributed type, which ``create`` refuses; a KVStore given is used and runs the optimizer
    unless the environment variable MXNET_UPDATE_ON_KVSTORE is 0.
    """
    if kvstore is None:
        return None, False
    if isinstance(kvstore, str):
        if "dist" in kvstore.lower():
            create(kvstore)
        return None, False
    if not isinstance(kvstore, KVStore):
        raise TypeError(f"{fname}: kvstore must be KVStore, str or None, got "
                        f"{type(kvstore).__name__}")
    flag = os.getenv("MXNET_UPDATE_ON_KVSTORE", "1")
    try:
        update = bool(int(flag))
    except ValueError:
        raise MXNetError(f"{fname}: MXNET_UPDATE_ON_KVSTORE must be 0 or 1, got "
                         f"{flag!r}") from None
    return kvstore, update and kvstore.is_capable(KVStore.OPTIMIZER)


class KVStore:
    """A single-process MXNet KVStore (``type``, ``rank`` 0, ``num_workers`` 1)."""

    OPTIMIZER = "optimizer"

    def __init__(self, kind="local"):
        self._type = kind
        self._store = {}          # key -> NDArray (the store's own copy)
        self._key_type = None     # int or str, fixed by the first key used
        self._updater = None
        self._optimizer = None

    # ---------------------------------------------------------------- attributes
    @property
    def type(self):
        return self._type

    @property
    def rank(self):
        return 0

    @property
    def num_workers(self):
        return 1

    def is_capable(self, capability):
        if not isinstance(capability, str) or capability.lower() != self.OPTIMIZER:
            raise ValueError(f"Unknown capability: {capability}")
        return True

    # ---------------------------------------------------------------- data
    def init(self, key, value):
        """Store a copy of ``value`` under ``key`` (each key once)."""
        for k, vals in self._pairs("init", key, value, "value"):
            for v in vals:
                if k in self._store:
                    extra = "" if isinstance(k, str) else (
                        ". Please double check if you called kv.init or kv.broadcast with this "
                        "key multiple times")
                    raise MXNetError(f"KVStore.init: duplicate init of key {k}{extra}")
                self._store[k] = v.copy()

    def push(self, key, value, priority=0):
        """Sum the values pushed for each key; store the sum or hand it to the updater."""
        _check_priority("push", priority)
        grouped = {}
        for k, vals in self._pairs("push", key, value, "value"):
            grouped.setdefault(k, []).extend(vals)
        for k in sorted(grouped):
            stored = self._stored("push", k)
            merged = _sum("push", k, grouped[k], stored)
            if self._updater is not None:
                self._updater(k, merged, stored)
            else:
                stored._data[...] = merged._data

    def pull(self, key, out=None, priority=0, ignore_sparse=True):
        """Copy the stored value of each key into its output array(s)."""
        _check_priority("pull", priority)
        if out is None:
            raise MXNetError("KVStore.pull: out must be given (the arrays to copy the values "
                             "into)")
        for k, outs in self._pairs("pull", key, out, "out"):
            stored = self._stored("pull", k)
            for o in outs:
                _check_shape("pull", k, stored.shape, o.shape)
                o._data[...] = _to_device(stored._data, o.context).astype(o._data.dtype,
                                                                         copy=False)

    def pushpull(self, key, value, out=None, priority=0):
        """``push`` then ``pull``; without ``out`` the result is written into ``value``."""
        self.push(key, value, priority)
        self.pull(key, value if out is None else out, priority)

    def broadcast(self, key, value, out, priority=0):
        """``init`` the key with ``value``, then ``pull`` it into ``out``."""
        self.init(key, value)
        self.pull(key, out, priority)

    # ---------------------------------------------------------------- optimizer
    def set_optimizer(self, optimizer):
        """Run ``optimizer`` on the store: each push applies it to the stored weight."""
        if not isinstance(optimizer, opt.Optimizer):
            raise MXNetError(f"KVStore.set_optimizer: optimizer must be an Optimizer, got "
                             f"{type(optimizer).__name__}")
        self._optimizer = optimizer
        self._set_updater(opt.get_updater(optimizer))

    def _set_updater(self, updater):
        """``updater(key, merged, stored)`` runs on each push and updates ``stored``."""
        if not callable(updater):
            raise MXNetError(f"KVStore._set_updater: updater must be callable, got "
                             f"{type(updater).__name__}")
        self._updater = updater

    def set_gradient_compression(self, compression_params):
        if not isinstance(compression_params, dict):
            raise MXNetError("KVStore.set_gradient_compression: compression_params must be a "
                             "dict such as {'type': 'none'}")
        kind = str(compression_params.get("type", "")).lower()
        if kind != "none":
            raise MXNetError(f"KVStore.set_gradient_compression: gradient compression type "
                             f"{compression_params.get('type')!r} is not supported here (one "
                             f"process, nothing to send); only {{'type': 'none'}}")

    def save_optimizer_states(self, fname, dump_optimizer=False):
        """The updater's state arrays as an NDArray file (keys ``key:slot``)."""
        from .ndarray import save
        from .module.module import _flatten_state
        states = self._updater_states("save_optimizer_states")
        if dump_optimizer:
            raise MXNetError("KVStore.save_optimizer_states: dump_optimizer=True is not "
                             "supported (the optimizer itself is not written to files here)")
        flat = {}
        for key, state in states.items():
            for slot, arr in enumerate(_flatten_state(state)):
                if arr is not None:
                    flat[f"{key}:{slot}"] = arr
        save(fname, flat)

    def load_optimizer_states(self, fname):
        """Restore the states written by ``save_optimizer_states`` for the stored keys."""
        from .ndarray import load
        from .module.module import _flatten_state
        self._updater_states("load_optimizer_states")
        if self._optimizer is None:
            raise MXNetError("KVStore.load_optimizer_states: the states belong to an optimizer; "
                             "call set_optimizer first")
        flat = load(fname)
        if not isinstance(flat, dict):
            raise MXNetError(f"KVStore.load_optimizer_states: {fname} holds no named state "
                             f"arrays")
        updater = self._updater
        for key, weight in self._store.items():
            if not any(name.startswith(f"{key}:") for name in flat):
                continue
            state = self._optimizer.create_state_multi_precision(key, weight)
            for slot, arr in enumerate(_flatten_state(state)):
                name = f"{key}:{slot}"
                if arr is not None and name in flat:
                    _check_shape("load_optimizer_states", key, flat[name].shape, arr.shape)
                    arr._data[...] = _to_device(flat[name]._data, arr.context)
            updater.states[key] = state
            updater.states_synced[key] = True

    def _updater_states(self, fname):
        states = getattr(self._updater, "states", None)
        if states is None:
            raise MXNetError(f"KVStore.{fname}: no optimizer is set on this kvstore (call "
                             f"set_optimizer first)")
        return states

    # ---------------------------------------------------------------- helpers
    def _stored(self, fname, key):
        stored = self._store.get(key)
        if stored is None:
            if isinstance(key, str):
                raise MXNetError(f"KVStore.{fname}: key {key} doesn't exist. Did you init?")
            raise MXNetError(f"KVStore.{fname}: key {key} has not been inited")
        return stored

    def _pairs(self, fname, keys, values, what):
        """[(key, [NDArray, ...])] from a key and its value(s), or lists of both."""
        if isinstance(keys, (list, tuple)):
            if not isinstance(values, (list, tuple)) or len(values) != len(keys):
                raise MXNetError(f"KVStore.{fname}: '{what}' must be a list with one entry "
                                 f"per key ({len(keys)} keys)")
            out = []
            for k, v in zip(keys, values):
                out.extend(self._pairs(fname, k, v, what))
            return out
        if isinstance(keys, bool) or not isinstance(keys, (numbers.Integral, str)):
            raise MXNetError(f"KVStore.{fname}: unexpected type for keys: "
                             f"{type(keys).__name__} (use int or str keys)")
        key = keys if isinstance(keys, str) else int(keys)
        kind = str if isinstance(key, str) else int
        if self._key_type is None:
            self._key_type = kind
        elif self._key_type is not kind:
            raise MXNetError(f"KVStore.{fname}: Mixed key types are not allowed (this store "
                             f"uses {self._key_type.__name__} keys, got {key!r})")
        vals = [values] if isinstance(values, NDArray) else values
        if not isinstance(vals, (list, tuple)) or not vals or \
                not all(isinstance(v, NDArray) for v in vals):
            raise MXNetError(f"KVStore.{fname}: '{what}' for key {key} must be an NDArray or a "
                             f"list of NDArrays")
        return [(key, list(vals))]


def _sum(fname, key, values, stored):
    """The sum of ``values`` on the stored array's context, in its dtype."""
    ctx, dtype = stored.context, stored._data.dtype
    total = None
    for v in values:
        _check_shape(fname, key, v.shape, stored.shape)
        data = _to_device(v._data, ctx).astype(dtype, copy=False)
        total = data.copy() if total is None else total + data
    return NDArray(total, ctx)


def _check_shape(fname, key, src, dst):
    if tuple(src) != tuple(dst):
        fmt = lambda s: "[" + ",".join(str(d) for d in s) + "]"  # noqa: E731  (MXNet's form)
        raise MXNetError(f"KVStore.{fname}: operands shape mismatch from.shape = {fmt(src)} "
                         f"to.shape={fmt(dst)} (key {key})")


def _check_priority(fname, priority):
    if isinstance(priority, bool) or not isinstance(priority, numbers.Integral):
        raise MXNetError(f"KVStore.{fname}: priority must be an int, got "
                         f"{type(priority).__name__}")

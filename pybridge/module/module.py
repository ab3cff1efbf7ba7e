"""``mx.mod.Module``: a symbol bound to one device, with parameters and an optimizer.

The module owns host copies of the parameters (``_arg_params``/``_aux_params``, what
``get_params`` returns) and one executor made by ``symbol.simple_bind``; the executor's
arrays are the working copies during training.  Updates follow MXNet's ``Module.update``
with a local updater: parameter ``i`` (in the symbol's argument order) is updated with
``updater(i, grad, weight)``, ``rescale_grad = 1/batch_size``, and the optimizer learns the
names through ``param_idx2name`` (so biases get no weight decay, as in MXNet).
"""
import logging
import warnings
from collections import OrderedDict

from ..base import MXNetError
from ..context import Context, cpu
from ..initializer import InitDesc, Uniform
from ..io.base import DataDesc
from ..ndarray.ndarray import NDArray, _to_device, zeros
from .. import kvstore as kvs
from .. import optimizer as opt
from .base_module import BaseModule, parse_data_desc


def _check_input_names(where, symbol, names, kind, throw):
    args = symbol.list_arguments()
    for name in names:
        if name in args:
            continue
        candidates = [a for a in args if not a.endswith(("_weight", "_bias", "_gamma", "_beta"))]
        msg = (f"{where}: you created Module with Module(..., {kind}_names={list(names)}) but "
               f"input with name '{name}' is not found in symbol.list_arguments(). Did you mean "
               f"one of:\n\t" + "\n\t".join(candidates))
        if throw:
            raise MXNetError(msg)
        warnings.warn(msg)


class Module(BaseModule):
    """MXNet 1.x ``Module`` on one device."""

    def __init__(self, symbol, data_names=("data",), label_names=("softmax_label",),
                 logger=logging, context=None, work_load_list=None, fixed_param_names=None,
                 state_names=None, group2ctxs=None, compression_params=None):
        super().__init__(logger=logger)
        if not hasattr(symbol, "list_arguments") or not hasattr(symbol, "list_outputs"):
            raise MXNetError(f"Module: 'symbol' must be a Symbol, got {type(symbol).__name__}")
        if context is None:
            context = cpu()
        contexts = [context] if isinstance(context, Context) else list(context)
        if not contexts or not all(isinstance(c, Context) for c in contexts):
            raise MXNetError(f"Module: 'context' must be a Context or a list of Contexts, "
                             f"got {context!r}")
        if len(contexts) > 1:
            logger.warning("Module: training on %s only; data parallelism over several "
                           "devices is not supported by this engine", contexts[0])
        self._context = contexts
        self._symbol = symbol
        data_names = list(data_names) if data_names is not None else []
        label_names = list(label_names) if label_names is not None else []
        state_names = list(state_names) if state_names is not None else []
        fixed_param_names = list(fixed_param_names) if fixed_param_names is not None else []
        _check_input_names("Module", symbol, data_names, "data", True)
        _check_input_names("Module", symbol, label_names, "label", False)
        _check_input_names("Module", symbol, state_names, "state", True)
        _check_input_names("Module", symbol, fixed_param_names, "fixed_param", True)
        input_names = data_names + label_names + state_names
        self._param_names = [x for x in symbol.list_arguments() if x not in input_names]
        self._fixed_param_names = fixed_param_names
        self._aux_names = symbol.list_auxiliary_states()
        self._data_names = data_names
        self._label_names = [x for x in label_names if x in symbol.list_arguments()]
        self._state_names = state_names
        self._output_names = symbol.list_outputs()
        self._arg_params = None
        self._aux_params = None
        self._params_dirty = False
        self._optimizer = None
        self._updater = None
        self._kvstore = None
        self._update_on_kvstore = False
        self._exec = None
        self._shared_module = None
        self._grad_req = None
        self._data_shapes = None
        self._label_shapes = None

    # ---------------------------------------------------------------- names and shapes
    @property
    def data_names(self):
        return self._data_names

    @property
    def label_names(self):
        return self._label_names

    @property
    def output_names(self):
        return self._output_names

    @property
    def data_shapes(self):
        self._need("data_shapes", bound=True)
        return self._data_shapes

    @property
    def label_shapes(self):
        self._need("label_shapes", bound=True)
        return self._label_shapes

    @property
    def output_shapes(self):
        self._need("output_shapes", bound=True)
        return list(zip(self._output_names, [o.shape for o in self._exec.outputs]))

    @property
    def context(self):
        return self._context[0]

    @property
    def num_devices(self):
        """The contexts given (training itself runs on the first one)."""
        return len(self._context)

    def _need(self, where, bound=False, params=False, optimizer=False):
        if bound and not self.binded:
            raise MXNetError(f"Module.{where}: call bind() first")
        if params and not self.params_initialized:
            raise MXNetError(f"Module.{where}: call init_params() first")
        if optimizer and not self.optimizer_initialized:
            raise MXNetError(f"Module.{where}: call init_optimizer() first")

    # ---------------------------------------------------------------- checkpoints
    @staticmethod
    def load(prefix, epoch, load_optimizer_states=False, **kwargs):
        """A Module from ``prefix-symbol.json`` and ``prefix-%04d.params``."""
        from ..model import load_checkpoint
        sym, args, auxs = load_checkpoint(prefix, epoch)
        mod = Module(symbol=sym, **kwargs)
        mod._arg_params = args
        mod._aux_params = auxs
        mod.params_initialized = True
        if load_optimizer_states:
            mod._preload_opt_states = f"{prefix}-{epoch:04d}.states"
        return mod

    def save_checkpoint(self, prefix, epoch, save_optimizer_states=False, remove_amp_cast=True):
        """Write ``prefix-symbol.json`` and ``prefix-%04d.params`` (and ``.states``)."""
        from ..model import save_checkpoint
        arg_params, aux_params = self.get_params()
        save_checkpoint(prefix, epoch, self._symbol, arg_params, aux_params)
        if save_optimizer_states:
            self.save_optimizer_states(f"{prefix}-{epoch:04d}.states")
            logging.info('Saved optimizer state to "%s-%04d.states"', prefix, epoch)

    # ---------------------------------------------------------------- parameters
    def get_params(self):
        self._need("get_params", params=True)
        if self._params_dirty:
            self._sync_params_from_devices()
        return (self._arg_params, self._aux_params)

    def _sync_params_from_devices(self):
        # by this module's names: with a shared module the dicts may hold more parameters
        for name in self._param_names:
            arr = self._arg_params[name]
            arr._data[...] = _to_device(self._exec.arg_dict[name]._data, arr._ctx)
        for name in self._aux_names:
            arr = self._aux_params[name]
            arr._data[...] = _to_device(self._exec.aux_dict[name]._data, arr._ctx)
        self._params_dirty = False

    def init_params(self, initializer=Uniform(0.01), arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        """Fill parameters from ``arg_params``/``aux_params`` or, for missing ones, ``initializer``."""
        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init=False. "
                          "init_params call ignored.", stacklevel=2)
            return
        self._need("init_params", bound=True)

        def _impl(name, arr, cache):
            if cache is not None and name in cache:
                src = cache[name]
                if src is not arr:
                    if tuple(src.shape) != tuple(arr.shape):
                        raise MXNetError(f"Module.init_params: shape of '{name}' is "
                                         f"{tuple(src.shape)}, the symbol needs {arr.shape}")
                    arr._data[...] = _to_device(_as_nd(src)._data, arr._ctx)
            elif cache is not None and not allow_missing:
                raise MXNetError(f"Module.init_params: {name} is not presented")
            elif initializer is not None:
                initializer(name, arr)

        attrs = self._symbol.attr_dict() if hasattr(self._symbol, "attr_dict") else {}
        for name, arr in sorted(self._arg_params.items()):
            _impl(InitDesc(name, attrs.get(name, None)), arr, arg_params)
        for name, arr in sorted(self._aux_params.items()):
            _impl(InitDesc(name, attrs.get(name, None)), arr, aux_params)
        self.params_initialized = True
        self._params_dirty = False
        self._copy_params_to_exec()

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True,
                   allow_extra=False):
        """Assign parameter values (all of them unless ``allow_missing``)."""
        if not allow_missing:
            self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                             allow_missing=allow_missing, force_init=force_init,
                             allow_extra=allow_extra)
            return
        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init=False. "
                          "set_params call ignored.", stacklevel=2)
            return
        for src, dst in ((arg_params or {}, self._exec.arg_dict),
                         (aux_params or {}, self._exec.aux_dict)):
            for name, value in src.items():
                if name in dst:
                    dst[name]._data[...] = _to_device(_as_nd(value)._data, dst[name]._ctx)
                elif not allow_extra:
                    raise MXNetError(f"Module.set_params: '{name}' is not a parameter of the "
                                     f"symbol")
        self._params_dirty = True
        self.params_initialized = True

    def _copy_params_to_exec(self, skip=None):
        """Host copies -> the executor, except arrays ``skip`` (an executor) also holds."""
        for names, host, dev, skipped in (
                (self._param_names, self._arg_params, self._exec.arg_dict,
                 skip.arg_dict if skip is not None else {}),
                (self._aux_names, self._aux_params, self._exec.aux_dict,
                 skip.aux_dict if skip is not None else {})):
            for name in names:
                dst = dev[name]
                if dst is not skipped.get(name):
                    dst._data[...] = _to_device(host[name]._data, dst._ctx)

    # ---------------------------------------------------------------- binding
    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req="write"):
        """Create the executor for these input shapes (``DataDesc`` or ``(name, shape)``)."""
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning("Already bound, ignoring bind()")
            return
        if shared_module is not None and not (isinstance(shared_module, Module) and
                                              shared_module.binded and
                                              shared_module.params_initialized):
            raise MXNetError("Module.bind: 'shared_module' must be a Module that is bound and "
                             "has its parameters initialized")
        if not for_training and inputs_need_grad:
            raise MXNetError("Module.bind: inputs_need_grad requires for_training=True")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._grad_req = grad_req
        self._data_shapes = parse_data_desc("Module.bind", self._data_names, data_shapes, "data")
        label_names = self._label_names
        self._label_shapes = None
        if label_shapes is not None and label_names:
            given = [d for d in label_shapes if _name(d) in label_names]
            if len(given) != len(list(label_shapes)):
                warnings.warn(f"Module.bind: label names {[_name(d) for d in label_shapes]} do "
                              f"not match the module's label names {label_names}; "
                              f"the unmatched ones are not bound", stacklevel=2)
            self._label_shapes = parse_data_desc("Module.bind", label_names, given or None,
                                                 "label")
        self._shared_module = shared_module
        self._exec = self._simple_bind()
        if shared_module is not None:
            self._share_params(shared_module)
        elif self.params_initialized:
            self._copy_params_to_exec()
        else:
            self._arg_params = {name: zeros(self._exec.arg_dict[name].shape,
                                            dtype=self._exec.arg_dict[name].dtype)
                                for name in self._param_names}
            self._aux_params = {name: zeros(self._exec.aux_dict[name].shape,
                                            dtype=self._exec.aux_dict[name].dtype)
                                for name in self._aux_names}
        self.binded = True

    def _share_params(self, shared):
        """Use ``shared``'s parameters: the executor got its arrays (simple_bind's shared_exec),
        the host copies are its dicts.  As MXNet, every parameter must exist there already."""
        for names, dicts, kind in ((self._param_names, shared._arg_params, "parameter"),
                                   (self._aux_names, shared._aux_params, "auxiliary state")):
            theirs = shared._exec.arg_dict if kind == "parameter" else shared._exec.aux_dict
            mine = self._exec.arg_dict if kind == "parameter" else self._exec.aux_dict
            for name in names:
                if name not in dicts or mine[name] is not theirs.get(name):
                    raise MXNetError(f"Module.bind: {kind} '{name}' (shape {mine[name].shape}) "
                                     f"is not in shared_module with that shape; the shared "
                                     f"module (e.g. the default bucket) must hold every "
                                     f"parameter")
        self._arg_params = shared._arg_params
        self._aux_params = shared._aux_params
        self.params_initialized = True

    def _grad_reqs(self):
        reqs = {}
        for name in self._symbol.list_arguments():
            if not self.for_training:
                reqs[name] = "null"
            elif name in self._param_names:
                if name in self._fixed_param_names:
                    reqs[name] = "null"
                else:
                    reqs[name] = self._grad_req if isinstance(self._grad_req, str) else \
                        self._grad_req.get(name, "write")
            elif name in self._data_names:
                reqs[name] = "write" if self.inputs_need_grad else "null"
            else:
                reqs[name] = "null"
        return reqs

    def _simple_bind(self, shared_exec=None):
        """Bind for the current shapes; arrays of ``shared_exec`` (or of the shared module's
        executor) with the same name, shape and dtype are used, not copied."""
        if shared_exec is None and getattr(self, "_shared_module", None) is not None:
            shared_exec = self._shared_module._exec
        shapes = {d.name: tuple(d.shape) for d in self._data_shapes + (self._label_shapes or [])}
        types = {d.name: d.dtype for d in self._data_shapes + (self._label_shapes or [])}
        if self._arg_params is not None:
            for name in self._param_names:      # a shared module's dict may hold more
                arr = self._arg_params.get(name)
                if arr is not None:
                    shapes.setdefault(name, arr.shape)
                    types.setdefault(name, arr.dtype)
        return self._symbol.simple_bind(self._context[0], grad_req=self._grad_reqs(),
                                        type_dict=types, shared_exec=shared_exec, **shapes)

    def _reset_bind(self):
        self.binded = False
        self._exec = None
        self._shared_module = None
        self._data_shapes = None
        self._label_shapes = None

    def reshape(self, data_shapes, label_shapes=None):
        """Rebind for new input shapes, keeping parameters (and optimizer state)."""
        self._need("reshape", bound=True)
        if self.params_initialized and self._params_dirty:
            self._sync_params_from_devices()
        self._data_shapes = parse_data_desc("Module.reshape", self._data_names, data_shapes, "data")
        if label_shapes is not None and self._label_names:
            self._label_shapes = parse_data_desc("Module.reshape", self._label_names,
                                                 label_shapes, "label")
        old = self._exec
        self._exec = self._simple_bind(shared_exec=old)
        if self.params_initialized:
            # parameters keep their arrays (same shapes); copy only into new ones
            self._copy_params_to_exec(skip=old)

    # ---------------------------------------------------------------- optimizer
    def init_optimizer(self, kvstore="local", optimizer="sgd",
                       optimizer_params=(("learning_rate", 0.01),), force_init=False):
        """Create the optimizer (``rescale_grad = 1/batch_size`` unless given) and updater."""
        self._need("init_optimizer", bound=True, params=True)
        if self.optimizer_initialized and not force_init:
            self.logger.warning("optimizer already initialized, ignoring...")
            return
        if self._params_dirty:
            self._sync_params_from_devices()
        batch_size = self._data_shapes[0].shape[
            max(DataDesc.get_batch_axis(getattr(self._data_shapes[0], "layout", "NCHW")), 0)]
        rescale_grad = 1.0 / batch_size
        idx2name = dict(enumerate(self._update_names()))
        if isinstance(optimizer, str):
            params = dict(optimizer_params)
            params.setdefault("rescale_grad", rescale_grad)
            optimizer = opt.create(optimizer, sym=self._symbol, param_idx2name=idx2name, **params)
        elif isinstance(optimizer, opt.Optimizer):
            if optimizer.rescale_grad != rescale_grad:
                warnings.warn("Optimizer created manually outside Module but rescale_grad is not "
                              f"normalized to 1.0/batch_size/num_workers ({optimizer.rescale_grad} "
                              f"vs. {rescale_grad}). Is this intended?", stacklevel=2)
            if not optimizer.idx2name:
                optimizer.idx2name = idx2name.copy()
        else:
            raise MXNetError(f"Module.init_optimizer: 'optimizer' must be a name or an Optimizer, "
                             f"got {type(optimizer).__name__}")
        self._optimizer = optimizer
        self._updater = opt.get_updater(optimizer)
        self._init_kvstore(*kvs.for_training(kvstore))
        self.optimizer_initialized = True
        preload = getattr(self, "_preload_opt_states", None)
        if preload is not None:
            self.load_optimizer_states(preload)
            self._preload_opt_states = None

    def _init_kvstore(self, kvstore, update_on_kvstore):
        """Hand the trained parameters to ``kvstore`` (keys: their names, as MXNet's Module);
        with ``update_on_kvstore`` the store runs the optimizer and ``update`` pulls weights."""
        self._kvstore, self._update_on_kvstore = kvstore, bool(update_on_kvstore)
        if kvstore is None:
            return
        if self._update_on_kvstore:
            kvstore.set_optimizer(self._optimizer)
        args, grads = self._exec.arg_dict, self._exec.grad_dict
        for name in self._param_names:
            if grads.get(name) is not None:
                kvstore.init(name, args[name])

    def _update_names(self):
        return list(self._param_names)

    def borrow_optimizer(self, shared_module):
        self._optimizer = shared_module._optimizer
        self._updater = shared_module._updater
        self._kvstore = shared_module._kvstore
        self._update_on_kvstore = shared_module._update_on_kvstore
        self.optimizer_initialized = True

    # ---------------------------------------------------------------- computation
    def forward(self, data_batch, is_train=None):
        """Copy the batch into the executor and run it forward."""
        self._need("forward", bound=True, params=True)
        if is_train is None:
            is_train = self.for_training
        if not isinstance(getattr(data_batch, "data", None), (list, tuple)):
            raise MXNetError(f"Module.forward: 'data_batch' must be a DataBatch (with a list of "
                             f"NDArrays as data), got {type(data_batch).__name__}")
        data = list(data_batch.data)
        if len(data) != len(self._data_names):
            raise MXNetError(f"Module.forward: the batch has {len(data)} data arrays, the module "
                             f"expects {len(self._data_names)} ({', '.join(self._data_names)})")
        new_shapes = [tuple(d.shape) for d in data]
        if new_shapes != [tuple(d.shape) for d in self._data_shapes]:
            label = list(data_batch.label or [])
            label_shapes = None
            if self._label_shapes is not None and len(label) == len(self._label_names):
                label_shapes = [DataDesc(n, tuple(lab.shape))
                                for n, lab in zip(self._label_names, label)]
            elif self._label_shapes is not None:
                label_shapes = [DataDesc(d.name, (new_shapes[0][0],) + tuple(d.shape[1:]))
                                for d in self._label_shapes]
            self.reshape([DataDesc(n, s, getattr(d, "dtype", None) or d.dtype)
                          for n, s, d in zip(self._data_names, new_shapes, data)], label_shapes)
        args = self._exec.arg_dict
        for name, arr in zip(self._data_names, data):
            _load(args[name], arr, "data", name)
        label = data_batch.label
        if label and self._label_names:
            for name, arr in zip(self._label_names, label):
                _load(args[name], arr, "label", name)
        self._exec.forward(is_train=is_train)
        if is_train:
            self._params_dirty = True

    def backward(self, out_grads=None):
        self._need("backward", bound=True, params=True)
        if not self.for_training:
            raise MXNetError("Module.backward: the module is not bound for training")
        self._exec.backward(out_grads=out_grads)

    def update(self):
        """Apply the optimizer to every parameter that has a gradient."""
        self._need("update", bound=True, params=True, optimizer=True)
        self._params_dirty = True
        grads = self._exec.grad_dict
        args = self._exec.arg_dict
        kv = self._kvstore
        for index, name in enumerate(self._param_names):
            grad = grads.get(name)
            if grad is None:
                continue
            if kv is not None:
                # one device: the store's sum is this gradient; MXNet's order of calls
                kv.push(name, grad, priority=-index)
                if self._update_on_kvstore:
                    kv.pull(name, args[name], priority=-index)
                    continue
                kv.pull(name, grad, priority=-index)
            self._updater(index, grad, args[name])

    def get_outputs(self, merge_multi_context=True):
        self._need("get_outputs", bound=True, params=True)
        merge_multi_context = _flag("get_outputs", "merge_multi_context", merge_multi_context)
        outs = list(self._exec.outputs)
        return outs if merge_multi_context else [[o] for o in outs]

    def get_input_grads(self, merge_multi_context=True):
        self._need("get_input_grads", bound=True, params=True)
        merge_multi_context = _flag("get_input_grads", "merge_multi_context", merge_multi_context)
        if not self.inputs_need_grad:
            raise MXNetError("Module.get_input_grads: bind with inputs_need_grad=True first")
        grads = [self._exec.grad_dict[name] for name in self._data_names]
        return grads if merge_multi_context else [[g] for g in grads]

    def get_states(self, merge_multi_context=True):
        states = [self._exec.arg_dict[name] for name in self._state_names]
        return states if merge_multi_context else [[s] for s in states]

    def set_states(self, states=None, value=None):
        for i, name in enumerate(self._state_names):
            dst = self._exec.arg_dict[name]
            if value is not None:
                dst._data[...] = value
            else:
                src = states[i][0] if isinstance(states[i], (list, tuple)) else states[i]
                dst._data[...] = _to_device(src._data, dst._ctx)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        """Update ``eval_metric`` with the labels and the current outputs (by name)."""
        labels = list(labels or [])
        outputs = self._exec.outputs
        if hasattr(eval_metric, "update_dict"):
            eval_metric.update_dict(OrderedDict(zip(self._label_names or
                                                    [f"label{i}" for i in range(len(labels))],
                                                    labels)),
                                    OrderedDict(zip(self._output_names, outputs)))
        else:
            eval_metric.update(labels, list(outputs))

    # ---------------------------------------------------------------- optimizer states
    def save_optimizer_states(self, fname):
        """Optimizer state arrays as an NDArray file (keys ``index:slot``)."""
        self._need("save_optimizer_states", optimizer=True)
        if self._update_on_kvstore:
            self._kvstore.save_optimizer_states(fname)
            return
        from ..ndarray import save
        flat = {}
        for index, state in self._updater.states.items():
            for slot, arr in enumerate(_flatten_state(state)):
                if arr is not None:
                    flat[f"{index}:{slot}"] = arr
        save(fname, flat)

    def load_optimizer_states(self, fname):
        self._need("load_optimizer_states", optimizer=True)
        if self._update_on_kvstore:
            self._kvstore.load_optimizer_states(fname)
            return
        from ..ndarray import load
        flat = load(fname)
        args = self._exec.arg_dict
        for index, name in enumerate(self._param_names):
            weight = args[name]
            state = self._optimizer.create_state_multi_precision(index, weight)
            slots = _flatten_state(state)
            for slot, arr in enumerate(slots):
                key = f"{index}:{slot}"
                if arr is not None and key in flat:
                    arr._data[...] = _to_device(flat[key]._data, arr._ctx)
            self._updater.states[index] = state
            self._updater.states_synced[index] = True


def _flag(where, name, value):
    if isinstance(value, (bool, int)) and value in (0, 1):
        return bool(value)
    raise MXNetError(f"Module.{where}: '{name}' must be True or False, got {value!r}")


def _flatten_state(state):
    if state is None or isinstance(state, NDArray):
        return [state]
    out = []
    for s in state:
        out.extend(_flatten_state(s))
    return out


def _name(desc):
    return desc.name if isinstance(desc, DataDesc) else desc[0]


def _as_nd(value):
    if isinstance(value, NDArray):
        return value
    from ..ndarray.ndarray import array
    return array(value)


def _load(dst, src, kind, name):
    """Copy a batch array into an executor input (same shape, dtype converted)."""
    src = _as_nd(src)
    if tuple(src.shape) != tuple(dst.shape):
        if src.size == dst.size:
            data = src._data.reshape(dst.shape)
        else:
            raise MXNetError(f"Module.forward: {kind} '{name}' has shape {tuple(src.shape)}, the "
                             f"module is bound for {tuple(dst.shape)}")
    else:
        data = src._data
    dst._data[...] = _to_device(data, dst._ctx)

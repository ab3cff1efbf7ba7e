"""``mx.mod.BucketingModule``: one Module per bucket key, all sharing the parameters.

``sym_gen(bucket_key)`` returns ``(symbol, data_names, label_names)``.  ``bind`` binds the
default bucket; a batch with another ``bucket_key`` binds that bucket's module on first use
with ``shared_module`` = the default bucket's, so every bucket's executor computes with the
same parameter and gradient arrays, and the optimizer (with its states) is borrowed from the
module that created it.  This is MXNet 1.x's design: variable-length sequences unrolled to a
few lengths, trained as one model.
"""
import logging
import warnings

from ..base import MXNetError
from ..context import cpu
from ..initializer import Uniform
from ..ndarray import save as nd_save, load as nd_load
from ..ndarray.ndarray import array
from .base_module import BaseModule
from .module import Module


class BucketingModule(BaseModule):
    """MXNet 1.x ``BucketingModule`` on one device."""

    def __init__(self, sym_gen, default_bucket_key=None, logger=logging, context=None,
                 work_load_list=None, fixed_param_names=None, state_names=None,
                 group2ctxs=None, compression_params=None):
        super().__init__(logger=logger)
        if default_bucket_key is None:
            raise MXNetError("BucketingModule: 'default_bucket_key' is required")
        if not callable(sym_gen):
            raise MXNetError(f"BucketingModule: 'sym_gen' must be a function of the bucket key "
                             f"returning (symbol, data_names, label_names), got "
                             f"{type(sym_gen).__name__}")
        self._sym_gen = sym_gen
        self._default_bucket_key = default_bucket_key
        self._module_args = dict(logger=logger, context=context if context is not None else cpu(),
                                 work_load_list=work_load_list,
                                 fixed_param_names=fixed_param_names, state_names=state_names,
                                 group2ctxs=group2ctxs, compression_params=compression_params)
        self._call_sym_gen(default_bucket_key)      # fail early on a bad sym_gen
        self._buckets = {}
        self._curr_module = None
        self._curr_bucket_key = None
        self._params_dirty = False
        self._monitor = None
        self._grad_req = None

    def _call_sym_gen(self, bucket_key):
        result = self._sym_gen(bucket_key)
        if not (isinstance(result, (tuple, list)) and len(result) == 3 and
                hasattr(result[0], "list_arguments")):
            raise MXNetError(f"BucketingModule: sym_gen({bucket_key!r}) must return (symbol, "
                             f"data_names, label_names), got {type(result).__name__}")
        return result

    def _new_module(self, bucket_key):
        symbol, data_names, label_names = self._call_sym_gen(bucket_key)
        return Module(symbol, data_names, label_names, **self._module_args)

    def _need(self, where, params=False, optimizer=False):
        if not self.binded:
            raise MXNetError(f"BucketingModule.{where}: call bind() first")
        if params and not self.params_initialized:
            raise MXNetError(f"BucketingModule.{where}: call init_params() first")
        if optimizer and not self.optimizer_initialized:
            raise MXNetError(f"BucketingModule.{where}: call init_optimizer() first")

    def _reset_bind(self):
        self.binded = False
        self._buckets = {}
        self._curr_module = None
        self._curr_bucket_key = None

    # ---------------------------------------------------------------- names and shapes
    @property
    def default_bucket_key(self):
        return self._default_bucket_key

    @property
    def data_names(self):
        if self.binded:
            return self._curr_module.data_names
        return self._call_sym_gen(self._default_bucket_key)[1]

    @property
    def output_names(self):
        if self.binded:
            return self._curr_module.output_names
        return self._call_sym_gen(self._default_bucket_key)[0].list_outputs()

    @property
    def data_shapes(self):
        self._need("data_shapes")
        return self._curr_module.data_shapes

    @property
    def label_shapes(self):
        self._need("label_shapes")
        return self._curr_module.label_shapes

    @property
    def output_shapes(self):
        self._need("output_shapes")
        return self._curr_module.output_shapes

    @property
    def symbol(self):
        self._need("symbol")
        return self._curr_module.symbol

    # ---------------------------------------------------------------- parameters
    def get_params(self):
        if not self.params_initialized:
            raise MXNetError("BucketingModule.get_params: call init_params() first")
        # the buckets update shared arrays; the current module's flag does not know that
        self._curr_module._params_dirty = self._params_dirty
        params = self._curr_module.get_params()
        self._params_dirty = False
        return params

    def init_params(self, initializer=Uniform(0.01), arg_params=None, aux_params=None,
                    allow_missing=False, force_init=False, allow_extra=False):
        if self.params_initialized and not force_init:
            return
        self._need("init_params")
        self._curr_module.init_params(initializer=initializer, arg_params=arg_params,
                                      aux_params=aux_params, allow_missing=allow_missing,
                                      force_init=force_init, allow_extra=allow_extra)
        self._params_dirty = False
        self.params_initialized = True

    def set_params(self, arg_params, aux_params, allow_missing=False, force_init=True,
                   allow_extra=False):
        if not allow_missing:
            self.init_params(initializer=None, arg_params=arg_params, aux_params=aux_params,
                             allow_missing=allow_missing, force_init=force_init,
                             allow_extra=allow_extra)
            return
        if self.params_initialized and not force_init:
            warnings.warn("Parameters already initialized and force_init=False. "
                          "set_params call ignored.", stacklevel=2)
            return
        self._curr_module.set_params(arg_params, aux_params, allow_missing=allow_missing,
                                     force_init=force_init, allow_extra=allow_extra)
        self._params_dirty = True
        self.params_initialized = True

    def get_states(self, merge_multi_context=True):
        self._need("get_states", params=True)
        return self._curr_module.get_states(merge_multi_context=merge_multi_context)

    def set_states(self, states=None, value=None):
        self._need("set_states", params=True)
        self._curr_module.set_states(states, value)

    # ---------------------------------------------------------------- binding
    def bind(self, data_shapes, label_shapes=None, for_training=True, inputs_need_grad=False,
             force_rebind=False, shared_module=None, grad_req="write"):
        """Bind the default bucket (its shapes); other buckets bind on first use."""
        if self.params_initialized:                 # rebinding keeps the parameters
            arg_params, aux_params = self.get_params()
        if force_rebind:
            self._reset_bind()
        if self.binded:
            self.logger.warning("Already bound, ignoring bind()")
            return
        if shared_module is not None:
            raise MXNetError("BucketingModule.bind: shared_module for BucketingModule is not "
                             "supported")
        self.for_training = for_training
        self.inputs_need_grad = inputs_need_grad
        self._grad_req = grad_req
        module = self._buckets.get(self._default_bucket_key) or \
            self._new_module(self._default_bucket_key)
        module.bind(data_shapes, label_shapes, for_training, inputs_need_grad,
                    force_rebind=False, shared_module=None, grad_req=grad_req)
        self.binded = True
        self._curr_module = module
        self._curr_bucket_key = self._default_bucket_key
        self._buckets[self._default_bucket_key] = module
        if self.params_initialized:
            self.set_params(arg_params, aux_params)

    def switch_bucket(self, bucket_key, data_shapes, label_shapes=None):
        """Make ``bucket_key``'s module current, binding it (sharing parameters) if new."""
        self._need("switch_bucket")
        if bucket_key not in self._buckets:
            if data_shapes is None:
                raise MXNetError(f"BucketingModule.switch_bucket: bucket {bucket_key!r} is not "
                                 f"bound yet; give its data_shapes (the batch's provide_data)")
            module = self._new_module(bucket_key)
            module.bind(data_shapes, label_shapes, self._curr_module.for_training,
                        self._curr_module.inputs_need_grad, force_rebind=False,
                        shared_module=self._buckets[self._default_bucket_key],
                        grad_req=self._grad_req)
            if self.optimizer_initialized:
                module.borrow_optimizer(self._buckets[self._default_bucket_key])
            self._buckets[bucket_key] = module
        elif not self._buckets[bucket_key].binded:     # loaded by BucketingModule.load
            self._buckets[bucket_key].bind(
                data_shapes, label_shapes, self._curr_module.for_training,
                self._curr_module.inputs_need_grad, force_rebind=False,
                shared_module=self._buckets[self._default_bucket_key], grad_req=self._grad_req)
        self._curr_module = self._buckets[bucket_key]
        self._curr_bucket_key = bucket_key

    # ---------------------------------------------------------------- optimizer
    def init_optimizer(self, kvstore="local", optimizer="sgd",
                       optimizer_params=(("learning_rate", 0.01),), force_init=False):
        self._need("init_optimizer", params=True)
        if self.optimizer_initialized and not force_init:
            self.logger.warning("optimizer already initialized, ignoring.")
            return
        self._curr_module.init_optimizer(kvstore, optimizer, optimizer_params,
                                         force_init=force_init)
        for module in self._buckets.values():
            if module is not self._curr_module:
                module.borrow_optimizer(self._curr_module)
        self.optimizer_initialized = True

    # ---------------------------------------------------------------- computation
    def _batch_shapes(self, data_batch):
        data_shapes = getattr(data_batch, "provide_data", None)
        if data_shapes is None and getattr(data_batch, "data", None) is not None:
            data_shapes = [(name, tuple(d.shape))
                           for name, d in zip(self._call_sym_gen(data_batch.bucket_key)[1],
                                              data_batch.data)]
        return data_shapes, getattr(data_batch, "provide_label", None)

    def prepare(self, data_batch, sparse_row_id_fn=None):
        """Bind the batch's bucket ahead of time (the current bucket stays current)."""
        self._need("prepare", params=True)
        original = self._curr_bucket_key
        self.switch_bucket(data_batch.bucket_key, *self._batch_shapes(data_batch))
        self.switch_bucket(original, None, None)

    def forward(self, data_batch, is_train=None):
        """Switch to ``data_batch.bucket_key`` and run that bucket's module forward."""
        self._need("forward", params=True)
        if not hasattr(data_batch, "bucket_key"):
            raise MXNetError(f"BucketingModule.forward: 'data_batch' must be a DataBatch with a "
                             f"bucket_key, got {type(data_batch).__name__}")
        key = data_batch.bucket_key
        if key is None:
            key = self._default_bucket_key
        self.switch_bucket(key, *self._batch_shapes(data_batch))
        self._curr_module.forward(data_batch, is_train=is_train)

    def backward(self, out_grads=None):
        self._need("backward", params=True)
        self._curr_module.backward(out_grads=out_grads)

    def update(self):
        self._need("update", params=True, optimizer=True)
        self._params_dirty = True
        self._curr_module.update()

    def get_outputs(self, merge_multi_context=True):
        self._need("get_outputs", params=True)
        return self._curr_module.get_outputs(merge_multi_context=merge_multi_context)

    def get_input_grads(self, merge_multi_context=True):
        self._need("get_input_grads", params=True)
        if not self.inputs_need_grad:
            raise MXNetError("BucketingModule.get_input_grads: bind with inputs_need_grad=True "
                             "first")
        return self._curr_module.get_input_grads(merge_multi_context=merge_multi_context)

    def update_metric(self, eval_metric, labels, pre_sliced=False):
        self._need("update_metric", params=True)
        self._curr_module.update_metric(eval_metric, labels, pre_sliced)

    def install_monitor(self, mon):
        self._need("install_monitor")
        self._monitor = mon
        for module in self._buckets.values():
            module.install_monitor(mon)

    # ---------------------------------------------------------------- checkpoints
    def save_checkpoint(self, prefix, epoch, remove_amp_cast=False):
        """``prefix-EPOCH.params``, one ``prefix-KEY-symbol.json`` per bound bucket and
        ``prefix.buckets`` (the keys), as MXNet writes them."""
        if not self._buckets:
            raise MXNetError("BucketingModule.save_checkpoint: Empty BucketingModule cannot be "
                             "saved")
        self.save_params("%s-%04d.params" % (prefix, epoch))
        for bucket_key in self._buckets:
            symbol, _, _ = self._call_sym_gen(bucket_key)
            symbol.save("%s-%s-symbol.json" % (prefix, bucket_key))
        nd_save("%s.buckets" % prefix, array(list(self._buckets.keys()), dtype="int32"))

    @staticmethod
    def load(prefix, epoch, sym_gen=None, default_bucket_key=None, **kwargs):
        """A BucketingModule from ``save_checkpoint``'s files (bind it before use)."""
        from ..model import load_params
        from ..symbol.symbol import load as sym_load
        if sym_gen is None:
            raise MXNetError("BucketingModule.load: sym_gen is required for loading "
                             "BucketingModule")
        if default_bucket_key is None:
            raise MXNetError("BucketingModule.load: default_bucket_key is required for "
                             "loading BucketingModule")
        keys = [int(k) for k in nd_load("%s.buckets" % prefix)[0].asnumpy()]
        mod = BucketingModule(sym_gen, default_bucket_key, **kwargs)
        for key in keys:
            _, data_names, label_names = mod._call_sym_gen(key)
            symbol = sym_load("%s-%s-symbol.json" % (prefix, key))
            mod._buckets[key] = Module(symbol, data_names, label_names, **mod._module_args)
        mod._curr_module = mod._buckets.get(default_bucket_key) or \
            mod._new_module(default_bucket_key)
        mod._buckets[default_bucket_key] = mod._curr_module
        arg_params, aux_params = load_params(prefix, epoch)
        mod._curr_module._arg_params = arg_params
        mod._curr_module._aux_params = aux_params
        mod._curr_module.params_initialized = True
        mod.params_initialized = True
        return mod

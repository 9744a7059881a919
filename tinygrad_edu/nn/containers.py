"""Helpers around Module: a registered list of modules, and calling with swapped weights."""

from __future__ import annotations

from tinygrad_edu.nn.module import Module

__all__ = ["ModuleList", "functional_call"]


def functional_call(module: Module, weights: dict, *inputs, **kwargs):
    """Call ``module`` with some of its weights replaced by the given tensors.

    ``weights`` maps dotted paths (as in ``state_dict()``, e.g. ``"kernel"`` or
    ``"dense_1.bias"``) to Tensors. The module's own weights are put back afterwards. This
    turns a layer into a function of its weights, which is what a gradient check needs::

        gradcheck(lambda x, k: functional_call(dense, {"kernel": k}, x), [x, kernel])
    """
    owners = dict(module.named_modules())
    saved = []
    try:
        for path, tensor in weights.items():
            owner_path, _, attribute = path.rpartition(".")
            owner = owners.get(owner_path)
            if owner is None or (attribute not in owner._parameters
                                 and attribute not in owner._buffers):
                raise KeyError(f"functional_call: {module.name} has no weight {path!r}")
            saved.append((owner, attribute, owner.__dict__[attribute]))
            object.__setattr__(owner, attribute, tensor)  # bypass registration: temporary
        return module(*inputs, **kwargs)
    finally:
        for owner, attribute, original in reversed(saved):
            object.__setattr__(owner, attribute, original)


class ModuleList(Module):
    """A list of modules whose weights are registered (children named ``0``, ``1``...).

    Assigning a plain list of modules to a module attribute wraps it in a ModuleList.
    """

    def __init__(self, modules=(), name=None):
        super().__init__(name=name)
        self.built = True
        for module in modules:
            self.append(module)

    def append(self, module):
        if not isinstance(module, Module):
            raise TypeError(f"ModuleList: expected a Module, got {type(module).__name__}")
        self._modules[str(len(self._modules))] = module
        return self

    def __getitem__(self, index):
        items = list(self._modules.values())
        return ModuleList(items[index]) if isinstance(index, slice) else items[index]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(list(self._modules.values()))

    def forward(self, x):
        raise TypeError("ModuleList holds modules; it is not callable. Call its items.")

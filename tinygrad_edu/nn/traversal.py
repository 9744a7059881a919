"""Walking the module tree: sub-modules, parameters and buffers, each found once.

:class:`ModuleTraversal` is a mixin of :class:`~tinygrad_edu.nn.module.Module`; it reads the
registries that assignment fills (``_modules``, ``_parameters``, ``_buffers``). The walk is
iterative and depth-first in the order the attributes were assigned; a module or tensor
shared by two parents is listed once, under the first path that reaches it.
"""

from __future__ import annotations

__all__ = ["ModuleTraversal"]


class ModuleTraversal:
    """The tree walks: modules, children, parameters, buffers and all weights, with paths."""

    def named_modules(self, prefix=""):
        """(dotted path, module) for this module and every sub-module, each once."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            path, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield path, module
            children = list(module._modules.items())
            for key, child in reversed(children):
                stack.append((f"{path}.{key}" if path else key, child))

    def modules(self):
        return [module for _, module in self.named_modules()]

    def named_children(self):
        return iter(self._modules.items())

    def children(self):
        return list(self._modules.values())

    def _named_tensors(self, registry: str):
        seen = set()
        for path, module in self.named_modules():
            for key, tensor in getattr(module, registry).items():
                if id(tensor) not in seen:
                    seen.add(id(tensor))
                    yield (f"{path}.{key}" if path else key), tensor

    def named_parameters(self):
        """(dotted path, parameter) for every *trainable* parameter, e.g. ``dense_1.kernel``
        in a Sequential. Frozen parameters are listed by ``named_weights()``."""
        return ((k, p) for k, p in self._named_tensors("_parameters") if p.trainable)

    def parameters(self) -> list:
        """The trainable parameters: what an optimizer updates."""
        return [p for _, p in self.named_parameters()]

    def named_buffers(self):
        return self._named_tensors("_buffers")

    def buffers(self) -> list:
        return [b for _, b in self.named_buffers()]

    def named_weights(self):
        """Every parameter (trainable or frozen), then every buffer, as (path, tensor)."""
        yield from self._named_tensors("_parameters")
        yield from self._named_tensors("_buffers")

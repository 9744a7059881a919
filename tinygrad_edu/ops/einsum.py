"""Einstein summation with explicit subscripts: ``einsum("ij,jk->ik", a, b)``.

Each operand is labelled with one letter per axis; the output keeps the letters after ``->``
and every other letter is summed over. ``...`` stands for any number of leading (or middle)
axes, broadcast between the operands (``"...ij,...jk->...ik"``); then the output has ``...``
too. Matrix products, batch matrix products
(``"bij,bjk->bik"``), outer products (``"i,j->ij"``), transposes (``"ij->ji"``), traces
(``"ii->"``) and diagonals (``"ii->i"``) are all einsums.

Backward: y = einsum(s_1, ..., s_n -> o). The gradient for operand k is the einsum that
contracts g (letters o) with all the other operands into operand k's letters:

    d(operand_k) = einsum(o, s_1, ..., (skip s_k), ..., s_n -> s_k)(g, operands...)

Two cases need care, both handled with constant extra operands so that the rule stays one
einsum (and so twice differentiable):

* a letter of s_k that appears nowhere else was summed over in k alone; its gradient is
  copied along that axis (an operand of ones with that letter);
* a letter repeated within s_k (a trace or diagonal) is a diagonal of operand k; the gradient
  lands on that diagonal only (an identity matrix tying the two positions).
"""

from __future__ import annotations

import string

import numpy as np

from tinygrad_edu.autograd import Function
from tinygrad_edu.tensor import Tensor, as_tensor

__all__ = ["einsum"]


class Einsum(Function):
    """y = einsum(subscripts, *operands).   d(operand_k): the einsum of g with the others into
    operand k's subscripts (see the module docstring)."""

    hint = "Each operand needs one subscript letter per axis, and a letter one size"

    def forward(self, *arrays, inputs, output):
        self.subscripts = (inputs, output)
        return np.einsum(f"{','.join(inputs)}->{output}", *arrays)

    def backward(self, g):
        inputs, output = self.subscripts
        return tuple(
            _operand_grad(g, self.inputs, inputs, output, k) if t.requires_grad else None
            for k, t in enumerate(self.inputs))


def _operand_grad(g, tensors, inputs, output, k):
    target = inputs[k]
    shape = tensors[k].shape
    terms = [output] + [s for i, s in enumerate(inputs) if i != k]
    operands = [g] + [t for i, t in enumerate(tensors) if i != k]
    dtype = g.data.dtype
    free = iter(c for c in string.ascii_letters if c not in "".join(inputs) + output)
    letters, seen = [], set()
    for position, letter in enumerate(target):
        if letter in seen:  # a repeated letter: a fresh one, tied to the first by an identity
            fresh = next(free)
            size = shape[position]
            terms.append(letter + fresh)
            operands.append(Tensor._wrap(np.eye(size, dtype=dtype)))
            letters.append(fresh)
            continue
        seen.add(letter)
        letters.append(letter)
        if not any(letter in term for term in terms):  # summed over in operand k alone
            terms.append(letter)
            operands.append(Tensor._wrap(np.ones(shape[position], dtype=dtype)))
    return einsum(f"{','.join(terms)}->{''.join(letters)}", *operands)


def _expand_ellipsis(inputs, output, tensors):
    """Replace '...' by letters of its own: every operand's '...' axes are broadcast to one
    shape first (a BroadcastTo op, so its gradient is summed back), as numpy and PyTorch do.
    """
    if not any("..." in term for term in inputs):
        if "..." in output:
            raise ValueError("einsum: '...' in the output needs '...' in an operand")
        return inputs, output, tensors
    if "..." not in output:
        raise ValueError("einsum: an operand has '...', so the output needs '...' too "
                         "(e.g. '...ij,...jk->...ik')")
    parts = []
    for term, t in zip(inputs, tensors):
        if "..." not in term:
            parts.append(None)
            continue
        named = len(term) - 3
        if term.count("...") > 1 or t.ndim < named:
            raise ValueError(f"einsum: subscripts {term!r} do not fit an operand of shape "
                             f"{t.shape}")
        start = term.index("...")
        parts.append((start, t.shape[start:start + t.ndim - named]))
    try:
        shape = np.broadcast_shapes(*[part[1] for part in parts if part is not None])
    except ValueError:
        raise ValueError("einsum: the '...' axes of the operands do not broadcast together: "
                         f"{[part[1] for part in parts if part is not None]}") from None
    used = set("".join(inputs) + output)
    letters = "".join([c for c in string.ascii_letters if c not in used][:len(shape)])
    expanded, new_tensors = [], []
    for term, t, part in zip(inputs, tensors, parts):
        if part is not None:
            start, own = part
            target = t.shape[:start] + (1,) * (len(shape) - len(own)) + t.shape[start:]
            full = t.shape[:start] + shape + t.shape[start + len(own):]
            t = t.reshape(target).broadcast_to(full)
            term = term.replace("...", letters)
        expanded.append(term)
        new_tensors.append(t)
    return tuple(expanded), output.replace("...", letters), new_tensors


def _parse(subscripts: str, tensors) -> tuple[tuple, str, list]:
    if not isinstance(subscripts, str) or "->" not in subscripts:
        raise ValueError(f"einsum: give explicit subscripts with '->', e.g. 'ij,jk->ik'; got "
                         f"{subscripts!r}")
    left, output = subscripts.replace(" ", "").split("->")
    inputs = tuple(left.split(","))
    if len(inputs) != len(tensors):
        raise ValueError(f"einsum: {subscripts!r} names {len(inputs)} operand(s), got "
                         f"{len(tensors)}")
    inputs, output, tensors = _expand_ellipsis(inputs, output, tensors)
    sizes = {}
    for term, t in zip(inputs, tensors):
        if not term.isalpha() and term:
            raise ValueError(f"einsum: subscripts must be letters, got {term!r}")
        if len(term) != t.ndim:
            raise ValueError(f"einsum: subscripts {term!r} name {len(term)} axes but the "
                             f"operand has shape {t.shape}")
        for letter, n in zip(term, t.shape):
            if sizes.setdefault(letter, n) != n:
                raise ValueError(f"einsum: letter {letter!r} has sizes {sizes[letter]} and {n} "
                                 f"in {subscripts!r}")
    for letter in output:
        if letter not in sizes or output.count(letter) > 1:
            raise ValueError(f"einsum: output letter {letter!r} must appear once in the output "
                             f"and in some operand ({subscripts!r})")
    return inputs, output, tensors


def einsum(subscripts: str, *operands):
    """Einstein summation (explicit mode, see the module docstring).

    >>> import tinygrad_edu as tg
    >>> a = tg.Tensor([[1.0, 2.0], [3.0, 4.0]])
    >>> einsum("ii->", a).item(), einsum("ij->ji", a).tolist()
    (5.0, [[1.0, 3.0], [2.0, 4.0]])
    """
    tensors = [as_tensor(t) for t in operands]
    kinds = {t.data.dtype.kind == "f" for t in tensors}
    if kinds == {True, False}:  # integer operands meet the float one's dtype
        dtype = np.result_type(*[t.data.dtype for t in tensors if t.data.dtype.kind == "f"])
        tensors = [t if t.data.dtype.kind == "f" else t.astype(dtype) for t in tensors]
    inputs, output, tensors = _parse(subscripts, tensors)
    return Einsum.apply(*tensors, inputs=inputs, output=output)

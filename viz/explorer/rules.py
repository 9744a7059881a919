"""The backward rule of an op, read from its docstring, written out with the numbers.

Every op's docstring states its forward math and its backward rule in the same symbols, e.g.
``Mul``: ``y = a * b.   da = g * b,  db = g * a.`` (``g`` is dL/dy, the gradient arriving at
the output). :func:`op_rules` reads those statements; :func:`rule_text` writes one of them for
a concrete node, substituting the values of ``g``, the inputs and the output when the tensors
are small, and ending with the actual contribution the engine's backward rule returned::

    Mul: dL/da = g * b = 0.5 * (-3) = -1.5

The symbols of the inputs are the names of the op's ``forward`` parameters (``a``, ``b``,
``x``, ``logits``...); a rule written with other letters (``dz`` for ``logits``) is matched by
position.

>>> from viz.explorer.rules import op_rules
>>> from tinygrad_edu.ops.elementwise import Mul
>>> op_rules(Mul)
('y = a * b', [('a', 'g * b'), ('b', 'g * a')])
"""

from __future__ import annotations

import functools
import inspect
import re

import numpy as np

from viz.graph_style import number

__all__ = ["op_rules", "input_symbols", "derivative", "rule_text", "forward_text", "values_text",
           "SMALL_TENSOR"]

#: tensors with at most this many elements have their numbers written into the rules
SMALL_TENSOR = 4

_RULE_START = re.compile(r"(?<![\w(])d(\w+|\(\w+\)) = ")
_RULE_END = re.compile(r"\s{2,}|;|:\s|\.(?=\s|$)|\n|$")
_FORWARD_END = re.compile(r"\.(?=\s{2,}|\s*$)")
_WORD = re.compile(r"[A-Za-z_]\w*")
#: words a rule may contain besides its symbols and still be written out with numbers
_MATH_WORDS = {"log", "exp", "sqrt", "sign", "sin", "cos", "tanh", "sigmoid", "abs"}


def _docstring(op_class) -> str:
    return inspect.cleandoc(op_class.__doc__ or "")


@functools.cache  # one parse per kind of op, however big the graph
def op_rules(op_class):
    """``(forward statement, [(input symbol, rule), ...])`` from an op's docstring."""
    doc = _docstring(op_class)
    first = doc.split("\n", 1)[0]
    end = _FORWARD_END.search(first)
    forward = (first[:end.start()] if end else first).strip().replace("``", "")
    rules = []
    for match in _RULE_START.finditer(doc):
        rest = doc[match.end():]
        body = rest[:_RULE_END.search(rest).start()].strip().rstrip(",").strip()
        body = body.replace("``", "")
        symbol = match.group(1).strip("()")
        if body and symbol not in dict(rules):
            rules.append((symbol, body))
    return forward, rules


def input_symbols(node) -> list:
    """The symbol of each input of ``node``: its ``forward`` parameter names."""
    names = _forward_parameters(type(node))
    count = len(node.inputs)
    if names is None:
        return [f"input_{k}" for k in range(count)]  # Concatenate's *arrays
    return (names + [f"input_{k}" for k in range(len(names), count)])[:count]


@functools.cache
def _forward_parameters(op_class):
    """The names of ``forward``'s parameters after self (None for ``*arrays``)."""
    parameters = list(inspect.signature(op_class.forward).parameters.values())[1:]
    if parameters and parameters[0].kind is inspect.Parameter.VAR_POSITIONAL:
        return None
    return [p.name for p in parameters]


def derivative(symbol: str) -> str:
    """``dL/da``; ``dL/d(logits)`` for a longer symbol."""
    return f"dL/d{symbol}" if len(symbol) == 1 else f"dL/d({symbol})"


def _rule_for_each_input(node):
    """[(symbol, rule or None)] for each input, matching the docstring's rules to inputs."""
    _, rules = op_rules(type(node))
    symbols = input_symbols(node)
    by_symbol = dict(rules)
    if len(rules) == 1 and rules[0][0] not in symbols and len(symbols) > 1:
        return [(s, rules[0][1]) for s in symbols]  # one rule for all, e.g. d(input_k)
    unmatched = [rule for symbol, rule in rules if symbol not in symbols]
    chosen = []
    for index, symbol in enumerate(symbols):
        if symbol in by_symbol:
            chosen.append((symbol, by_symbol[symbol]))
        elif unmatched and index < len(rules):
            letter = rules[index][0]
            chosen.append((letter, unmatched.pop(0)))
        else:
            chosen.append((symbol, None))
    return chosen


def values_text(array) -> str:
    """A small array's values (``-1.5``, ``[1, 2]``), or its shape and mean |value|."""
    values = np.asarray(array)
    if values.size <= SMALL_TENSOR:
        flat = [number(v) for v in values.ravel()]
        return flat[0] if values.ndim == 0 else "[" + ", ".join(flat) + "]"
    shape = "x".join(str(n) for n in values.shape)
    magnitude = float(np.mean(np.abs(values.astype(np.float64)))) if values.size else 0.0
    return f"({shape} values, mean |.| {number(magnitude)})"


def _operand(array) -> str:
    text = values_text(array)
    return f"({text})" if text.startswith("-") else text


def _substitute(expression: str, values: dict) -> str | None:
    """``expression`` with each symbol replaced by its small value, or None when it mentions
    anything else (words in a rule mean it is prose, not a formula to fill in)."""
    words = set(_WORD.findall(expression))
    unknown = words - set(values) - _MATH_WORDS
    if unknown or not words & set(values):
        return None
    if any(np.asarray(values[w]).size > SMALL_TENSOR for w in words & set(values)):
        return None
    return _WORD.sub(lambda m: _operand(values[m.group(0)]) if m.group(0) in values
                     else m.group(0), expression)


def _output_symbol(node) -> str:
    forward, _ = op_rules(type(node))
    match = re.match(r"\s*(\w+)\s*=", forward)
    return match.group(1) if match else "y"


def _symbol_values(node, output, grad_out=None) -> dict:
    symbols = input_symbols(node)
    values = {s: t.data for s, t in zip(symbols, node.inputs)}
    values[_output_symbol(node)] = output.data
    if grad_out is not None:
        values["g"] = np.asarray(grad_out)
    return values


def rule_text(node, index: int, output, grad_out, contribution) -> str:
    """``Mul: dL/da = g * b = 0.5 * (-3) = -1.5`` for input ``index`` of ``node``.

    Args:
        node: the graph node (a ``Function``).
        index: which input.
        output: the node's output tensor.
        grad_out: dL/d(output), an array.
        contribution: the gradient the rule sends to this input (an array, already summed to
            the input's shape), or None when the input takes no gradient.
    """
    symbol, rule = _rule_for_each_input(node)[index]
    head = f"{node.name}: {derivative(symbol)}"
    if contribution is None:
        return f"{head}: none (this input needs no gradient)"
    result = values_text(contribution)
    if rule is None:
        return f"{head} = {result}"
    filled = _substitute(rule, _symbol_values(node, output, grad_out))
    if filled is None or filled == result:
        return f"{head} = {rule} = {result}"
    return f"{head} = {rule} = {filled} = {result}"


def forward_text(node, output) -> str:
    """``Mul: y = a * b = 2 * (-3) = -6``: the forward statement with the numbers."""
    statement, _ = op_rules(type(node))
    result = values_text(output.data)
    left, sep, right = statement.partition(" = ")
    if not sep:
        return f"{node.name}: {statement} -> {result}" if statement else f"{node.name}: {result}"
    filled = _substitute(right, _symbol_values(node, output))
    if filled is None:
        return f"{node.name}: {statement} = {result}"
    return f"{node.name}: {left} = {right} = {filled} = {result}"

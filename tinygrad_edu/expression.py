"""Small arithmetic expressions such as ``"tanh(x*w + b)"``, parsed safely into Tensor ops.

The text is parsed with Python's :mod:`ast` module and then *checked against a whitelist*
before anything is computed. Nothing is ever handed to ``eval`` or ``exec``: the checked
syntax tree is walked by a small interpreter that knows exactly these constructs:

* numbers (``2``, ``0.5``, ``1e-3``),
* the names of the variables that are given,
* the operators ``+ - * / ** @``, unary ``-`` and ``+``, and parentheses,
* calls, by name and with positional arguments only, of the functions in :data:`FUNCTIONS`
  (``exp log sqrt abs sin cos tanh sigmoid relu`` with one argument,
  ``maximum minimum`` with two).

Everything else (attribute access, indexing, strings, lambdas, comprehensions, comparisons,
keyword arguments, names starting with ``_`` ...) is refused with an :class:`ExpressionError`
that says what was found, where, and what is allowed.

>>> from tinygrad_edu import Tensor
>>> x = Tensor(2.0, requires_grad=True, name="x")
>>> y = evaluate_expression("tanh(x*w + b)", {"x": x, "w": -3.0, "b": 6.88})
>>> round(float(y.item()), 4)
0.7064
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

import numpy as np

from tinygrad_edu import ops
from tinygrad_edu.lookup import did_you_mean
from tinygrad_edu.tensor import Tensor

__all__ = ["Expression", "ExpressionError", "evaluate_expression", "FUNCTIONS"]

#: name -> (number of arguments, tinygrad_edu function)
FUNCTIONS = {
    "exp": (1, ops.exp),
    "log": (1, ops.log),
    "sqrt": (1, ops.sqrt),
    "abs": (1, ops.abs),
    "sin": (1, ops.sin),
    "cos": (1, ops.cos),
    "tanh": (1, ops.tanh),
    "sigmoid": (1, ops.sigmoid),
    "relu": (1, ops.relu),
    "maximum": (2, ops.maximum),
    "minimum": (2, ops.minimum),
}

#: longest accepted expression, in characters (these are meant to fit on a slide)
MAX_LENGTH = 1000

_BINARY = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
    ast.Pow: lambda a, b: a**b,
    ast.MatMult: lambda a, b: a @ b,
}
_UNARY = {ast.USub: lambda a: -a, ast.UAdd: lambda a: a}
_STRUCTURE = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Call, ast.Name, ast.Constant, ast.Load)

# Words for the constructs people try most often, so the refusal reads naturally.
_DESCRIPTIONS = {
    ast.Attribute: "attribute access ('.')",
    ast.Subscript: "indexing ('[...]')",
    ast.Lambda: "a lambda",
    ast.ListComp: "a list comprehension",
    ast.SetComp: "a set comprehension",
    ast.DictComp: "a dict comprehension",
    ast.GeneratorExp: "a generator expression",
    ast.List: "a list",
    ast.Tuple: "a tuple",
    ast.Set: "a set",
    ast.Dict: "a dict",
    ast.Compare: "a comparison",
    ast.BoolOp: "'and'/'or'",
    ast.IfExp: "an 'if ... else' expression",
    ast.JoinedStr: "an f-string",
    ast.NamedExpr: "an assignment (':=')",
    ast.Starred: "'*' unpacking",
    ast.Await: "'await'",
    ast.Yield: "'yield'",
    ast.Slice: "a slice",
    ast.keyword: "a keyword argument",
    ast.Mod: "the operator '%'",
    ast.FloorDiv: "the operator '//'",
    ast.BitAnd: "the operator '&'",
    ast.BitOr: "the operator '|'",
    ast.BitXor: "the operator '^' (for powers write '**')",
    ast.LShift: "the operator '<<'",
    ast.RShift: "the operator '>>'",
    ast.Invert: "the operator '~'",
    ast.Not: "'not'",
}


class ExpressionError(ValueError):
    """An expression that cannot be parsed, is not allowed, or lacks a variable's value."""


def _allowed_text(variables) -> str:
    if variables is None:
        names = "variable names (not starting with '_')"
    else:
        names = "variables " + (", ".join(variables) if variables else "(none given)")
    one = " ".join(name for name, (arity, _) in FUNCTIONS.items() if arity == 1)
    two = " ".join(name for name, (arity, _) in FUNCTIONS.items() if arity == 2)
    return (
        "Allowed: numbers; the " + names + "; the operators + - * / ** @ and unary -; "
        "parentheses; and calls of the functions " + one + " (one argument) and " + two
        + " (two arguments)."
    )


def _suggest(word: str, choices) -> str:
    return did_you_mean(word, choices)


class Expression:
    """A checked expression, ready to be evaluated on Tensors.

    Args:
        source: the expression text, e.g. ``"tanh(x*w + b)"``.
        variables: the variable names that may appear. When omitted, any name that is not a
            function and does not start with ``_`` is taken as a variable; its value must
            then be given to :meth:`evaluate`.

    Attributes:
        source: the text.
        variables: the variable names the expression uses, in order of first appearance.

    Raises:
        ExpressionError: the text is not a single expression, or uses anything outside the
            whitelist described in the module docstring.
    """

    def __init__(self, source: str, variables=None):
        if not isinstance(source, str):
            raise TypeError(f"Expression: expected the expression as a str, got "
                            f"{type(source).__name__}")
        self.source = source
        self._allowed = None if variables is None else list(variables)
        for name in self._allowed or ():
            if not name.isidentifier() or name.startswith("_") or name in FUNCTIONS:
                raise ExpressionError(
                    f"Expression: {name!r} cannot be a variable name: use a plain identifier "
                    "that does not start with '_' and is not one of the functions "
                    + ", ".join(FUNCTIONS)
                )
        self._tree = self._parse()
        self.variables = self._check()

    def _fail(self, what: str, node=None, hint: str = "") -> ExpressionError:
        where = ""
        if node is not None and hasattr(node, "col_offset"):
            where = f" at column {node.col_offset + 1}"
        shown = self.source if len(self.source) <= 80 else self.source[:77] + "..."
        return ExpressionError(
            f"Expression {shown!r}: {what}{where}.{hint} {_allowed_text(self._allowed)}"
        )

    def _parse(self) -> ast.Expression:
        if len(self.source) > MAX_LENGTH:
            raise self._fail(f"too long ({len(self.source)} characters, at most {MAX_LENGTH})")
        if not self.source.strip():
            raise self._fail("empty expression")
        try:
            return ast.parse(self.source.strip(), mode="eval")
        except SyntaxError as error:
            column = f" at column {error.offset}" if error.offset else ""
            raise self._fail(f"not a single valid expression ({error.msg}{column})") from None
        except (ValueError, RecursionError, MemoryError) as error:
            raise self._fail(f"cannot be parsed ({type(error).__name__})") from None

    def _check(self) -> list:
        """Refuse every node outside the whitelist; return the variable names used."""
        called = set()
        used = []
        for node in ast.walk(self._tree):
            if isinstance(node, ast.Call):
                self._check_call(node)
                called.add(id(node.func))
            elif isinstance(node, (ast.BinOp, ast.UnaryOp)):
                if type(node.op) not in _BINARY and type(node.op) not in _UNARY:
                    description = _DESCRIPTIONS.get(type(node.op), type(node.op).__name__)
                    raise self._fail(f"{description} is not allowed", node)
            elif type(node) in _BINARY or type(node) in _UNARY:
                continue
            elif not isinstance(node, _STRUCTURE):
                description = _DESCRIPTIONS.get(type(node), f"'{type(node).__name__}' syntax")
                raise self._fail(f"{description} is not allowed", node)
            elif isinstance(node, ast.Constant):
                if type(node.value) not in (int, float):
                    raise self._fail(f"the constant {node.value!r} is not allowed (only real "
                                     "numbers are)", node)
            elif isinstance(node, ast.Name) and id(node) not in called:
                self._check_name(node)
                used.append((node.lineno, node.col_offset, node.id))
        # ast.walk goes breadth first; sort to list the names in reading order
        return list(dict.fromkeys(name for *_, name in sorted(used)))

    def _check_call(self, node: ast.Call) -> None:
        if not isinstance(node.func, ast.Name):
            description = _DESCRIPTIONS.get(type(node.func), "this kind of call")
            raise self._fail(f"{description} is not allowed (only the known functions can be "
                             "called, by their plain name)", node.func)
        name = node.func.id
        if name not in FUNCTIONS:
            raise self._fail(f"unknown function '{name}'", node, _suggest(name, FUNCTIONS))
        if node.keywords:
            raise self._fail(f"{name}() takes no keyword arguments", node)
        arity = FUNCTIONS[name][0]
        if len(node.args) != arity:
            raise self._fail(f"{name}() takes {arity} argument{'s' * (arity > 1)}, "
                             f"got {len(node.args)}", node)

    def _check_name(self, node: ast.Name) -> None:
        name = node.id
        if name.startswith("_"):
            raise self._fail(f"the name '{name}' is not allowed (names starting with '_' "
                             "never are)", node)
        if name in FUNCTIONS:
            raise self._fail(f"'{name}' is a function: call it, as in {name}(x)", node)
        if self._allowed is not None and name not in self._allowed:
            raise self._fail(f"unknown variable '{name}'", node, _suggest(name, self._allowed))

    def evaluate(self, values: Mapping) -> Tensor:
        """Compute the expression with Tensor ops (so the result has a graph).

        Args:
            values: variable name -> Tensor, number or array. Tensors are used as they are
                (their graph connects to the result); other values become float32 Tensors
                that do not require grad. Extra names are ignored.

        Returns:
            The result as a Tensor.
        """
        missing = [name for name in self.variables if name not in values]
        if missing:
            hints = "".join(_suggest(name, values) for name in missing)
            raise ExpressionError(
                f"Expression {self.source!r}: no value given for {', '.join(missing)}.{hints}"
            )
        env = {name: _as_operand(values[name]) for name in self.variables}
        results = []
        # Post-order walk with an explicit stack: no recursion, whatever the nesting.
        stack = [(self._tree.body, False)]
        while stack:
            node, children_done = stack.pop()
            children = _children(node)
            if not children_done and children:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(children))
                continue
            arguments = results[len(results) - len(children):]
            del results[len(results) - len(children):]
            try:
                results.append(self._apply(node, arguments, env))
            except ExpressionError:
                raise
            except (ValueError, TypeError, ArithmeticError) as error:
                # e.g. x @ w on two numbers: say which part of the text failed, and why
                raise ExpressionError(
                    f"Expression {self.source[:80]!r}: cannot compute "
                    f"{ast.get_source_segment(self.source, node) or 'it'!r}: {error}"
                ) from None
        (result,) = results
        return result if isinstance(result, Tensor) else Tensor(result)

    def _apply(self, node, arguments, env):
        if isinstance(node, ast.Constant):
            try:
                return float(node.value)
            except OverflowError:
                raise self._fail("a number is too large", node) from None
        if isinstance(node, ast.Name):
            return env[node.id]
        if isinstance(node, ast.UnaryOp):
            (operand,) = arguments
            return _UNARY[type(node.op)](_tensor(operand))
        if isinstance(node, ast.BinOp):
            left, right = arguments
            if not isinstance(right, Tensor):
                left = _tensor(left)  # two plain numbers: compute with a Tensor, not Python
            return _BINARY[type(node.op)](left, right)
        function = FUNCTIONS[node.func.id][1]
        return function(*[_tensor(a) for a in arguments])

    def __repr__(self) -> str:
        return f"Expression({self.source!r}, variables={self.variables})"


def _children(node) -> list:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _tensor(value):
    return value if isinstance(value, Tensor) else Tensor(value)


def _as_operand(value):
    if isinstance(value, Tensor):
        return value
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ExpressionError(f"Expression: a variable's value must be numeric, got "
                              f"{type(value).__name__}")
    return Tensor(array.astype(np.float32))


def evaluate_expression(source: str, values: Mapping) -> Tensor:
    """Check ``source`` against the whitelist and compute it on ``values``.

    Only the names in ``values`` may appear as variables. See :class:`Expression`.
    """
    return Expression(source, variables=list(values)).evaluate(values)

"""The safe expression parser: correct values and gradients, and refusal of everything else."""

import ast
import builtins
import inspect

import numpy as np
import pytest

import tinygrad_edu as tg
from tinygrad_edu import expression as expression_module
from tinygrad_edu.expression import FUNCTIONS, Expression, ExpressionError, evaluate_expression
from tinygrad_edu.gradcheck import gradcheck


def _sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def test_neuron_value_and_gradients():
    x = tg.Tensor(2.0, requires_grad=True, name="x")
    w = tg.Tensor(-3.0, requires_grad=True, name="w")
    b = tg.Tensor(6.88, requires_grad=True, name="b")
    out = evaluate_expression("tanh(x*w + b)", {"x": x, "w": w, "b": b})
    out.backward()
    z = 2.0 * -3.0 + 6.88
    slope = 1.0 - np.tanh(z) ** 2
    assert out.item() == pytest.approx(np.tanh(z), rel=1e-6)
    assert x.grad.item() == pytest.approx(-3.0 * slope, rel=1e-5)
    assert w.grad.item() == pytest.approx(2.0 * slope, rel=1e-5)
    assert b.grad.item() == pytest.approx(slope, rel=1e-5)


@pytest.mark.parametrize("source, expected", [
    ("x + y", lambda x, y: x + y),
    ("x - y", lambda x, y: x - y),
    ("x * y", lambda x, y: x * y),
    ("x / y", lambda x, y: x / y),
    ("x ** 2", lambda x, y: x**2),
    ("2 ** y", lambda x, y: 2.0**y),
    ("-x + +y", lambda x, y: -x + y),
    ("(x + 1) * (y - 2)", lambda x, y: (x + 1) * (y - 2)),
    ("3 - x", lambda x, y: 3 - x),
    ("exp(x) + log(y) + sqrt(y)", lambda x, y: np.exp(x) + np.log(y) + np.sqrt(y)),
    ("abs(x) * sin(y) + cos(x)", lambda x, y: np.abs(x) * np.sin(y) + np.cos(x)),
    ("sigmoid(x) + relu(x - y)", lambda x, y: _sigmoid(x) + np.maximum(x - y, 0)),
    ("maximum(x, y) - minimum(x, y)", lambda x, y: np.maximum(x, y) - np.minimum(x, y)),
    ("1e-3 * x", lambda x, y: 1e-3 * x),
])
def test_operators_and_functions_match_numpy(source, expected):
    x_values = np.array([0.5, -1.5, 2.0])
    y_values = np.array([1.5, 0.25, 3.0])
    result = evaluate_expression(source, {"x": x_values, "y": y_values})
    np.testing.assert_allclose(result.numpy(), expected(x_values, y_values), rtol=1e-5)


def test_matmul_operator():
    a = np.arange(6.0).reshape(2, 3)
    b = np.arange(3.0)
    np.testing.assert_allclose(evaluate_expression("a @ b", {"a": a, "b": b}).numpy(), a @ b)


def test_gradients_flow_through_the_given_tensors():
    expression = Expression("tanh(x*w + b) * sigmoid(w) - x ** 2 / (1 + exp(b))")
    rng = np.random.default_rng(0)
    inputs = [tg.Tensor(rng.normal(size=3), requires_grad=True, dtype="float64")
              for _ in range(3)]

    def fn(x, w, b):
        return expression.evaluate({"x": x, "w": w, "b": b})

    assert gradcheck(fn, inputs)


def test_dtypes_follow_the_variables():
    assert evaluate_expression("x * 0.5 + 2", {"x": 1.0}).dtype == np.float32
    x64 = tg.Tensor([1.0], dtype="float64")
    assert evaluate_expression("x * 0.5 + 2", {"x": x64}).dtype == np.float64
    constant = evaluate_expression("2 ** 3 - 1", {})
    assert isinstance(constant, tg.Tensor) and constant.item() == 7.0
    assert constant.dtype == np.float32


def test_variables_in_order_of_first_use():
    assert Expression("b * tanh(x * w) + x").variables == ["b", "x", "w"]
    assert Expression("exp(1) + 2").variables == []


def test_deep_nesting_is_evaluated_without_recursion():
    source = "-" * 501 + "x"  # a chain of 501 negations
    assert evaluate_expression(source, {"x": 2.0}).item() == -2.0
    long_sum = "+".join(["x"] * 400)
    assert evaluate_expression(long_sum, {"x": 0.5}).item() == 200.0


HOSTILE = [
    ("__import__('os').system('touch PWNED')", "attribute access"),
    ("__import__('os')", "unknown function '__import__'"),
    ("x.__class__", "attribute access"),
    ("x.__class__.__bases__[0].__subclasses__()", "not allowed"),
    ("(lambda: 1)()", "a lambda is not allowed"),
    ("lambda: 1", "a lambda is not allowed"),
    ("[x for x in y]", "a list comprehension is not allowed"),
    ("(x for x in y)", "a generator expression is not allowed"),
    ("x[0]", "indexing"),
    ("'abc'", "the constant 'abc' is not allowed"),
    ("f'{x}'", "f-string"),
    ("True + x", "the constant True is not allowed"),
    ("1j * x", "not allowed"),
    ("x if x else y", "'if ... else'"),
    ("x < y", "a comparison is not allowed"),
    ("x and y", "'and'/'or'"),
    ("(y := 2)", "assignment"),
    ("x % 2", "the operator '%'"),
    ("x ^ 2", "for powers write '**'"),
    ("x // 2", "the operator '//'"),
    ("~x", "the operator '~'"),
    ("exp(x=1)", "takes no keyword arguments"),
    ("exp(*y)", "'*' unpacking"),
    ("tanh(x, y)", "tanh() takes 1 argument, got 2"),
    ("maximum(x)", "maximum() takes 2 arguments, got 1"),
    ("tanhh(x)", "Did you mean 'tanh'"),
    ("open('/etc/passwd')", "unknown function 'open'"),
    ("eval('1')", "unknown function 'eval'"),
    ("x + z", "unknown variable 'z'"),
    ("__builtins__", "names starting with '_'"),
    ("x; y", "not a single valid expression"),
    ("import os", "not a single valid expression"),
    ("tanh + 1", "'tanh' is a function"),
    ("", "empty expression"),
    ("(" * 300 + "x" + ")" * 300, "not a single valid expression"),
    ("x" + " + x" * 400, "too long"),
    ("1" + "0" * 400, "too large"),
]


@pytest.mark.parametrize("source, fragment", HOSTILE)
def test_everything_else_is_refused_with_a_clear_message(source, fragment):
    with pytest.raises(ExpressionError) as caught:
        evaluate_expression(source, {"x": 1.0, "y": 2.0})
    message = str(caught.value)
    assert fragment in message
    if "too large" not in fragment:
        # every refusal says what is allowed
        assert "Allowed: numbers; the variables x, y" in message
        assert "tanh" in message and "+ - * / **" in message


def test_refused_code_never_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for source in ("__import__('os').system('touch PWNED')",
                   "open('PWNED', 'w')", "exec('open(\"PWNED\", \"w\")')"):
        with pytest.raises(ExpressionError):
            Expression(source).evaluate({})
    assert list(tmp_path.iterdir()) == []


def test_no_eval_or_exec_is_used(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("eval/exec must never be called")

    monkeypatch.setattr(builtins, "eval", forbidden)
    monkeypatch.setattr(builtins, "exec", forbidden)
    assert evaluate_expression("tanh(x) * 2", {"x": 0.0}).item() == 0.0
    tree = ast.parse(inspect.getsource(expression_module))
    called = {node.func.id for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}
    assert not called & {"eval", "exec", "compile", "__import__", "getattr"}


def test_missing_values_and_bad_variable_names():
    with pytest.raises(ExpressionError, match="no value given for width.*Did you mean 'widht'"):
        Expression("x * width").evaluate({"x": 1.0, "widht": 2.0})
    for bad in ("__class__", "exp", "2x", "_private"):
        with pytest.raises(ExpressionError, match="cannot be a variable name"):
            Expression("1", variables=[bad])
    with pytest.raises(ExpressionError, match="must be numeric"):
        evaluate_expression("x + 1", {"x": "1"})
    with pytest.raises(TypeError, match="expected the expression as a str"):
        Expression(42)


def test_function_table_is_what_the_messages_promise():
    assert set(FUNCTIONS) == {"exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid",
                              "relu", "maximum", "minimum"}
    assert repr(Expression("x + 1")) == "Expression('x + 1', variables=['x'])"

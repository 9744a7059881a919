"""The picture-drawing subcommands of ``tinygrad-edu``.

``tinygrad-edu graph "tanh(x*w + b)" --set x=2.0 --set w=-3.0 --set b=6.88 -o neuron.svg``
parses the expression safely (:mod:`tinygrad_edu.expression`: arithmetic over the named
variables and known functions only, never ``eval``), runs forward and backward, prints the
value and every variable's gradient, and draws the graph with values and gradients. The
picture format comes from the file extension (svg, png, pdf; ``.dot`` writes the DOT source,
which needs no Graphviz program).

``tinygrad-edu explore "tanh(x*w + b)" --set x=2.0 --set w=-3.0 --set b=6.88 -o neuron.html``
computes the same way and writes the step-through page of :func:`viz.explore`.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from tinygrad_edu.expression import FUNCTIONS, Expression, ExpressionError
from tinygrad_edu.tensor import Tensor

from .graph import draw_graph, retain_grads
from .graph_render import GraphvizNotFoundError, render_graph
from .tour import add_tour_parser

__all__ = ["add_commands", "add_graph_parser", "run_graph", "add_explore_parser", "run_explore"]

_EXAMPLE = 'tinygrad-edu graph "tanh(x*w + b)" --set x=2.0 --set w=-3.0 --set b=6.88 -o neuron.svg'
_EXPLORE_EXAMPLE = ('tinygrad-edu explore "tanh(x*w + b)" --set x=2.0 --set w=-3.0 --set b=6.88 '
                    '-o neuron.html')


def add_commands(subparsers) -> None:
    """Add this module's subcommands to the ``tinygrad-edu`` parser's subparsers."""
    add_graph_parser(subparsers)
    add_explore_parser(subparsers)
    add_tour_parser(subparsers)


def add_graph_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``graph`` subcommand; its ``run`` default is :func:`run_graph`."""
    parser = subparsers.add_parser(
        "graph",
        help="draw the computation graph of a small expression, with values and gradients",
        description=(
            "Compute a small expression of named variables, backpropagate through it and draw "
            "its computation graph. Only arithmetic is accepted: numbers, the variables, "
            "+ - * / ** @, unary -, parentheses and the functions " + ", ".join(FUNCTIONS)
            + ".  Example: " + _EXAMPLE
        ),
    )
    parser.add_argument("expression", help='the expression, e.g. "tanh(x*w + b)"')
    parser.add_argument("--set", dest="assignments", action="append", default=[],
                        metavar="NAME=VALUE", help="a variable's value (repeat for each one)")
    parser.add_argument("-o", "--output", default="graph.svg",
                        help="output file; the extension picks the format: .svg .png .pdf, or "
                             ".dot for the DOT source (default: graph.svg)")
    parser.add_argument("--format", choices=("svg", "png", "pdf", "dot"),
                        help="override the format given by the extension")
    parser.add_argument("--rankdir", default="LR", choices=("LR", "TB", "RL", "BT"),
                        help="direction of the drawing (default: LR, left to right)")
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"),
                        help="dtype of the variables (default: float32)")
    parser.add_argument("--no-values", action="store_true", help="leave values off the nodes")
    parser.add_argument("--no-grads", action="store_true",
                        help="leave gradients off the nodes (and skip the colours)")
    parser.set_defaults(run=run_graph)
    return parser


def _parse_assignments(assignments) -> dict:
    values = {}
    for text in assignments:
        name, sep, number = text.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ExpressionError(f"--set {text!r}: write NAME=VALUE, e.g. --set x=2.0")
        if name in values:
            raise ExpressionError(f"--set: {name} is given more than once")
        try:
            values[name] = float(number)
        except ValueError:
            raise ExpressionError(
                f"--set {text!r}: {number.strip()!r} is not a number (write e.g. --set "
                f"{name}=-3.0)"
            ) from None
    return values


def _compute(args, who: str):
    """Parse and run the expression, forward and backward (graph kept): ``(out, variables)``,
    or an exit status (2) after printing what is wrong with the input."""
    try:
        values = _parse_assignments(args.assignments)
        expression = Expression(args.expression)
        missing = [name for name in expression.variables if name not in values]
        if missing:
            hints = "".join(
                f" ({name}: did you mean {close[0]}?)" for name in missing
                for close in [difflib.get_close_matches(name, list(values), n=1)] if close)
            raise ExpressionError(
                "no value for " + ", ".join(missing) + "; add "
                + " ".join(f"--set {name}=VALUE" for name in missing) + hints
            )
    except (ExpressionError, ValueError) as error:
        print(f"{who}: {error}", file=sys.stderr)
        return 2
    unused = [name for name in values if name not in expression.variables]
    if unused:
        print(f"{who}: note: {', '.join(unused)} not used by the expression", file=sys.stderr)

    variables = {name: Tensor(value, requires_grad=True, dtype=args.dtype, name=name)
                 for name, value in values.items() if name in expression.variables}
    out = expression.evaluate(variables)
    source = args.expression.strip()
    out.name = source if len(source) <= 40 else source[:37] + "..."
    print(f"{source} = {_number(out)}")
    if out.requires_grad:
        retain_grads(out)
        out.backward(retain_graph=True)  # keep the graph: it is drawn afterwards
        for name, tensor in variables.items():
            print(f"  d/d{name} = {_number(tensor.grad)}")
    return out, variables


def run_graph(args) -> int:
    """Run the ``graph`` subcommand. Returns the exit status (0 ok, 1 render failed,
    2 bad input)."""
    computed = _compute(args, "graph")
    if isinstance(computed, int):
        return computed
    out, _ = computed
    dot = draw_graph(out, show_values=not args.no_values, show_grads=not args.no_grads,
                     rankdir=args.rankdir)
    output = Path(args.output)
    try:
        render_graph(dot, output, format=args.format)
    except GraphvizNotFoundError as error:
        fallback = output.with_suffix(".dot")
        render_graph(dot, fallback)
        print(f"graph: {error}\ngraph: wrote the DOT source to {fallback} instead",
              file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"graph: {error}", file=sys.stderr)
        return 2
    print(f"wrote {output}")
    return 0


def add_explore_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``explore`` subcommand; its ``run`` default is :func:`run_explore`."""
    parser = subparsers.add_parser(
        "explore",
        help="write a page that steps through the forward and backward pass of an expression",
        description=(
            "Compute a small expression of named variables and write one self-contained HTML "
            "page (no network needed) that steps through its forward pass op by op and then "
            "its backward pass in the engine's order, showing each op's rule with the numbers. "
            "Same expressions as the graph command.  Example: " + _EXPLORE_EXAMPLE
        ),
    )
    parser.add_argument("expression", help='the expression, e.g. "tanh(x*w + b)"')
    parser.add_argument("--set", dest="assignments", action="append", default=[],
                        metavar="NAME=VALUE", help="a variable's value (repeat for each one)")
    parser.add_argument("-o", "--output", default="explore.html",
                        help="the page to write (default: explore.html)")
    parser.add_argument("--rankdir", default="LR", choices=("LR", "TB", "RL", "BT"),
                        help="direction of the drawing (default: LR, left to right)")
    parser.add_argument("--dtype", default="float32", choices=("float32", "float64"),
                        help="dtype of the variables (default: float32)")
    parser.set_defaults(run=run_explore)
    return parser


def run_explore(args) -> int:
    """Run the ``explore`` subcommand. Returns the exit status (0 ok, 1 Graphviz missing,
    2 bad input)."""
    from .explorer import explore

    computed = _compute(args, "explore")
    if isinstance(computed, int):
        return computed
    out, _ = computed
    try:
        page = explore(out, rankdir=args.rankdir)
    except GraphvizNotFoundError as error:
        print(f"explore: {error}", file=sys.stderr)
        return 1
    path = page.save(args.output)
    print(f"wrote {path} ({page.size_kb:.0f} kB): open it in a browser; step with the arrow "
          "keys, play with Space")
    return 0


def _number(tensor) -> str:
    if tensor is None:
        return "None"
    data = tensor.data
    return f"{data.item():.6g}" if data.size == 1 else str(data)

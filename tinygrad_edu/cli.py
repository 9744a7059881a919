"""The ``tinygrad-edu`` command (also ``python -m tinygrad_edu``).

Subcommands:
    gradcheck   check every op's backward rule against finite differences
    graph       draw the computation graph of a small expression (needs the viz extra)
    explore     write a page stepping through the forward and backward pass of an expression
    tour        the vanishing-gradient tour (needs the viz extra)
"""

from __future__ import annotations

import argparse
import sys
import time

__all__ = ["main"]


def _gradcheck(args) -> int:
    from tinygrad_edu.gradcheck import gradcheck, gradgradcheck
    from tinygrad_edu.op_cases import CASES, find

    cases = find(args.op) if args.op else CASES
    if not cases:
        known = sorted({c.op for c in CASES})
        print(f"gradcheck: no op case named {args.op!r}. Known ops: {', '.join(known)}",
              file=sys.stderr)
        return 2
    orders = [1, 2] if args.order is None else [args.order]
    width = max(34, *(len(case.name) for case in cases))
    header = f"{'op case':<{width}} {'order':>5} {'max abs err':>12} {'max rel err':>12}  ok"
    print(header)
    print("-" * len(header))
    failures = 0
    start = time.perf_counter()
    for case in cases:
        for order in orders:
            if order > case.order:
                continue
            check = gradcheck if order == 1 else gradgradcheck
            try:
                result = check(case.fn, case.inputs(), raise_exception=False, **case.tolerances)
                abs_err, rel_err, ok = result.max_abs_error, result.max_rel_error, result.ok
            except Exception as error:  # a crashing rule is a failure to report, not to hide
                print(f"{case.name:<{width}} {order:>5} {'error':>12} {'':>12}  FAIL: {error}")
                failures += 1
                continue
            failures += not ok
            print(f"{case.name:<{width}} {order:>5} {abs_err:>12.2e} {rel_err:>12.2e}  "
                  f"{'yes' if ok else 'FAIL'}")
            if not ok and args.verbose:
                print(result.report)
    checked = sum(1 for c in cases for o in orders if o <= c.order)
    without_gradient = sum(1 for c in cases if c.order == 0)
    note = (f"; {without_gradient} without a gradient (indices, truth values) are checked by "
            "value in the test suite" if without_gradient else "")
    print(f"\n{checked - failures} passed, {failures} failed "
          f"({len(cases)} op cases{note}, {time.perf_counter() - start:.1f} s)")
    return 1 if failures else 0


def _missing_viz(error: ImportError) -> int:
    print(f"This command draws pictures and needs the viz extra: pip install 'tinygrad-edu[viz]' "
          f"(and the Graphviz `dot` program: apt-get install graphviz). ({error})",
          file=sys.stderr)
    return 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tinygrad-edu", description="A small, readable deep-learning framework.")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser(
        "gradcheck", help="check every op's gradients against finite differences")
    check.add_argument("--op", help="only the cases of this op (or this case name)")
    check.add_argument("--order", type=int, choices=(1, 2), help="1: gradients, 2: second "
                       "derivatives (default: both)")
    check.add_argument("-v", "--verbose", action="store_true", help="print failure reports")
    check.set_defaults(run=_gradcheck)

    try:
        from viz import cli as viz_cli
    except ImportError as error:
        viz_error = error
        for name in ("graph", "explore", "tour"):
            stub = commands.add_parser(name, help=f"({name} needs the viz extra)")
            stub.set_defaults(run=lambda args, e=viz_error: _missing_viz(e))
    else:
        viz_cli.add_commands(commands)
    return parser


def _expression_arguments(argv: list) -> list:
    """``graph "-x*2"``: an expression that starts with ``-`` would be read as an option.
    A leading space makes argparse see a value (the expression parser ignores it)."""
    if not argv or argv[0] != "graph":
        return argv
    options_with_value = {"--set", "-o", "--output", "--format", "--rankdir", "--dtype"}
    fixed, expects_value = [argv[0]], False
    for text in argv[1:]:
        is_option = text.split("=", 1)[0] in options_with_value or text in (
            "-h", "--help", "--no-values", "--no-grads", "--")
        if text.startswith("-") and not expects_value and not is_option and len(text) > 1:
            text = " " + text
        expects_value = text in options_with_value
        fixed.append(text)
    return fixed


def main(argv=None) -> int:
    """Run the command; bad input prints one line to stderr and returns 2 (no traceback)."""
    argv = _expression_arguments(list(sys.argv[1:] if argv is None else argv))
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, OSError) as error:  # bad input or an unwritable output file
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        if isinstance(error, OSError) and error.filename and error.strerror:
            message = f"cannot write {error.filename}: {error.strerror}"
        print(f"tinygrad-edu {args.command}: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

"""Render time and picture size of computation graphs of 10 to 10,000 nodes.

Run ``python bench/bench_graph.py``; prints a Markdown table. The graphs are MLPs with a
cross-entropy loss, drawn with ``draw_graph``'s defaults (collapsed and wrapped above
``viz.graph_layout.AUTO_COLLAPSE`` nodes) and rendered to SVG by Graphviz's ``dot``. The limits
are the ones ``tests/test_viz_graph_size.py`` enforces.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_viz_graph_size import LIMITS, measure  # noqa: E402


def main() -> None:
    print("| nodes | layers | drawn as | render time | picture (pt) | limits |")
    print("| ---: | ---: | --- | ---: | --- | --- |")
    for _, (layers, seconds_limit, side_limit) in sorted(LIMITS.items()):
        count, seconds, (width, height), dot = measure(layers)
        drawn = ("one box per module, wrapped" if "rank_row_1" in dot.source else
                 "one box per module" if "one box per module" in dot.source else "every op")
        print(f"| {count:,} | {layers} | {drawn} | {seconds:.2f} s | {width:.0f} x {height:.0f} "
              f"| < {seconds_limit:.0f} s, side <= {side_limit:,} pt |")


if __name__ == "__main__":
    main()

"""Exploratory data analysis of real-vs-fake datasets (the `eda` extra: OpenCV, pandas, plotly, pyarrow).

- `stats.collect_stats(root)`: one row of statistics per image, over worker processes, with a cache;
- `figures`: one plotly figure per question, `all_figures(table)` and the shortcut `summary(table)`;
- `report.write_report(table, out_dir)`: the table, an offline HTML report, PNGs when kaleido works;
- `measures`, `jpeg`, `worker`, `table`, `shortcuts`: the per-image maths, JPEG quality, the worker, the
  table's columns and file formats, the shortcut rules.

Example:
    >>> from fakescope.eda.stats import collect_stats
    >>> from fakescope.eda.figures import summary
    >>> summary(collect_stats("data/demo"))[0]
    '600 images: 300 real, 300 fake.'
"""

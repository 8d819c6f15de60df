"""`fakescope watch SOURCE`: a rolling verdict per face track on a camera, a file or a stream.

Example:
    $ fakescope watch 0 --max-seconds 30
    $ fakescope watch rtsp://camera.local/stream --json > verdicts.jsonl
"""

from __future__ import annotations

import json
import time

import click

from fakescope.cli.common import load_detector, model_option
from fakescope.video import AGGREGATIONS, DEFAULT_AGGREGATION, InvalidVideoError, MissingExtraError
from fakescope.video.watch import DEFAULT_WINDOW, WatchUpdate
from fakescope.video.watch import watch as watch_source


@click.command()
@click.argument("source")
@model_option
@click.option("--max-seconds", type=click.FloatRange(min=0, min_open=True), default=None, help="Stop after.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line instead of text.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Seconds between printed verdicts (0: every analysed frame).",
)
@click.option("--window", type=click.IntRange(min=1), default=DEFAULT_WINDOW, show_default=True)
@click.option(
    "--aggregation", type=click.Choice(sorted(AGGREGATIONS)), default=DEFAULT_AGGREGATION, show_default=True
)
@click.option(
    "--reconnects",
    type=click.IntRange(min=0),
    default=None,
    help="Reopen a dropped source this many times [default: 3 for streams and cameras, 0 for files].",
)
@click.option("--threads", type=click.IntRange(min=1), default=None, help="onnxruntime intra-op threads.")
def watch(source, model, max_seconds, as_json, interval, window, aggregation, reconnects, threads) -> None:
    """Watch SOURCE (a camera index, a video file or a stream URL) and print a rolling verdict per face.

    Exit 0 when the source ends or --max-seconds pass, 1 when it cannot be read at all.
    """
    detector = load_detector(model, threads)
    updates = watch_source(
        detector,
        source,
        max_seconds=max_seconds,
        window=window,
        aggregation=aggregation,
        reconnects=reconnects,
    )
    last: WatchUpdate | None = None
    printed = float("-inf")
    try:
        for update in updates:
            last = update
            if time.monotonic() - printed >= interval:
                printed = time.monotonic()
                click.echo(json.dumps(update.as_dict()) if as_json else _line(update))
    except (InvalidVideoError, MissingExtraError) as err:
        raise click.ClickException(str(err)) from None
    except KeyboardInterrupt:
        pass
    if last is None:
        click.echo("no frame analysed", err=True)
        return
    click.echo(
        f"{last.analysed} frames analysed in {last.elapsed:.1f} s ({last.fps:.1f}/s), {last.dropped} stale "
        f"frames dropped, {last.reconnects} reconnects",
        err=True,
    )


def _line(update: WatchUpdate) -> str:
    verdict = f"UNSURE ({'; '.join(update.reasons)})" if update.reasons else update.verdict
    tracks = "  ".join(f"track {t.id} {t.label} {t.score:.3f}" for t in update.tracks)
    return f"{update.elapsed:7.1f}s  {verdict:8s}  {tracks}".rstrip()

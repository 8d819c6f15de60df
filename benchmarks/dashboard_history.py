"""What a long dashboard session costs in its history table: kernel CPU time and the bytes of widget messages
the page receives, for N entries added one file at a time (as N single uploads would).

Every message a widget would send to the browser is counted at the comm (its JSON plus binary buffers), so
the figure is what crosses the websocket, without a browser.

Usage:
    python benchmarks/dashboard_history.py [--entries 2000]
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import datetime

import comm


def measure(entries: int) -> dict[str, float]:
    """CPU seconds and MB of widget messages for `entries` single additions, then one CSV preparation."""
    from fakescope.widgets.history import HistoryEntry, HistoryTable

    sent = [0]

    def publish_msg(self, msg_type, data=None, metadata=None, buffers=None, **keys):
        sent[0] += len(json.dumps(data or {}, default=str)) + sum(len(b) for b in buffers or ())

    original = comm.DummyComm.publish_msg
    comm.DummyComm.publish_msg = publish_msg
    try:
        table = HistoryTable()
        started = time.process_time()
        for i in range(entries):
            table.add(
                HistoryEntry(f"upload_{i:05d}.jpg", (i % 997) / 997, "fakescope-demo v0.1.0", datetime.now())
            )
        adding = time.process_time() - started
        table.prepare_download()
        total = time.process_time() - started
    finally:
        comm.DummyComm.publish_msg = original
    return {"entries": entries, "add_cpu_s": adding, "total_cpu_s": total, "sent_mb": sent[0] / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    result = measure(parser.parse_args().entries)
    print(
        f"{result['entries']} entries: {result['add_cpu_s']:.2f} s kernel CPU to add them, "
        f"{result['total_cpu_s']:.2f} s with the CSV; {result['sent_mb']:.1f} MB of widget messages"
    )


if __name__ == "__main__":
    main()

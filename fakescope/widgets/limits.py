"""What one served dashboard may cost: its defaults and the websocket message limit, importable without
Jupyter (the CLI shows them, the dashboard widget tells the page the message limit).

Example:
    >>> DEFAULT_MAX_KERNELS, DEFAULT_IDLE_SECONDS, max_message_bytes(2**20)
    (8, 120, 12233386)
"""

from fakescope.runtime import DEFAULT_LIMITS

DEFAULT_MAX_KERNELS = 8
"""Most page sessions (kernels) alive at once, pre-heated ones included."""

DEFAULT_IDLE_SECONDS = 120
"""A page's kernel left this long without a connection (a closed tab) is shut down."""

FILES_PER_MESSAGE = 8
"""Files at the size limit that one upload may carry: the browser sends every chosen file in one message."""

MAX_FILES_PER_UPLOAD = 16
"""Most files analysed from one upload: tiny files fit one message by the thousand, and each costs its
own model runs, CAMs and card; more are refused before any is decoded."""


def max_message_bytes(max_file_bytes: int = DEFAULT_LIMITS.max_file_bytes) -> int:
    """Websocket message limit (tornado's default is 10 MiB): room for the files plus encoding overhead."""
    return FILES_PER_MESSAGE * max_file_bytes * 4 // 3 + (1 << 20)


MAX_MESSAGE_BYTES = max_message_bytes()


def cull_settings(idle_seconds: int) -> dict[str, int]:
    """Culler settings so that a kernel is shut down between `idle_seconds` minus one check interval and
    `idle_seconds` after its last connection closed (the culler looks every interval)."""
    if idle_seconds < 2:
        raise ValueError(f"`idle_seconds` must be >= 2. Received: idle_seconds={idle_seconds}")
    interval = max(1, min(15, idle_seconds // 8))
    return {"cull_idle_timeout": idle_seconds - interval, "cull_interval": interval}


def too_many_files(count: int) -> str:
    """The one line a page shows for an upload of `count` files, over `MAX_FILES_PER_UPLOAD`."""
    return (
        f"Not analysed: {count} files in one upload; the dashboard takes up to {MAX_FILES_PER_UPLOAD} at "
        "a time. Choose fewer, or analyse a whole folder with `fakescope scan FOLDER`."
    )

"""Peak resident memory of the current process, from /proc (Linux)."""


def peak_rss_mb() -> float:
    """VmHWM in MB: this process's own peak (ru_maxrss can carry a forking parent's peak over exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise OSError("VmHWM not found in /proc/self/status")

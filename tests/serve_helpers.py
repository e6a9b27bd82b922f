"""Start `kg serve` (the real CLI) on 127.0.0.1 with a free port, for the server and browser tests."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager


@contextmanager
def kg_serve(build_dir, *extra):
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", str(build_dir), "--port", "0", "--quiet", *extra],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        line = ""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                raise RuntimeError(f"kg serve exited with {proc.returncode}")
            m = re.search(r"http://127\.0\.0\.1:(\d+)/sparql", line)
            if m:
                base = f"http://127.0.0.1:{m.group(1)}/"
                urllib.request.urlopen(base + "index.html", timeout=10).read()
                break
        else:
            raise RuntimeError("kg serve did not start: " + line)
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        proc.stderr.close()

"""A separate process that notices when anything reaches for what a hostile message names:
`python -m tests.hostile.reach_guard FIFO...` serves HTTP on a loopback port (printed first,
as one line) and keeps opening every FIFO for writing without blocking; an open succeeds only
while someone has the FIFO open for reading, which is then counted and released (the reader
sees end of file, so a test never hangs, even if the reader holds Python's GIL). A line on stdin
asks for the counts: one JSON line `{"http": n, "fifo": n, "paths": [...]}`.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

hits = {"http": 0, "fifo": 0}
paths: list[str] = []
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def _hit(self) -> None:
        with lock:
            hits["http"] += 1
            paths.append(self.path)
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = do_HEAD = _hit

    def log_message(self, *_args: object) -> None:
        return


def watch(fifos: list[str]) -> None:
    while True:
        for fifo in fifos:
            try:
                fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                continue
            with lock:
                hits["fifo"] += 1
                paths.append(fifo)
            os.close(fd)
        time.sleep(0.002)


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    threading.Thread(target=watch, args=(sys.argv[1:],), daemon=True).start()
    print(server.server_address[1], flush=True)
    for _line in sys.stdin:
        time.sleep(0.05)  # let a just-started open or request land
        with lock:
            print(json.dumps({**hits, "paths": paths}), flush=True)


if __name__ == "__main__":
    main()

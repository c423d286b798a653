"""How fast the webhook dispatcher delivers: events per second to a local receiver, and the
lag from a write's commit to its delivery.

    python -m bench.webhooks --events 5000 [--database-url postgresql://…] [--rate 200]

A fresh database (SQLite in a temporary folder unless ``--database-url`` names one; its
company is new either way) with one v2 webhook on ``*.*`` to a receiver on 127.0.0.1
(HTTP/1.1 keep-alive, answers 200 at once). Two phases, both with the dispatcher of
``dealbase serve`` (``api.app.dispatcher_for``) in its thread on the real clock:

* **drain**: ``--events`` deals are written first (batches of 200), then the dispatcher
  starts; events delivered per second until the last one arrives;
* **steady**: deals written at ``--rate`` per second (batches of 10) while the dispatcher
  runs; the lag of each event from its batch's commit to its arrival: p50, p99, max.

Each event is checked to arrive exactly once.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from dealbase.api.app import dispatcher_for
from dealbase.domain.webhooks import new_secret
from dealbase.service import Service
from dealbase.settings import Settings


class _Server(ThreadingHTTPServer):
    request_queue_size = 256
    daemon_threads = True


class Receiver:
    """Records when each event (by deal id) arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.duplicates = 0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 - (http.server's name)
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                now = time.monotonic()
                key = json.loads(body)["meta"]["entity_id"]
                with receiver.lock:
                    if key in receiver.arrived:
                        receiver.duplicates += 1
                    receiver.arrived.setdefault(key, now)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = _Server(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_port}/hook"

    def wait(self, count: int, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while len(self.arrived) < count:
            if time.monotonic() > deadline:
                raise SystemExit(f"only {len(self.arrived)} of {count} events arrived")
            time.sleep(0.005)


def _write(service: Service, ctx: Any, count: int, batch: int, start: int,
           committed: dict[str, float]) -> None:
    with service.unit(ctx, write=True) as unit:
        ids = unit.create_many("deal", [{"title": f"bench {start + n}"} for n in range(batch)])
    now = time.monotonic()
    committed.update((str(i), now) for i in ids)


def run(url: str, events: int, rate: int) -> dict[str, Any]:
    receiver = Receiver()
    settings = Settings(database_url=url, webhook_allow="127.0.0.1", webhook_poll_ms=10)
    service = Service(settings)
    service.migrate()
    made = service.create_company(f"Webhook bench {time.time_ns()}", "bench@example.com")
    ctx = service.admin(made.company_id, made.user_id)
    with service.unit(ctx, write=True) as unit:
        unit.create("webhook", {"name": "bench", "subscription_url": receiver.url,
                                "event_action": "*", "event_object": "*", "version": "2.0",
                                "secret": new_secret(), "since_seq": unit.version()})
    committed: dict[str, float] = {}
    for start in range(0, events, 200):
        _write(service, ctx, events, min(200, events - start), start, committed)
    dispatcher = dispatcher_for(service, dataclasses.replace(settings))
    began = time.monotonic()
    dispatcher.start()
    receiver.wait(events)
    drain = events / (time.monotonic() - began)
    steady = max(rate, 10)
    total = events + steady * 5  # five seconds of steady writes
    step = 10 / steady
    next_at = time.monotonic()
    steady_commits: dict[str, float] = {}
    for start in range(events, total, 10):
        _write(service, ctx, total, 10, start, steady_commits)
        next_at += step
        time.sleep(max(0.0, next_at - time.monotonic()))
    receiver.wait(total)
    dispatcher.stop()
    lags = sorted((receiver.arrived[k] - at) * 1000 for k, at in steady_commits.items())
    service.close()
    receiver.server.shutdown()
    return {"backend": service.database.backend, "events": events,
            "drain_events_per_s": round(drain), "steady_rate": steady,
            "lag_ms_p50": round(statistics.median(lags), 1),
            "lag_ms_p99": round(lags[int(len(lags) * 0.99) - 1], 1),
            "lag_ms_max": round(lags[-1], 1), "duplicates": receiver.duplicates}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="dealbase-webhook-bench-") as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        print(json.dumps(run(url, args.events, args.rate)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

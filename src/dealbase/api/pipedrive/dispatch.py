"""The webhook dispatcher: drains the change log into signed HTTP POSTs.

Another door of the Pipedrive dialect: it renders Pipedrive payloads (``webhooks.py``)
and sends them. Each cycle, for every company with an active webhook, it fans the new
change-log rows out into deliveries (``service.webhooks.fan_out``) and sends the due
ones (``service.webhooks.deliver``: claimed so that no other dispatcher sends them at
the same time, a record's events in order). Its clock is injectable: the schedule,
bans and signatures follow it, so tests drive hours of retries in no time.

Sending (``Sender``): the SSRF guard resolves the host and refuses any address that is
not public (unless ``DEALBASE_WEBHOOK_ALLOW`` lets it through), then connects to the
address it checked (so a second lookup cannot swap it); redirects are refused (a 3xx is
a failed attempt), as Pipedrive wants a URL that does not redirect. Every delivery
carries Basic auth (when the webhook has it), ``X-Dealbase-Event-Id`` and the signature
``X-Dealbase-Signature: t=<unix time>,v1=<HMAC-SHA256 of "<t>.<body>">``.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import socket
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from ...domain import webhooks as rules
from ...service import Attempt, Delivery, Hook, Service
from ...settings import Settings
from .webhooks import Payloads, with_attempt

log = logging.getLogger("dealbase.webhooks")
Clock = Callable[[], dt.datetime]
Resolver = Callable[[str, int], Sequence[str]]
BATCH = 50  # deliveries one claim takes
FAN_OUT_ROUNDS = 20  # fan-out reads per company per cycle at most (500 rows each)
PURGE_EVERY = dt.timedelta(hours=1)


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in found))


class Refused(Exception):
    """The SSRF guard refused the target."""


class Sender:
    """Sends deliveries over HTTP, through the SSRF guard."""

    def __init__(self, clock: Clock, allowed: Sequence[rules.Network] = (),
                 resolver: Resolver = resolve, transport: httpx.BaseTransport | None = None,
                 timeout: float = rules.TIMEOUT, threads: int = 16) -> None:
        self.clock, self.allowed, self.resolver = clock, tuple(allowed), resolver
        self.client = httpx.Client(timeout=timeout, follow_redirects=False, transport=transport,
                                   headers={"User-Agent": "Pipedrive-Webhook (dealbase)"})
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="webhook-send")

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        self.client.close()

    def target(self, url: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        """The URL to connect to (the checked address in place of the name), the Host
        header and the TLS name to present; Refused if the guard says no."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            addresses = self.resolver(host, port)
        except OSError as exc:
            raise Refused(f"cannot resolve {host}: {exc}") from None
        if not addresses:
            raise Refused(f"cannot resolve {host}")
        bad = rules.refused_among(addresses, self.allowed)
        if bad is not None:
            raise Refused(f"refused: {host} resolves to {bad}, which is not a public address")
        address = addresses[0]
        literal = f"[{address}]" if ":" in address else address
        netloc = f"{literal}:{parts.port}" if parts.port else literal
        extensions: dict[str, Any] = {"sni_hostname": host} if parts.scheme == "https" else {}
        return (urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, "")),
                {"Host": parts.netloc.rsplit("@", 1)[-1]}, extensions)

    def send_one(self, hook: Hook, delivery: Delivery) -> Attempt:
        attempt = delivery.attempts + 1
        body = with_attempt(delivery.body, hook.version, attempt)
        now = self.clock()
        stamp = int(now.replace(tzinfo=dt.UTC).timestamp())
        headers = {"Content-Type": "application/json",
                   rules.EVENT_HEADER: delivery.event_id,
                   rules.SIGNATURE_HEADER: rules.sign(hook.secret, stamp, body)}
        if hook.http_auth_user and hook.http_auth_password:
            pair = f"{hook.http_auth_user}:{hook.http_auth_password}".encode()
            headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        try:
            url, host, extensions = self.target(hook.subscription_url)
            response = self.client.post(url, content=body, headers={**headers, **host},
                                        extensions=extensions)
            status = response.status_code
            if 300 <= status < 400:
                error = "redirect refused: the subscription URL must not redirect"
            elif not 200 <= status < 300:
                error = f"HTTP {status}"
        except Refused as exc:
            error = str(exc)
        except httpx.TimeoutException:
            error = f"no answer within {rules.TIMEOUT:g} s"
        except (httpx.HTTPError, OSError, ValueError) as exc:  # (a failed attempt, retried)
            error = f"{type(exc).__name__}: {exc}"[:255]
        latency = int((time.monotonic() - started) * 1000)
        return Attempt(delivery.id, attempt, self.clock(), error is None, status, latency,
                       None if error is None else error[:255])

    def send(self, batch: Sequence[tuple[Hook, Delivery]]) -> list[Attempt]:
        if len(batch) == 1:
            return [self.send_one(*batch[0])]
        return list(self.pool.map(lambda item: self.send_one(*item), batch))


class Dispatcher:
    """Fans out and delivers, cycle after cycle (``run_once``), in a thread of its own
    (``start``/``stop``) or in the foreground (``run``: ``dealbase worker``)."""

    def __init__(self, service: Service, settings: Settings, *, clock: Clock | None = None,
                 resolver: Resolver = resolve, transport: httpx.BaseTransport | None = None,
                 poll: float | None = None) -> None:
        self.service = service
        self.clock: Clock = clock or (lambda: service.clock())
        self.payloads = Payloads(f"{settings.host}:{settings.port}")
        self.sender = Sender(lambda: self.clock(), rules.allow_list(settings.webhook_allow),
                             resolver, transport)
        self.poll = settings.webhook_poll_ms / 1000 if poll is None else poll
        self.horizon = service.webhooks.new_horizon()
        self.keep = dt.timedelta(days=settings.webhook_keep_days)
        self._purged: dict[int, dt.datetime] = {}  # company -> when its log was last purged
        self.lock = service.webhooks.lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """One cycle; how many events it fanned out or sent (0: nothing to do)."""
        if not self.lock.acquire():
            return 0  # (another dispatcher works on this SQLite database)
        hooks = self.service.webhooks
        companies, horizon = hooks.companies(self.horizon)
        done = 0
        for company_id in companies:
            try:
                for _ in range(FAN_OUT_ROUNDS):
                    read = hooks.fan_out(company_id, self.payloads.build, self.clock(), horizon)
                    done += read
                    if read == 0:
                        break
                done += hooks.deliver(company_id, self.clock, self.sender.send, BATCH)
                self._purge(company_id)
            except Exception:  # one company's trouble never stops the others
                log.exception("webhook dispatch failed for company %s", company_id)
        return done

    def _purge(self, company_id: int) -> None:
        """Once an hour per company: forget deliveries older than the log keeps."""
        now = self.clock()
        last = self._purged.get(company_id)
        if last is not None and now - last < PURGE_EVERY:
            return
        self.service.webhooks.purge(company_id, now - self.keep)
        self._purged[company_id] = now

    def run(self) -> None:
        """Cycles until ``stop``: without a pause while there is work."""
        while not self._stop.is_set():
            try:
                busy = self.run_once()
            except Exception:
                log.exception("webhook dispatcher cycle failed")
                busy = 0
            if not busy:
                self._stop.wait(self.poll)

    def request_stop(self) -> None:
        """Ask ``run`` to return after its cycle (safe in a signal handler)."""
        self._stop.set()

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="webhook-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.sender.close()
        self.lock.release()


__all__ = ["Dispatcher", "Refused", "Sender", "resolve"]

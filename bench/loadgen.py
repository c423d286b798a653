"""The load generator: wrk (Debian's ``wrk`` package), driven by generated Lua scripts.

Every workload becomes one Lua script: a cycle of prepared requests, or a walker that
follows the server's own pagination (v1 ``next_start``, Pipeliner ``Content-Range``)
from row 0 to the deep page and starts over. wrk reports through the script's ``done``
callback as one JSON line: requests, duration, status and socket errors, and the
latency percentiles.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .workloads import Req

_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\n@@wrk {"requests": %d, "duration_us": %d, "status_errors": %d, "socket_errors": %d, '
    .. '"p50_us": %d, "p99_us": %d, "bytes": %d}\\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99), summary.bytes))
end
"""

# Walkers: one connection per wrk thread, so that each connection keeps its own place. Each
# dialect names its offset parameter and reads the next offset off a response (nil: start over).
_WALK = """
local offset = 0
request = function()
  local path = base
  if offset > 0 then path = path .. "&%(param)s=" .. offset end
  return wrk.format("GET", path, headers)
end
local following = function(status, hdrs, body)
%(following)s
end
response = function(status, hdrs, body)
  local nxt = status == 200 and following(status, hdrs, body)
  if nxt and nxt <= depth then offset = nxt else offset = 0 end
end
"""
WALKERS = {
    "v1": _WALK % {"param": "start", "following": """\
  local nxt = string.match(body, '"next_start":(%d+)')
  return nxt and tonumber(nxt)"""},
    "pipeliner": _WALK % {"param": "offset", "following": """\
  local range = hdrs["content-range"] or hdrs["Content-Range"]
  local last = range and string.match(range, "items %d+%-(%d+)/")
  return last and tonumber(last) + 1"""},
}


def lua_string(value: str | bytes) -> str:
    """A Lua string literal for any bytes (decimal escapes for everything unsafe)."""
    data = value.encode() if isinstance(value, str) else value
    safe = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-.,:;/?=&%+*@#!()[]{}<>|~^$")
    return '"' + "".join(chr(b) if b in safe else f"\\{b:03d}" for b in data) + '"'


def _headers(headers: dict[str, str]) -> str:
    return "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items()) + "}"


# A run shorter than wrk's smallest duration (one second; the tests' tiny scale): each
# thread says when it has this many responses, whatever ``response`` the script has, and
# ``run`` then interrupts wrk, which reports what it measured until then.
_STOP = """
local served, answered = 0, response
response = function(status, hdrs, body)
  if answered then answered(status, hdrs, body) end
  served = served + 1
  if served == %d then io.write("\\n@@served\\n"); io.flush() end
end
"""


def script(requests: Sequence[Req], walker: str | None = None, depth: int = 0,
           stop_after: int | None = None) -> str:
    stop = "" if stop_after is None else _STOP % stop_after
    if walker is not None:
        (req,) = requests
        return (f"base = {lua_string(req.path)}\nheaders = {_headers(dict(req.headers))}\n"
                f"depth = {depth}\n{WALKERS[walker]}{stop}{_DONE}")
    items = ",\n  ".join(
        "{" + f"{lua_string(r.method)}, {lua_string(r.path)}, {_headers(dict(r.headers))}, "
        + ("nil" if r.body is None else lua_string(r.body)) + "}"
        for r in requests)
    return f"""
local calls = {{
  {items}
}}
local prepared = {{}}
local i = 0
init = function(args)
  for n, c in ipairs(calls) do prepared[n] = wrk.format(c[1], c[2], c[3], c[4]) end
end
request = function()
  i = i % #prepared + 1
  return prepared[i]
end
{stop}{_DONE}"""


@dataclass(frozen=True)
class Load:
    requests: int
    seconds: float
    errors: int  # non-2xx/3xx responses and socket errors
    p50_ms: float
    p99_ms: float

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_path() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is not installed: apt-get install wrk (Debian's package)")
    return found


def run(base_url: str, requests: Sequence[Req], *, seconds: int, connections: int,
        walker: str | None = None, depth: int = 0, stop_after: int | None = None) -> Load:
    """Drive ``requests`` (cycled) or a walker against ``base_url`` for ``seconds``, or until
    each wrk thread has ``stop_after`` responses."""
    threads = connections if walker is not None else 1
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script(requests, walker, depth, stop_after))
        path = Path(handle.name)
    command = [wrk_path(), f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s",
               "-s", str(path), base_url]
    try:
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) as wrk:
            assert wrk.stdout is not None and wrk.stderr is not None
            lines, waiting = [], threads if stop_after is not None else 0
            for out in wrk.stdout:
                lines.append(out.rstrip("\n"))
                if waiting and out.startswith("@@served"):
                    waiting -= 1
                    if not waiting:
                        wrk.send_signal(signal.SIGINT)  # ends the run now, with its report
            stderr = wrk.stderr.read()
            code = wrk.wait(timeout=seconds + 120)
    finally:
        path.unlink()
    stdout = "\n".join(lines)
    report = next((x for x in lines if x.startswith("@@wrk ")), None)
    if code != 0 or report is None:
        raise RuntimeError(f"wrk failed ({code}): {stdout[-2000:]}{stderr[-2000:]}")
    raw = json.loads(report[len("@@wrk "):])
    return Load(raw["requests"], raw["duration_us"] / 1e6, raw["status_errors"] + raw["socket_errors"],
                raw["p50_us"] / 1000, raw["p99_us"] / 1000)


__all__ = ["WALKERS", "Load", "lua_string", "run", "script", "wrk_path"]

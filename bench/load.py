"""Load from a separate process at fixed concurrency: wrk with a Lua script when installed, else a built-in client.

The built-in client (`python -m bench.load RESULT_FILE`, spec as JSON on stdin, result as JSON in RESULT_FILE)
keeps one HTTP/1.1 keep-alive connection per unit of concurrency on asyncio streams (uvloop when present), sends
the next request as soon as the previous answer arrived, and times each request from its first byte sent to its
last byte read. Both clients return the same result: requests completed, failures (with a few samples), the
elapsed time and a latency histogram in microseconds, so rounds can be merged exactly.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.scenarios import MARKER

SAMPLES = 3
REQUEST_TIMEOUT = 60.0  # seconds; the same for wrk (--timeout)


@dataclass
class LoadResult:
    requests: int = 0
    errors: int = 0
    elapsed: float = 0.0
    histogram: Counter = field(default_factory=Counter)  # latency in µs → count
    samples: list[str] = field(default_factory=list)
    exhausted: bool = False  # a list sent once ran out before the time was up
    sent: int = 0  # requests sent, answered or not: wrk leaves the last ones unanswered, the server still works them

    def merge(self, other: LoadResult) -> None:
        self.exhausted = self.exhausted or other.exhausted
        self.sent += other.sent
        self.requests += other.requests
        self.errors += other.errors
        self.elapsed += other.elapsed
        self.histogram.update(other.histogram)
        self.samples.extend(other.samples[: max(0, SAMPLES - len(self.samples))])

    def percentile(self, share: float) -> float | None:
        """The latency (ms) under which `share` of the requests completed."""
        total = sum(self.histogram.values())
        if not total:
            return None
        wanted, seen = share * total, 0
        for micros in sorted(self.histogram):
            seen += self.histogram[micros]
            if seen >= wanted:
                return micros / 1000
        return max(self.histogram) / 1000

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LoadResult:
        histogram = Counter({int(us): int(n) for us, n in data["histogram"]})
        fields = (data["requests"], data["errors"], data["elapsed"], histogram, data["samples"], data["exhausted"])
        return cls(*fields, sent=max(data["sent"], data["requests"]))


@dataclass
class Spec:
    host: str
    port: int
    concurrency: int
    duration: float
    tag: str  # makes the unique values of this run differ from every other run's
    plan: dict[str, Any]


def wrk_available() -> bool:
    return shutil.which("wrk") is not None


def run(spec: Spec, client: str) -> LoadResult:
    """Run one round of load in another process and wait for it."""
    if client == "wrk":
        return _run_wrk(spec)
    with tempfile.TemporaryDirectory(prefix="hub-bench-load-") as folder:
        answer = Path(folder) / "result.json"  # a file, not stdout: a result can be far longer than a pipe holds
        command = [sys.executable, "-m", "bench.load", str(answer)]
        payload = json.dumps(spec.__dict__)
        done = subprocess.run(command, input=payload, capture_output=True, text=True, check=False)  # noqa: S603
        if done.returncode != 0:
            raise RuntimeError(f"the load generator failed: {done.stderr.strip()[-2000:]}")
        return LoadResult.from_json(json.loads(answer.read_text()))


# --- the built-in client ---------------------------------------------------------------------------------------------


class Requests:
    """The bytes of request k of a plan."""

    def __init__(self, spec: Spec) -> None:
        plan = spec.plan
        self.mode = plan["mode"]
        self.head = f"Host: {spec.host}:{spec.port}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in plan["headers"].items())
        self.method = plan["method"]
        self.tag = spec.tag
        self.items = [(path, body) for path, body in plan["requests"]]
        self.encoded = [self._encode(path, body) for path, body in self.items] if self.mode != "unique" else []

    def _encode(self, path: str, body: str) -> bytes:
        data = body.encode()
        length = f"Content-Length: {len(data)}\r\n" if data or self.method == "POST" else ""
        return f"{self.method} {path} HTTP/1.1\r\n{self.head}{length}\r\n".encode() + data

    def limit(self) -> int | None:
        return len(self.items) if self.mode == "once" else None

    def get(self, k: int) -> bytes:
        if self.mode == "unique":
            path, body = self.items[0]
            value = f"{self.tag}-{k}"
            return self._encode(path.replace(MARKER, value), body.replace(MARKER, value))
        return self.encoded[k % len(self.encoded)]


class Checker:
    def __init__(self, plan: dict[str, Any]) -> None:
        self.reject = [s.encode() for s in plan["reject"]]
        self.expect_any = [s.encode() for s in plan["expect_any"]]

    def ok(self, status: int, body: bytes) -> bool:
        if status != 200 or any(s in body for s in self.reject):
            return False
        return not self.expect_any or any(s in body for s in self.expect_any)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    at = lower.find(b"content-length:")
    if at >= 0:
        return status, await reader.readexactly(int(lower[at + 15 : lower.index(b"\r\n", at)]))
    if b"transfer-encoding: chunked" in lower:
        chunks = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).strip(), 16)
            chunks.append(await reader.readexactly(size + 2))
            if size == 0:
                return status, b"".join(chunks)
    return status, b""


class Client:
    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self.requests = Requests(spec)
        self.checker = Checker(spec.plan)
        self.limit = self.requests.limit()
        self.next = 0
        self.result = LoadResult()
        self.deadline = 0.0
        self.last = 0.0

    def _take(self) -> int | None:
        if time.monotonic() >= self.deadline or (self.limit is not None and self.next >= self.limit):
            return None
        k, self.next = self.next, self.next + 1
        return k

    async def _connection(self) -> None:
        reader, writer = await asyncio.open_connection(self.spec.host, self.spec.port)
        try:
            while (k := self._take()) is not None:
                started = time.perf_counter_ns()
                writer.write(self.requests.get(k))
                try:
                    status, body = await asyncio.wait_for(_read_response(reader), REQUEST_TIMEOUT)
                except (asyncio.IncompleteReadError, ConnectionError, TimeoutError) as error:
                    self._record(started, 0, f"no answer: {type(error).__name__} {error}".encode())
                    writer.close()
                    reader, writer = await asyncio.open_connection(self.spec.host, self.spec.port)
                    continue
                self._record(started, status, body)
        finally:
            writer.close()

    def _record(self, started: int, status: int, body: bytes) -> None:
        result = self.result
        result.requests += 1
        result.histogram[(time.perf_counter_ns() - started) // 1000] += 1
        if not self.checker.ok(status, body):
            result.errors += 1
            if len(result.samples) < SAMPLES:
                result.samples.append(f"HTTP {status}: {body[:400].decode(errors='replace')}")
        self.last = time.monotonic()

    async def run(self) -> LoadResult:
        started = time.monotonic()
        self.deadline = started + self.spec.duration
        await asyncio.gather(*(self._connection() for _ in range(self.spec.concurrency)))
        self.result.elapsed = max(self.last - started, 1e-9)
        self.result.exhausted = self.limit is not None and self.next >= self.limit
        self.result.sent = self.result.requests  # every request sent was waited for
        return self.result


def _main() -> None:
    spec = Spec(**json.loads(sys.stdin.read()))
    runner: Callable[..., Any]
    try:
        import uvloop

        runner = uvloop.run
    except ImportError:  # pragma: no cover - uvicorn[standard] brings uvloop
        runner = asyncio.run
    result = runner(Client(spec).run())
    histogram = sorted(result.histogram.items())
    Path(sys.argv[1]).write_text(json.dumps({**result.__dict__, "histogram": histogram}))


# --- wrk -------------------------------------------------------------------------------------------------------------

LUA = r"""
local spec = %(spec)s
local threads = {}
-- globals: read back from each thread with thread:get() in done()
n, answered, errors, samples = 0, 0, 0, {}

function setup(thread) table.insert(threads, thread) end

local function encode(path, body)
  return wrk.format(spec.method, path, spec.headers, body ~= "" and body or nil)
end

local prepared = {}
function init(args)
  if spec.mode ~= "unique" then
    for i, item in ipairs(spec.requests) do prepared[i] = encode(item[1], item[2]) end
  end
end

function request()
  local k = n
  n = n + 1
  if spec.mode == "unique" then
    local value = spec.tag .. "-" .. k
    local item = spec.requests[1]
    return encode(item[1]:gsub(spec.marker, value), (item[2]:gsub(spec.marker, value)))
  end
  if spec.mode == "once" and k >= #prepared then
    return prepared[#prepared]
  end
  return prepared[(k %% #prepared) + 1]
end

local function failed(status, body)
  if status ~= 200 then return true end
  for _, s in ipairs(spec.reject) do if body:find(s, 1, true) then return true end end
  if #spec.expect_any == 0 then return false end
  for _, s in ipairs(spec.expect_any) do if body:find(s, 1, true) then return false end end
  return true
end

function response(status, headers, body)
  answered = answered + 1
  if spec.mode == "once" and answered > #prepared then return end
  if failed(status, body) then
    errors = errors + 1
    if #samples < 3 then table.insert(samples, "HTTP " .. status .. ": " .. body:sub(1, 400)) end
  end
  if spec.mode == "once" and answered == #prepared then wrk.thread:stop() end
end

local function quote(s)
  return '"' .. s:gsub('[%%c"\\]', function(c) return string.format("\\u%%04x", c:byte()) end) .. '"'
end

function done(summary, latency, requests)
  local errs, all = 0, {}
  local counted, sent = 0, 0
  for _, thread in ipairs(threads) do
    errs = errs + thread:get("errors")
    counted = counted + thread:get("answered")
    sent = sent + thread:get("n")
    for _, s in ipairs(thread:get("samples")) do table.insert(all, quote(s)) end
  end
  local bins = {}
  for i = 1, #latency do
    local value, count = latency(i)
    if count > 0 then table.insert(bins, "[" .. value .. "," .. count .. "]") end
  end
  local e = summary.errors
  local socket = e.connect + e.read + e.write + e.timeout
  local exhausted = spec.mode == "once" and counted >= #spec.requests
  io.write(string.format(
    '{"requests": %%d, "errors": %%d, "elapsed": %%f, "histogram": [%%s], "samples": [%%s], "exhausted": %%s, '
      .. '"sent": %%d}\n',
    summary.requests, errs + socket, summary.duration / 1e6, table.concat(bins, ","), table.concat(all, ","),
    tostring(exhausted), sent))
end
"""


def _lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid Lua string literal for the characters we send


def _lua_table(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{_lua_string(k)}] = {_lua_table(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "{" + ", ".join(_lua_table(v) for v in value) + "}"
    return _lua_string(str(value))


def _lua_pattern(marker: str) -> str:
    return "".join(f"%{c}" if not c.isalnum() else c for c in marker)


def _run_wrk(spec: Spec) -> LoadResult:
    plan = {**spec.plan, "tag": spec.tag, "marker": _lua_pattern(MARKER)}
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as folder:
        script = Path(folder) / "scenario.lua"
        script.write_text(LUA % {"spec": _lua_table(plan)})
        url = f"http://{spec.host}:{spec.port}"
        duration = f"{max(1, round(spec.duration))}s"
        command = ["wrk", "-t1", f"-c{spec.concurrency}", f"-d{duration}", "--timeout", f"{REQUEST_TIMEOUT:.0f}s"]
        command += ["-s", str(script), url]
        done = subprocess.run(command, capture_output=True, text=True, check=False, env=os.environ)  # noqa: S603
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr.strip()[-2000:]}")
    line = next(line for line in reversed(done.stdout.splitlines()) if line.startswith("{"))
    return LoadResult.from_json(json.loads(line))


if __name__ == "__main__":
    _main()

"""What the HTTP benchmarks share: a temporary instance, gunicorn, logins, and a keep-alive load client.

- `Instance`: a temporary folder with its own database (SQLite, or a PostgreSQL URL), search index, secret
  key and model path; `prepare()` migrates and seeds it through the `srx` command, as a deployment would.
- `Gunicorn`: the app (or any WSGI app) under gunicorn with the repository's `gunicorn.conf.py`, on a free
  port; a context manager that stops it by its own process id.
- `login()`: a session cookie for a user, through the login form (GET for the CSRF token, then POST).
- `load()`: N connections with keep-alive, each in its own thread, sending one request after the other for
  a fixed time; requests/s, p50, p95 and the status codes. A Python client on the same machine takes some
  of the CPU the server could use; the bare page in the same run pays the same toll, so the ratio is fair.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN_CONF = ROOT / "gunicorn.conf.py"


def machine() -> dict[str, Any]:
    """What the figures were measured on; other work on the machine skews them, so the load is recorded."""
    import platform

    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Instance:
    """A throw-away SRX instance in a temporary folder (or on the PostgreSQL database `database_url`)."""

    def __init__(self, database_url: str | None = None, *, keep: bool = False, **extra_env: str) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="srx-bench-"))
        self.keep = keep
        self.database_url = database_url or f"sqlite:///{self.dir}/srx.sqlite3"
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
            "DATABASE_URL": self.database_url,
            "SEARCH_SQLITE_PATH": str(self.dir / "search.sqlite3"),
            "SECRET_KEY": secrets.token_hex(16),
            "EVIDENCE_PATH": str(self.dir / "evidence"),
            "MODEL_PATH": str(self.dir / "model" / "scorer.skops"),
            "SRX_DEMO": "1",
            # A benchmark logs in the same accounts many times; the limiter would refuse the run itself.
            "LOGIN_MAX_FAILURES": "1000000",
            **extra_env,
        }

    def srx(self, *args: str, quiet: bool = True) -> str:
        out = subprocess.run(
            [PYTHON, "-m", "marketplace.cli", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if out.returncode != 0:
            raise RuntimeError(f"srx {' '.join(args)} failed:\n{out.stdout}\n{out.stderr}")
        return out.stdout

    def prepare(self, *, search_index: bool = True) -> None:
        """Migrate, seed the demo, index it: what `make run` does before it serves."""
        self.srx("db", "upgrade")
        self.srx("seed")
        if search_index:
            self.srx("search", "reindex", "--quiet")

    def python(self, code: str, *args: str) -> str:
        """Run `code` (with `args` in sys.argv[1:]) in a fresh process with this instance's environment."""
        out = subprocess.run(
            [PYTHON, "-c", code, *args], env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=1800
        )
        if out.returncode != 0:
            raise RuntimeError(out.stderr)
        return out.stdout

    def close(self) -> None:
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


class Gunicorn:
    """`gunicorn -c gunicorn.conf.py APP` on a free port, started and stopped by this process."""

    def __init__(
        self,
        instance: Instance,
        app: str = "marketplace:create_app()",
        *,
        workers: int | None = None,
        threads: int | None = None,
        config: Path | None = GUNICORN_CONF,
        extra: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        cwd: Path = ROOT,
    ) -> None:
        """`config=None`: gunicorn's defaults (sync workers, no preload), as a plain `gunicorn -w N` runs."""
        self.instance = instance
        self.port = free_port()
        self.app = app
        conf = ["-c", str(config)] if config else ["--no-control-socket"]
        self.args = [*conf, "--bind", f"127.0.0.1:{self.port}", *extra]
        if workers:
            self.args += ["--workers", str(workers)]
        if threads:
            self.args += ["--threads", str(threads)]
        self.env = {**instance.env, **(env or {})}
        # gunicorn puts its working directory first on sys.path: the app is imported from there.
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = instance.dir / f"gunicorn-{self.port}.log"

    def start(self, ready_path: str = "/healthz", timeout: float = 120.0) -> float:
        """Start; return the seconds until `ready_path` first answered."""
        t0 = time.perf_counter()
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(
                [PYTHON, "-m", "gunicorn", *self.args, self.app],
                env=self.env,
                cwd=self.cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        while time.perf_counter() - t0 < timeout:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log.read_text()[-3000:]}")
            try:
                status, _ = get(self.port, ready_path, timeout=30)
                if status < 500:
                    return time.perf_counter() - t0
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def cpu_seconds(self) -> float:
        """CPU seconds of the master, its live workers and the workers it has reaped (Linux's /proc; 0.0
        elsewhere). The difference over a run is what serving it cost, whatever max_requests replaced."""
        if self.proc is None or not Path(f"/proc/{self.proc.pid}/stat").exists():
            return 0.0
        tick = os.sysconf("SC_CLK_TCK")

        def fields(pid: int) -> list[int]:
            try:
                raw = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except (FileNotFoundError, ProcessLookupError):
                return [0, 0, 0, 0]
            return [int(x) for x in raw[11:15]]  # utime, stime, cutime, cstime

        total = sum(fields(self.proc.pid))
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        pids = children.read_text().split() if children.exists() else []
        total += sum(sum(fields(int(pid))[:2]) for pid in pids)
        return total / tick

    def __enter__(self) -> Gunicorn:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def get(port: int, path: str, *, cookie: str = "", timeout: float = 10.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


CSRF_RE = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
META_CSRF_RE = re.compile(rb'<meta name="csrf-token" content="([^"]+)"')


def _cookies(resp: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    for name, value in resp.getheaders():
        if name.lower() == "set-cookie":
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            jar[key.strip()] = val.strip()


def get_page(port: int, path: str, jar: dict[str, str]) -> bytes:
    """GET `path` with the cookie jar, keeping any cookie the answer sets (a new CSRF secret, for one)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie_header(jar)})
        resp = conn.getresponse()
        body = resp.read()
        _cookies(resp, jar)
        return body
    finally:
        conn.close()


def cookie_header(jar: Mapping[str, str]) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def csrf_token(html: bytes) -> str:
    m = CSRF_RE.search(html) or META_CSRF_RE.search(html)
    if m is None:
        raise RuntimeError("no CSRF token on the page")
    return next(g for g in m.groups() if g).decode()


def login(port: int, email: str, password: str) -> dict[str, str]:
    """Log in through the form; the cookie jar of the session."""
    jar: dict[str, str] = {}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/login")
        resp = conn.getresponse()
        html = resp.read()
        _cookies(resp, jar)
        body = urllib.parse.urlencode({"email": email, "password": password, "csrf_token": csrf_token(html)})
        conn.request(
            "POST",
            "/login",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie_header(jar)},
        )
        resp = conn.getresponse()
        resp.read()
        _cookies(resp, jar)
        if resp.status not in (302, 303):
            raise RuntimeError(f"login as {email} answered {resp.status}")
        return jar
    finally:
        conn.close()


@dataclass
class LoadResult:
    requests: int
    seconds: float
    latencies_ms: list[float] = field(repr=False)
    statuses: Counter[int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        xs = sorted(self.latencies_ms)
        return xs[min(len(xs) - 1, int(q * len(xs)))]

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "seconds": round(self.seconds, 2),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.pct(0.50), 1),
            "p95_ms": round(self.pct(0.95), 1),
            "mean_ms": round(statistics.fmean(self.latencies_ms), 1) if self.latencies_ms else None,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
        }


def _raw_request(path: str, cookie: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Accept: text/html", "Connection: keep-alive"]
    if cookie:
        lines.append(f"Cookie: {cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class _Conn:
    """One keep-alive connection: send a request, read one response (Content-Length or chunked)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.sock: socket.socket | None = None
        self.buf = b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=60)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        return sock

    def _read_until(self, sock: socket.socket, marker: bytes) -> int:
        while (i := self.buf.find(marker)) < 0:
            chunk = sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        return i

    def _read_n(self, sock: socket.socket, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = sock.recv(max(65536, n - len(self.buf)))
            if not chunk:
                raise ConnectionError("closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def request(self, raw: bytes) -> int:
        for attempt in (0, 1):
            if self.sock is None:
                self.sock = self._connect()
            try:
                return self._exchange(self.sock, raw)
            except (ConnectionError, OSError):
                self.close()
                if attempt:
                    raise
        raise AssertionError("unreachable")

    def _exchange(self, sock: socket.socket, raw: bytes) -> int:
        sock.sendall(raw)
        end = self._read_until(sock, b"\r\n\r\n")
        head, self.buf = self.buf[:end].decode("latin-1"), self.buf[end + 4 :]
        status = int(head.split(" ", 2)[1])
        headers = {}
        for line in head.split("\r\n")[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if "content-length" in headers:
            self._read_n(sock, int(headers["content-length"]))
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                i = self._read_until(sock, b"\r\n")
                size = int(self.buf[:i].split(b";")[0], 16)
                self.buf = self.buf[i + 2 :]
                self._read_n(sock, size + 2)
                if size == 0:
                    break
        else:  # read to the end; the connection is done
            while sock.recv(65536):
                pass
            self.close()
            return status
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def load(
    port: int,
    path: str,
    *,
    cookie: str = "",
    connections: int = 16,
    seconds: float = 5.0,
    warmup: float = 1.0,
) -> LoadResult:
    """Drive `path` with `connections` keep-alive connections for `seconds` (after `warmup`)."""
    raw = _raw_request(path, cookie)
    start_at = time.perf_counter() + warmup
    stop_at = start_at + seconds
    lats: list[list[float]] = [[] for _ in range(connections)]
    statuses: list[Counter[int]] = [Counter() for _ in range(connections)]

    def worker(i: int) -> None:
        conn = _Conn(port)
        mine, codes = lats[i], statuses[i]
        try:
            while True:
                t0 = time.perf_counter()
                if t0 >= stop_at:
                    return
                try:
                    status = conn.request(raw)
                except OSError:
                    status = 599
                t1 = time.perf_counter()
                if t0 >= start_at:
                    mine.append((t1 - t0) * 1000)
                    codes[status] += 1
        finally:
            conn.close()

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    all_lats = [x for xs in lats for x in xs]
    return LoadResult(len(all_lats), seconds, all_lats, sum(statuses, Counter()))


@contextmanager
def instance(database_url: str | None = None, **kw: Any) -> Iterator[Instance]:
    inst = Instance(database_url, **kw)
    try:
        yield inst
    finally:
        inst.close()

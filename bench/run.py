"""`make bench`: build the data sets, serve with gunicorn, drive load with wrk, report.

For each engine (SQLite, PostgreSQL) it builds a fresh data set per size (10,000 and
100,000 tickets; 20,000 firms, 800 Meisters), serves each with gunicorn (2 sync
workers) side by side, measures every endpoint with wrk from a separate process, and in
the same run measures a bare Flask "hello" under the same gunicorn settings as the
ceiling: each endpoint in seven rounds of a hello window, then one window per size (the
sizes in the same seconds of the machine), and the median of the seven is reported;
growth is the median of the rounds' ratios. Then it measures approvals (PostgreSQL,
8 clients, in five windows) and settlement of 100,000 claims.
Results: bench/results/latest.json and bench/results/latest.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.cpusteal import cpu_times, steal_pct  # noqa: E402
from bench.dataset import AUDIT_KEY  # noqa: E402

RESULTS = ROOT / "bench" / "results"
PORT = 5077
HELLO_PORT = 5078  # the ceiling's server, kept up beside the app's during a block
APP_PORT = 5079  # the app's servers, one per size: 5079, 5080, …
ROUNDS = 7  # windows per endpoint; the median is reported (a slow spell of a shared
# machine spoils one or two windows, not the median of seven)
APPROVAL_WINDOWS = 5  # five windows at 450/s approve 11,000 of the 20,000 pending claims
HELLO_SECONDS = 2  # the hello window before each endpoint window
SECRET = "bench-secret-not-for-production"
SEARCH = urllib.parse.quote("검사기")
ENDPOINTS = [
    # name, path (TICKET is replaced by a ticket id), auth
    ("api_list", "/api/v1/tickets", "token"),
    ("api_list_filtered", "/api/v1/tickets?status=in_progress&category=breakdown", "token"),
    ("api_search", f"/api/v1/tickets?q={SEARCH}", "token"),
    ("api_detail", "/api/v1/tickets/TICKET", "token"),
    ("html_list", "/tickets", "cookie"),
    ("html_list_filtered", "/tickets?status=in_progress&category=breakdown", "cookie"),
    ("html_search", f"/tickets?q={SEARCH}", "cookie"),
    ("html_detail", "/tickets/TICKET", "cookie"),
    ("dashboard", "/manager", "cookie"),
    ("claims_queue", "/claims", "cookie"),
]
# The floors of the core-simplification issue: same-run shares of the bare hello.
TARGETS = {"api_list": 0.15, "html_list": 0.08, "api_detail": 0.20}
P95_MS = {
    "api_list": 20,
    "api_list_filtered": 20,
    "api_search": 20,
    "html_list": 20,
    "html_list_filtered": 20,
    "html_search": 20,
    "dashboard": 100,
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def serve(app: str, env: dict[str, str], port: int = PORT) -> subprocess.Popen:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "--workers",
        "2",
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        app,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    for _ in range(100):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/")
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError(f"gunicorn did not start for {app}")


def stop(process: subprocess.Popen) -> int:
    """Stop gunicorn; return the largest worker RSS in MB seen just before."""
    rss = worker_rss_mb(process.pid)
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    return rss


def worker_rss_mb(master_pid: int) -> int:
    out = subprocess.run(
        ["ps", "--ppid", str(master_pid), "-o", "rss="], capture_output=True, text=True
    ).stdout
    sizes = [int(x) for x in out.split()] or [0]
    return max(sizes) // 1024


def wrk(
    path: str,
    headers: dict[str, str],
    seconds: int,
    connections: int = 8,
    script: str = "report.lua",
    env: dict[str, str] | None = None,
    port: int = PORT,
) -> dict:
    command = [
        "wrk",
        "-t2",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / "lua" / script),
    ]
    for key, value in headers.items():
        command += ["-H", f"{key}: {value}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    before = cpu_times()
    out = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **(env or {})})
    stolen = steal_pct(before, cpu_times())
    lines = [x for x in out.stdout.splitlines() if x.startswith("{")]
    if not lines:
        raise RuntimeError(f"wrk gave no report for {path}: {out.stderr.strip()[-500:]}")
    data = json.loads(lines[-1])
    seconds_run = data["duration_us"] / 1e6
    return {
        "rps": round(data["requests"] / seconds_run, 1),
        "p50_ms": round(data["p50_us"] / 1000, 2),
        "p95_ms": round(data["p95_us"] / 1000, 2),
        "p99_ms": round(data["p99_us"] / 1000, 2),
        "requests": data["requests"],
        "errors": data["errors"],
        "non_2xx": data["non_2xx"],
        **{key: data[key] for key in ("refused", "failed") if key in data},  # approvals.lua
        "steal_pct": stolen,
    }


def credentials(port: int) -> tuple[str, str]:
    """A bearer token and a session cookie for the demo manager, from the app on `port`."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    body = json.dumps({"email": "manager@demo.aftercare.kr", "password": "aftercare-demo-2021"})
    conn.request("POST", "/api/v1/tokens", body, {"Content-Type": "application/json"})
    token = json.loads(conn.getresponse().read())["token"]
    conn.request("GET", "/login")
    response = conn.getresponse()
    page = response.read().decode()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode(
        {
            "email": "manager@demo.aftercare.kr",
            "password": "aftercare-demo-2021",
            "csrf_token": csrf,
        }
    )
    conn.request(
        "POST",
        "/login",
        form,
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie},
    )
    response = conn.getresponse()
    response.read()
    if response.status != 302:
        raise RuntimeError("sign-in for the benchmark failed")
    cookie = response.getheader("Set-Cookie").split(";")[0]
    # As a browser would: the first page adds the session's CSRF token to the cookie,
    # and later requests send the cookie as it was set.
    conn.request("GET", "/tickets", headers={"Cookie": cookie})
    response = conn.getresponse()
    response.read()
    refreshed = response.getheader("Set-Cookie")
    return token, refreshed.split(";")[0] if refreshed else cookie


def app_env(url: str) -> dict[str, str]:
    return {
        "AFTERCARE_ENV": "production",
        "DATABASE_URL": url,
        "SECRET_KEY": SECRET,
        "AUDIT_KEY": AUDIT_KEY,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_ALLOW_MEMORY": "1",  # one host; production refuses memory:// otherwise
    }


def sample_ticket_id(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        ticket_id = conn.execute(
            text("SELECT ticket_id FROM claim WHERE status = 'settled' ORDER BY id DESC LIMIT 1")
        ).scalar()
    engine.dispose()
    return ticket_id


def measure_engine(engine: str, sizes: list[int], seconds: int) -> dict[str, dict]:
    """Every endpoint at every size of one engine, the sizes side by side.

    Each size's data set is built and served at once (a gunicorn of its own), and each
    round of an endpoint is a hello window followed by one window per size, their order
    turned every round: the sizes are compared minutes apart no longer, but in the same
    seconds of the machine, so its drift is not counted as growth with the data.
    """
    from bench import dataset

    built = {}
    for size in sizes:
        log(f"{engine}: building {size:,} tickets")
        built[size] = dataset.build(engine, size, name=str(size))
    servers = {size: APP_PORT + i for i, size in enumerate(sizes)}
    results = {size: {"build_seconds": built[size]["seconds"], "endpoints": {}} for size in sizes}
    hello = serve("bench.hello:app", {}, port=HELLO_PORT)
    processes = {
        size: serve("wsgi:app", app_env(built[size]["url"]), servers[size]) for size in sizes
    }
    try:
        signed_in = {size: credentials(servers[size]) for size in sizes}
        tickets = {size: sample_ticket_id(built[size]["url"]) for size in sizes}
        for name, path, kind in ENDPOINTS:
            measures = {}
            for size in sizes:
                token, cookie = signed_in[size]
                headers = (
                    {"Authorization": f"Bearer {token}"} if kind == "token" else {"Cookie": cookie}
                )
                where = path.replace("TICKET", str(tickets[size]))
                wrk(where, headers, 2, port=servers[size])  # warm-up
                measures[size] = partial(wrk, where, headers, seconds, port=servers[size])
            windows = side_by_side(measures, ROUNDS)
            for size in sizes:
                results[size]["endpoints"][name] = median_window(windows[size])
                log(f"{engine} {size:,} {name}: {_brief(results[size]['endpoints'][name])}")
        for size in sizes[:-1]:
            results[size]["worker_rss_mb"] = stop(processes.pop(size))
        largest = sizes[-1]
        if engine == "postgresql" and largest == max(SIZES):
            results[largest]["approvals"] = measure_approvals(
                built[largest]["url"], signed_in[largest][0], seconds, servers[largest]
            )
    finally:
        for size, process in processes.items():
            results[size]["worker_rss_mb"] = stop(process)
        stop(hello)
    for size in sizes:
        dataset.drop_database(engine, str(size))
    return {str(size): data for size, data in results.items()}


def side_by_side(measures: dict[int, Callable[[], dict]], rounds: int) -> dict[int, list[dict]]:
    """`rounds` rounds of a hello window, then one window of each measure, in the order
    given on even rounds and reversed on odd ones; every window carries its round's
    hello (`hello_rps`) and its share of it."""
    windows: dict[int, list[dict]] = {key: [] for key in measures}
    for number in range(rounds):
        order = list(measures) if number % 2 == 0 else list(reversed(measures))
        ceiling_now = wrk("/hello", {}, HELLO_SECONDS, port=HELLO_PORT)["rps"]
        for key in order:
            windows[key].append(_beside(measures[key](), ceiling_now))
    return windows


def beside_hello(measure: Callable[[], dict]) -> dict:
    """One window of `measure`, right after a hello window: its ceiling at that moment."""
    ceiling_now = wrk("/hello", {}, HELLO_SECONDS, port=HELLO_PORT)["rps"]
    return _beside(measure(), ceiling_now)


def _beside(window: dict, ceiling_now: float) -> dict:
    window["hello_rps"] = ceiling_now
    window["share"] = round(window["rps"] / ceiling_now, 4) if ceiling_now else 0.0
    return window


MEDIANS = ("rps", "p50_ms", "p95_ms", "p99_ms", "hello_rps", "share", "approved_rps")
TOTALS = ("requests", "errors", "non_2xx", "refused", "failed")


def median_window(windows: list[dict]) -> dict:
    """The windows of one endpoint as one figure: each rate, latency and share is the
    median over the windows (one stalled window does not decide it), counts are summed,
    and the steal is the highest any window saw. The windows are kept as measured."""
    summary: dict = {}
    for key in MEDIANS:
        if all(key in w for w in windows):
            summary[key] = statistics.median(w[key] for w in windows)
    for key in TOTALS:
        if all(key in w for w in windows):
            summary[key] = sum(w[key] for w in windows)
    stolen = [w["steal_pct"] for w in windows if w.get("steal_pct") is not None]
    summary["steal_pct"] = max(stolen) if stolen else None
    summary["windows"] = windows
    return summary


def _brief(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if k != "windows"}


def measure_approvals(url: str, token: str, seconds: int, port: int) -> dict:
    """8 clients approve distinct pending claims: `approved_rps` counts the approvals.

    A claim whose firm has used up its cap is refused (409, counted in `refused`):
    a right answer, but not an approval; any other status of 400 or more counts in
    `failed`, and fails the target. A 2-second warm-up first, as for every
    endpoint (prepared statements, caches), on claims of its own; then five windows,
    each beside a hello window, each approving only claims still pending.
    """
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    _approvals_window(url, headers, 2, port)
    result = median_window(
        [
            beside_hello(partial(_approvals_window, url, headers, seconds, port))
            for _ in range(APPROVAL_WINDOWS)
        ]
    )
    log(f"approvals: {_brief(result)}")
    return result


def _approvals_window(url: str, headers: dict[str, str], seconds: int, port: int) -> dict:
    result = wrk(
        "/api/v1/claims/1/approve",
        headers,
        seconds,
        connections=8,
        script="approvals.lua",
        env={"APPROVE_IDS": ",".join(map(str, _pending_claim_ids(url)))},
        port=port,
    )
    approved = result["requests"] - result["refused"] - result["failed"] - result["errors"]
    result["approved_rps"] = round(result["rps"] * approved / max(result["requests"], 1), 1)
    return result


def _pending_claim_ids(url: str, limit: int = 20_000) -> list[int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    query = text("SELECT id FROM claim WHERE status = 'pending' ORDER BY id LIMIT :limit")
    with engine.connect() as conn:
        ids = conn.execute(query, {"limit": limit}).scalars().all()
    engine.dispose()
    return list(ids)


def measure_hello(seconds: int) -> dict:
    process = serve("bench.hello:app", {})
    try:
        wrk("/hello", {}, 2)
        result = wrk("/hello", {}, seconds)
    finally:
        result["worker_rss_mb"] = stop(process)
    log(f"hello: {result}")
    return result


def measure_settlement(engine: str, claims: int) -> dict:
    from bench import dataset

    log(f"{engine}: building {claims:,} approved claims for settlement")
    # A few claims meet their firm's cap and stay pending: build a margin, approve `claims`.
    built = dataset.build(
        engine, claims * 105 // 100, firms=20_000, meisters=800, status_weights={"confirmed": 1}
    )
    approved = dataset.approve_all_pending(built["url"], limit=claims)
    if approved != claims:
        raise RuntimeError(f"only {approved:,} of {claims:,} claims could be approved")
    dataset.give_settlement_evidence(built["url"])  # reviewed, firm share confirmed
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "ledger", "settle"]
    env = {**os.environ, **app_env(built["url"]), "AFTERCARE_ENV": "development"}
    started, before = time.perf_counter(), cpu_times()
    out = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = round(time.perf_counter() - started, 2)
    stolen = steal_pct(before, cpu_times())
    verify = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "ledger", "verify"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    result = {
        "claims_approved": approved,
        "seconds": seconds,
        "summary": out.stdout.strip(),
        "verify_exit": verify.returncode,
        "steal_pct": stolen,
    }
    log(f"settlement {engine}: {result}")
    return result


SIZES = (10_000, 100_000)
GROWTH = 1.2  # 100,000 tickets within 1.2× of the 10,000-ticket figures
SETTLE_SECONDS = {"sqlite": 10, "postgresql": 25}
APPROVALS_PER_SECOND = 250
WORKER_MB = 150


def growth(small: dict, large: dict) -> tuple[float, float]:
    """How much slower an endpoint is at the large size: (paired, of medians), ≥ 1 is slower.

    The worse of the req/s and p95 ratios. Paired: each round measured both sizes within
    seconds of each other, so the ratio is taken round by round and the median of those
    is judged; the machine's speed, which moves 20 % between rounds, cancels out of each
    round's ratio. The ratio of the two sizes' medians is reported beside it.
    """
    of_medians = max(small["rps"] / large["rps"], large["p95_ms"] / small["p95_ms"])
    pairs = list(zip(small.get("windows", []), large.get("windows", []), strict=False))
    if not pairs:
        return of_medians, of_medians
    rps = statistics.median(s["rps"] / big["rps"] for s, big in pairs)
    p95 = statistics.median(big["p95_ms"] / s["p95_ms"] for s, big in pairs)
    return max(rps, p95), of_medians


def target_rows(report: dict) -> list[tuple[str, str, str, bool]]:
    """(target, engine, figure, met) for every target of the benchmark issue."""
    rows = []
    for engine, sizes in report["engines"].items():
        measured = sorted(sizes, key=int)  # the largest size is judged; growth needs two
        large = sizes[measured[-1]] if measured else None
        small = sizes[measured[0]] if len(measured) > 1 else None
        if large:
            for name, share in TARGETS.items():
                got = large["endpoints"][name]["share"]
                rows.append((f"{name} ≥ {share:.0%} of hello", engine, f"{got:.1%}", got >= share))
            for name, limit in P95_MS.items():
                p95 = large["endpoints"][name]["p95_ms"]
                rows.append((f"{name} p95 ≤ {limit} ms", engine, f"{p95} ms", p95 <= limit))
            rss = max(d["worker_rss_mb"] for d in sizes.values())
            rows.append((f"worker RSS ≤ {WORKER_MB} MB", engine, f"{rss} MB", rss <= WORKER_MB))
        if large and small:
            for name, r in large["endpoints"].items():
                before = small["endpoints"][name]
                slower, of_medians = growth(before, r)
                target = f"{name} 100k within {GROWTH}× of 10k"
                figure = f"{slower:.2f}× (of medians {of_medians:.2f}×)"
                rows.append((target, engine, figure, slower <= GROWTH))
    if report.get("approvals"):
        approvals = report["approvals"]
        rps = approvals["approved_rps"]
        ok = rps >= APPROVALS_PER_SECOND and approvals["failed"] == approvals["errors"] == 0
        rows.append((f"approvals ≥ {APPROVALS_PER_SECOND}/s", "postgresql", f"{rps:,.0f}/s", ok))
    for engine, result in report.get("settlement", {}).items():
        limit = SETTLE_SECONDS[engine]
        ok = result["seconds"] <= limit and result["verify_exit"] == 0
        rows.append(
            (
                f"settle {result['claims_approved']:,} claims ≤ {limit} s",
                engine,
                f"{result['seconds']} s",
                ok,
            )
        )
    return rows


def steal_windows(report: dict) -> list[float]:
    """The CPU steal of every measured window of the run (hello, each window of each
    endpoint and of approvals, settlement) that recorded one."""
    measured = [report["hello"], report.get("approvals") or {}]
    measured += [
        e
        for sizes in report["engines"].values()
        for d in sizes.values()
        for e in d["endpoints"].values()
    ]
    windows = [w for figures in measured for w in figures.get("windows", [figures])]
    windows += report.get("settlement", {}).values()
    return [w["steal_pct"] for w in windows if w.get("steal_pct") is not None]


def steal_summary(report: dict) -> str:
    stolen = sorted(steal_windows(report))
    if not stolen:
        return "not recorded"
    return f"median {statistics.median(stolen):.1f} %, highest {stolen[-1]:.1f} %"


def _steal(figures: dict) -> str:
    value = figures.get("steal_pct")
    return "—" if value is None else f"{value:.1f}"


def markdown(report: dict) -> str:
    lines = [
        f"# Aftercare benchmark — {report['when']}",
        "",
        f"Machine: {report['machine']}. gunicorn 2 sync workers, wrk -t2 -c8. Each endpoint: "
        f"{ROUNDS} rounds of a {HELLO_SECONDS}-s window of the ceiling (a bare Flask hello "
        f"under the same gunicorn settings), then a {report['seconds']}-s window of each "
        "size, the sizes served side by side and their order turned every round; the "
        "figures are the medians of the windows, `% of hello` the median of each window's "
        "req/s over its round's hello's, growth the median of the rounds' ratios of the "
        f"two sizes. Hello at the start of the run: "
        f"{report['hello']['rps']:,.0f} req/s.",
        "",
        f"CPU steal (time the hypervisor gave other guests) in the measured windows: "
        f"{steal_summary(report)}.",
        "",
        "| engine | tickets | endpoint | req/s | hello req/s | % of hello | p50 ms | p95 ms "
        "| p99 ms | errors | steal % |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for engine, sizes in report["engines"].items():
        for size, data in sizes.items():
            for name, r in data["endpoints"].items():
                failed = r["errors"] + r["non_2xx"]
                lines.append(
                    f"| {engine} | {int(size):,} | {name} | {r['rps']:,.0f} | "
                    f"{r['hello_rps']:,.0f} | {100 * r['share']:.1f} % | {r['p50_ms']} | "
                    f"{r['p95_ms']} | {r['p99_ms']} | {failed} | {_steal(r)} |"
                )
    lines += [
        "",
        "| engine | worker RSS after run (MB) | growth 10k → 100k (api_list req/s) |",
        "|---|---:|---:|",
    ]
    for engine, sizes in report["engines"].items():
        small, large = sizes.get(str(SIZES[0])), sizes.get(str(SIZES[1]))
        api_list = (
            f"{growth(small['endpoints']['api_list'], large['endpoints']['api_list'])[0]:.2f}×"
            if small and large
            else "—"
        )
        rss = max(d["worker_rss_mb"] for d in sizes.values())
        lines.append(f"| {engine} | {rss} | {api_list} |")
    if report.get("approvals"):
        a = report["approvals"]
        lines += [
            "",
            f"Approvals (PostgreSQL, 8 clients, median of {APPROVAL_WINDOWS} windows): "
            f"**{a['approved_rps']:,.0f}/s** approved ({a['rps']:,.0f} requests/s; hello "
            f"beside them {a['hello_rps']:,.0f} req/s), p95 {a['p95_ms']} ms; refused with "
            f"409 (a firm's cap used up) {a['refused']}, other answers ≥ 400 {a['failed']}, "
            f"connection errors {a['errors']}; CPU steal {_steal(a)} %.",
        ]
    for engine, s in report.get("settlement", {}).items():
        lines.append(
            f"Settlement of {s['claims_approved']:,} claims on {engine}: **{s['seconds']} s** "
            f"(ledger verify exit {s['verify_exit']}; CPU steal {_steal(s)} %)."
        )
    rows = target_rows(report)
    lines += [
        "",
        f"Targets: {sum(met for *_, met in rows)} of {len(rows)} met.",
        "",
        "| target | engine | figure | met |",
        "|---|---|---:|:---:|",
    ]
    lines += [f"| {t} | {e} | {f} | {'yes' if met else '**no**'} |" for t, e, f, met in rows]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=5, help="length of one window")
    parser.add_argument("--engines", default="sqlite,postgresql")
    parser.add_argument("--sizes", default=",".join(str(s) for s in SIZES))
    parser.add_argument("--settle-claims", type=int, default=100_000)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    report: dict = {
        "when": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "machine": f"{os.cpu_count()} cores",
        "seconds": args.seconds,
        "hello": measure_hello(args.seconds),
        "engines": {},
        "settlement": {},
    }
    for engine in args.engines.split(","):
        report["engines"][engine] = measure_engine(engine, sizes, args.seconds)
        for data in report["engines"][engine].values():
            if "approvals" in data:
                report["approvals"] = data.pop("approvals")
    if args.settle_claims:
        for engine in args.engines.split(","):
            report["settlement"][engine] = measure_settlement(engine, args.settle_claims)
    RESULTS.mkdir(parents=True, exist_ok=True)
    report["targets"] = [
        {"target": t, "engine": e, "figure": f, "met": met} for t, e, f, met in target_rows(report)
    ]
    (RESULTS / "latest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False))
    (RESULTS / "latest.md").write_text(markdown(report))
    log(f"wrote {RESULTS / 'latest.json'} and latest.md")
    print(markdown(report))


if __name__ == "__main__":
    main()

"""Bench: a payout batch of 10,000 claims, its evidence archive streamed with flat memory.

Builds a bench database, approves its claims, gives each one an evidence file and a
confirmed firm payment (real files on disk), settles them into one payout batch and
streams the batch's evidence ZIP in a child process that samples its own memory
(resident set) as the archive grows. Writes bench/results/evidence_export.{json,md}.

    .venv/bin/python bench/evidence_export.py [--claims 10000] [--engine sqlite]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
UPLOADS = RESULTS / "evidence-uploads"
SAMPLE_EVERY = 8 * 1024 * 1024  # bytes of archive between two memory samples
PER_FILE_KB = 2  # the central directory's entry; a held file would add its 16 KB


def log(message: str) -> None:
    print(f"[evidence-bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def rss_mb() -> float:
    """This process's resident set now (Linux /proc), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def build(engine: str, claims: int) -> str:
    """A database whose `claims` approved claims are settled into one payout batch."""
    from bench import dataset
    from bench.run import app_env

    log(f"{engine}: building {claims:,} approved claims with their evidence")
    built = dataset.build(
        engine,
        claims * 105 // 100,
        firms=20_000,
        meisters=800,
        name="evidence",
        status_weights={"confirmed": 1},
    )
    approved = dataset.approve_all_pending(built["url"], limit=claims)
    shutil.rmtree(UPLOADS, ignore_errors=True)
    payable = dataset.give_settlement_evidence(built["url"], UPLOADS)
    log(f"approved {approved:,}, payable {payable:,}; settling them into one batch")
    env = {**os.environ, **app_env(built["url"]), "UPLOAD_DIR": str(UPLOADS)}
    env["AFTERCARE_ENV"] = "development"
    settle = [sys.executable, "-m", "flask", "--app", "wsgi", "ledger", "settle"]
    out = subprocess.run(settle, cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    log(out.stdout.strip().splitlines()[-1] if out.stdout.strip() else "settled")
    return built["url"]


def stream(url: str) -> dict:
    """Stream the newest batch's archive to a temporary file, sampling memory (child)."""
    from bench import dataset

    app = dataset._app(url)
    app.config["UPLOAD_DIR"] = str(UPLOADS)
    with app.app_context():
        from sqlalchemy import func, select

        from aftercare.extensions import db
        from aftercare.payouts.models import PayoutBatch, PayoutLine
        from aftercare.reports.settlement_report import evidence_zip

        batch = db.session.scalars(select(PayoutBatch).order_by(PayoutBatch.id.desc())).first()
        claims = db.session.scalar(
            select(func.count()).select_from(PayoutLine).where(PayoutLine.batch_id == batch.id)
        )
        samples, written, next_sample = [], 0, SAMPLE_EVERY
        started = time.perf_counter()
        with tempfile.TemporaryFile() as out:
            for chunk in evidence_zip(batch):
                out.write(chunk)
                written += len(chunk)
                if written >= next_sample:
                    samples.append(rss_mb())
                    next_sample += SAMPLE_EVERY
            seconds = round(time.perf_counter() - started, 2)
            out.seek(0)
            with zipfile.ZipFile(out) as archive:
                names = archive.namelist()
                index_rows = archive.read("index.csv").decode("utf-8-sig").count("\n") - 1
    return {
        "claims": claims,
        "files": len(names) - 1,
        "index_rows": index_rows,
        "archive_mb": round(written / 1024 / 1024, 1),
        "seconds": seconds,
        "rss_first_mb": samples[0] if samples else rss_mb(),
        "rss_peak_mb": max(samples, default=rss_mb()),
        "rss_last_mb": samples[-1] if samples else rss_mb(),
        "samples": len(samples),
    }


def markdown(engine: str, r: dict) -> str:
    growth = round(r["rss_peak_mb"] - r["rss_first_mb"], 1)
    per_file_kb = round(growth * 1024 / max(r["files"], 1), 2)
    met = per_file_kb <= PER_FILE_KB and r["files"] == r["index_rows"]
    return (
        f"# Evidence archive of one payout batch — {time.strftime('%Y-%m-%d %H:%M:%S %Z')}\n\n"
        f"{engine}: {r['claims']:,} settled claims, {r['files']:,} files "
        f"({r['index_rows']:,} index rows), a {r['archive_mb']:,} MB ZIP streamed in "
        f"**{r['seconds']} s**. Resident memory sampled every {SAMPLE_EVERY // 2**20} MB of "
        f"archive ({r['samples']} samples): first {r['rss_first_mb']} MB, peak "
        f"{r['rss_peak_mb']} MB, last {r['rss_last_mb']} MB: {growth} MB for "
        f"{r['archive_mb']:,} MB of files. What grows is the ZIP's central directory, one "
        "entry per file that the format writes at its end; no file's bytes are held.\n\n"
        "| target | figure | met |\n|---|---:|:---:|\n"
        f"| memory per file while streaming ≤ {PER_FILE_KB} KB (files are 16 KB) "
        f"| {per_file_kb} KB | {'yes' if met else '**no**'} |\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--engine", default="sqlite")
    parser.add_argument("--stream", metavar="URL", help=argparse.SUPPRESS)  # the child's part
    args = parser.parse_args()
    if args.stream:
        print(json.dumps(stream(args.stream)))
        return
    url = build(args.engine, args.claims)
    log("streaming the batch's evidence archive in a fresh process")
    child = subprocess.run(
        [sys.executable, __file__, "--stream", url],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(child.stdout.strip().splitlines()[-1])
    report = {"engine": args.engine, **result}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "evidence_export.json").write_text(json.dumps(report, indent=2))
    (RESULTS / "evidence_export.md").write_text(markdown(args.engine, result))
    shutil.rmtree(UPLOADS, ignore_errors=True)
    log(
        f"done: {result['claims']:,} claims, {result['files']:,} files, "
        f"{result['archive_mb']} MB in {result['seconds']} s, "
        f"memory {result['rss_first_mb']} → peak {result['rss_peak_mb']} MB"
    )


if __name__ == "__main__":
    main()

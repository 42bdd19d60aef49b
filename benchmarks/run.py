"""Run the srcdiff benchmarks against hand-written gradients and the optional peers.

Usage: python benchmarks/run.py [--quick] [--only NAME] [--json FILE]
"""

import argparse
import json
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from benchmarks import timing  # noqa: E402
from benchmarks.peers import PEERS, Unavailable, as_numpy_tuple, short_reason  # noqa: E402
from benchmarks.workloads import BY_NAME, WORKLOADS  # noqa: E402

HAND = PEERS[0].name
E_TARGET = 1.5
SETTINGS = {"full": {"repeats": 25, "min_time": 0.04}, "quick": {"repeats": 5, "min_time": 0.005}}


def check(prepared, reference):
    """None if the peer's gradient matches the hand-written one, else why not."""
    out = prepared.grad(*prepared.args)
    if prepared.sync:
        out = prepared.sync(out)
    got = as_numpy_tuple(out)
    if len(got) != len(reference):
        return f"WRONG ({len(got)} outputs, expected {len(reference)})"
    for i, (g, r) in enumerate(zip(got, reference, strict=True)):
        if g.shape != r.shape:
            return f"WRONG (output {i} has shape {g.shape}, expected {r.shape})"
        if not np.allclose(g, r):
            return f"WRONG (output {i} off by up to {np.max(np.abs(g - r)):.3g})"
    return None


def prepare_all(wl, peers):
    """Prepared gradients of every usable peer, plus a status for each peer that is not."""
    ready, status = {}, {}
    reference = as_numpy_tuple(wl.hand_grad(*wl.make_args()))
    for peer in peers:
        try:
            prepared = peer.prepare(wl)
        except Unavailable as exc:
            status[peer.name] = str(exc)
            continue
        except Exception as exc:
            status[peer.name] = f"fails: {short_reason(exc)}"
            continue
        try:
            problem = check(prepared, reference)
        except Exception as exc:
            problem = f"fails: {short_reason(exc)}"
        if problem:
            status[peer.name] = problem
        else:
            ready[peer.name] = prepared
    return ready, status


def run_workload(wl, peers, repeats, min_time):
    ready, status = prepare_all(wl, peers)
    timers = {name: timing.make_timer(p.grad, p.args, p.sync) for name, p in ready.items()}
    measured = timing.measure(timers, repeats, min_time)
    hand = measured.get(HAND)
    rows = {}
    for peer in peers:
        stats = measured.get(peer.name)
        if isinstance(stats, timing.Stats):
            ratios = {}
            if isinstance(hand, timing.Stats):
                ratios = {
                    "ratio": stats.median / hand.median,
                    "min_ratio": stats.minimum / hand.minimum,
                }
            rows[peer.name] = {"status": "ok", "ratio": None, **ratios, **stats.as_dict()}
        elif stats is not None:
            rows[peer.name] = {"status": f"fails: {short_reason(stats)}"}
        else:
            rows[peer.name] = {"status": status[peer.name]}
    return rows


def fmt_us(seconds):
    us = seconds * 1e6
    return f"{us:.1f}" if us >= 100 else f"{us:.2f}" if us >= 1 else f"{us:.3f}"


def fmt_ratio(ratio):
    if ratio is None:
        return "-"
    return f"{ratio:.1f}x" if ratio >= 10 else f"{ratio:.2f}x"


def render(wl, rows, peers):
    width = max(len(p.name) for p in peers)
    lines = [
        f"{wl.name}: {wl.description}",
        f"  {'method':<{width}}  {'median µs':>10}  {'IQR µs':>9}  {'min µs':>9}  {'vs hand':>8}",
    ]
    for peer in peers:
        row = rows[peer.name]
        if row["status"] == "ok":
            cells = [fmt_us(row["median"]), fmt_us(row["iqr"]), fmt_us(row["minimum"])]
            lines.append(
                f"  {peer.name:<{width}}  {cells[0]:>10}  {cells[1]:>9}  {cells[2]:>9}"
                f"  {fmt_ratio(row['ratio']):>8}"
            )
        else:
            lines.append(f"  {peer.name:<{width}}  {row['status']}")
    return "\n".join(lines)


def e_headline(rows):
    row = rows.get("srcdiff")
    if row is None:
        return None
    if row["status"] != "ok" or row.get("ratio") is None:
        return f"srcdiff / hand-written on e: n/a, srcdiff {row['status']}"
    verdict = "OK" if row["ratio"] <= E_TARGET else "OVER TARGET"
    return (
        f"srcdiff / hand-written on e: {row['ratio']:.2f}x median, {row['min_ratio']:.2f}x min "
        f"(target <= {E_TARGET}x): {verdict}"
    )


def machine_info(peers):
    info = {
        "python": f"{platform.python_version()} ({platform.python_implementation()})",
        "platform": platform.platform(),
        "numpy": np.__version__,
    }
    for peer in peers[1:]:
        key = peer.dist or peer.name
        if key not in info:
            info[key] = peer.version() or "not installed"
    return info


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few short repeats: a smoke run")
    parser.add_argument(
        "--only",
        action="append",
        choices=sorted(BY_NAME),
        metavar="NAME",
        help=f"run only this workload (repeatable): {', '.join(BY_NAME)}",
    )
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    parser.add_argument("--repeats", type=int, help="timing repeats per method")
    parser.add_argument("--min-time", type=float, help="seconds per repeat (sets loop count)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    settings = dict(SETTINGS["quick" if args.quick else "full"])
    if args.repeats:
        settings["repeats"] = args.repeats
    if args.min_time:
        settings["min_time"] = args.min_time
    workloads = [BY_NAME[n] for n in args.only] if args.only else WORKLOADS

    info = machine_info(PEERS)
    print(" | ".join(f"{k} {v}" for k, v in info.items() if k != "platform"))
    print(f"{info['platform']} | repeats {settings['repeats']} x >= {settings['min_time']}s")
    notes = [f"{p.name}: {p.note}" for p in PEERS if p.note]
    print("notes: " + "; ".join(notes))

    results = {}
    headline = None
    for wl in workloads:
        rows = run_workload(wl, PEERS, settings["repeats"], settings["min_time"])
        results[wl.name] = {"description": wl.description, "results": rows}
        print()
        print(render(wl, rows, PEERS), flush=True)
        if wl.name == "e":
            headline = e_headline(rows)
            if headline:
                print(f"  >> {headline}")

    if headline:
        print()
        print(headline)
    if args.json:
        payload = {"machine": info, "settings": settings, "unit": "s", "workloads": results}
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n")
        print(f"results written to {args.json}")


if __name__ == "__main__":
    main()

"""Run many generated programs without hypothesis and file every failing one as a repro.

    python tests/fuzz_hunt.py --generator language --count 2000 --out /tmp/hunt
    python tests/fuzz_hunt.py --generator all --count 500 --out /tmp/hunt --jobs 2

Each program comes from a seeded ``random.Random`` (``--seed`` is the first seed), so a
repro's header names the generator and seed that rebuild it. A failing program is written
as a self-contained module, ``DIR/<failure kind>/<generator>-<seed>.py``, that prints the
gradient srcdiff gives and the central differences it should match; refusals and crashes are
grouped further by their message. With ``--minimize K`` the first K programs of each kind
are also shrunk statement by statement (``fuzzing.reduce``) into ``minimized-*.py``. A table
of counts per generator and kind ends the run.
"""

import argparse
import collections
import multiprocessing
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fuzzing import oracle  # noqa: E402
from fuzzing.generators import GENERATORS, program_for  # noqa: E402
from fuzzing.reduce import reduce  # noqa: E402
from fuzzing.values import literal  # noqa: E402

SEVERITY = ["wrong gradient", "wrong float32 gradient", "wrong value", "changes argument",
            "changes module constant", "shares memory", "wrong type",
            "value_and_grad gradient differs", "forward differs from reverse", "forward value",
            "forward changes argument", "forward changes tangent", "forward type", "crash",
            "forward crash", "timeout", "internal error", "badly located refusal",
            "unexpected refusal", "forward refusal"]


def run_one(job):
    """(generator, seed) -> (generator, seed, outcome, category, repro text or None)."""
    generator, seed = job
    program = program_for(generator, seed)
    try:
        report = oracle.check(program, timeout=30)
    except oracle.Discard:
        return generator, seed, "discarded", None, None
    except oracle.GeneratorBug as error:
        text = (f'"""Generator bug ({error}); generator {generator!r}, seed {seed}."""\n'
                + program.text + f"\nARGS = {literal(program.args)}\n")
        return generator, seed, "generator bug", "generator bug", text
    except Exception as error:  # the oracle itself must not stop a long hunt
        text = (f'"""Oracle error ({type(error).__name__}: {error}); generator {generator!r}, '
                f'seed {seed}."""\n' + program.text + f"\nARGS = {literal(program.args)}\n")
        return generator, seed, "oracle error", f"oracle error {type(error).__name__}", text
    if not report.failures:
        if report.refused:
            return generator, seed, "refused", None, None
        passed = "passed (forward refused)" if report.forward_refused else "passed"
        return generator, seed, passed, None, None
    category = category_of(report)
    outcome = "at a kink" if all(f.kind == oracle.TIE for f in report.failures) else "failed"
    return generator, seed, outcome, category, repro(report, generator, seed, category)


def category_of(report):
    """The most severe failure's kind; refusals and crashes by their (normalized) message."""
    def rank(failure):
        base = failure.kind.split(":")[0]
        return SEVERITY.index(base) if base in SEVERITY else len(SEVERITY)
    failure = min(report.failures, key=rank)
    kind = failure.kind
    if kind in ("unexpected refusal", "badly located refusal", "forward refusal") or (
            kind.startswith(("crash", "internal error", "forward crash"))):
        kind = f"{kind}: {_normalized(failure.detail)}"
    return kind


def _normalized(detail):
    first = detail.splitlines()[0]
    first = re.sub(r"^<[^>]*>:\d+:\d+: ", "", first)
    first = re.sub(r"'[^']*'", "'…'", first)
    first = re.sub(r"\b[a-z_]+\d+\b|\b\d+\b", "#", first)
    return " ".join(first.split()[:8])


def repro(report, generator, seed, category):
    program = report.program
    details = "\n".join(f"{f.kind}: {f.detail}" for f in report.failures)
    header = (f'"""Fuzz repro ({category}); generator {generator!r}, seed {seed}.\n\n'
              + details.replace('"""', "'''").replace("\\", "\\\\") + '\n"""\n')
    expected = {name: literal(value) for name, value in report.expected.items()}
    footer = f"""

ARGS = {literal(program.args)}
WRT = {program.wrt!r}
EXPECTED = {{{", ".join(f"{k!r}: {v}" for k, v in expected.items())}}}  # central differences

if __name__ == "__main__":
    import srcdiff

    print("value         ", f(*ARGS))
    print("expected      ", EXPECTED)
    print("value_and_grad", srcdiff.value_and_grad(f, wrt=WRT)(*ARGS))
    print("gradient      ", srcdiff.gradient(f, wrt=WRT)(*ARGS))
"""
    return header + "\n" + program.text + footer


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "other"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--generator", default="all",
                        help=f"one of {', '.join(GENERATORS)}, or all")
    parser.add_argument("--count", type=int, default=200,
                        help="programs per generator (0 with --minimize: shrink the repros "
                        "already in DIR)")
    parser.add_argument("--out", default="fuzz-hunt", help="directory for repro files")
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes")
    parser.add_argument("--minimize", type=int, default=0,
                        help="shrink this many programs of each failure kind")
    args = parser.parse_args(argv)
    names = list(GENERATORS) if args.generator == "all" else args.generator.split(",")
    jobs = [(name, args.seed + i) for name in names for i in range(args.count)]
    counts = collections.defaultdict(collections.Counter)
    start = time.time()
    # Workers are replaced now and then: each keeps every derivative it compiled cached.
    pool = multiprocessing.Pool(args.jobs, maxtasksperchild=100) if args.jobs > 1 else None
    results = pool.imap_unordered(run_one, jobs, chunksize=4) if pool else map(run_one, jobs)
    for done, (generator, seed, outcome, category, text) in enumerate(results, 1):
        counts[generator][outcome] += 1
        if category:
            counts[generator]["  " + category] += 1
            folder = os.path.join(args.out, slug(category))
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, f"{generator}-{seed}.py"), "w") as out:
                out.write(text)
        if done % 200 == 0:
            print(f"{done}/{len(jobs)} programs, {time.time() - start:.0f} s", flush=True)
    if pool:
        pool.close()
    if jobs:
        print_table(counts)
    if args.minimize:
        minimize_all(args.out, args.minimize, args.jobs)


def print_table(counts):
    """Outcomes, then failure kinds (indented), per generator; kinds by total count."""
    names = list(counts)
    outcomes = sorted({k for c in counts.values() for k in c if not k.startswith("  ")})
    kinds = sorted({k for c in counts.values() for k in c if k.startswith("  ")},
                   key=lambda k: -sum(c.get(k, 0) for c in counts.values()))
    width = min(max([len(r) for r in outcomes + kinds] + [10]), 72)
    print(f"{'':{width}} " + " ".join(f"{n[:10]:>10}" for n in names) + f" {'total':>6}")
    for row in outcomes + kinds:
        cells = [counts[n].get(row, 0) for n in names]
        label = row if len(row) <= width else row[:width - 1] + "…"
        print(f"{label:{width}} " + " ".join(f"{c:>10}" for c in cells) + f" {sum(cells):>6}")


def minimize_one(path):
    """Shrink the repro at ``path`` (its header names generator and seed)."""
    header = open(path).read().split("\n", 1)[0]
    generator, seed = re.search(r"generator '(\w+)', seed (\d+)", header).groups()
    program = program_for(generator, int(seed))
    category = run_one((generator, int(seed)))[3]

    def same_failure(trial):
        try:
            report = oracle.check(trial, timeout=30)
        except Exception:
            return False
        return bool(report.failures) and category_of(report) == category

    small = reduce(program, same_failure)
    try:
        report = oracle.check(small, timeout=30)
    except Exception:  # not reproducible after all: keep the original
        small, report = program, oracle.check(program, timeout=30)
    target = os.path.join(os.path.dirname(path), "minimized-" + os.path.basename(path))
    with open(target, "w") as out:
        out.write(repro(report, generator, int(seed), category))
    return target


def minimize_all(out, per_kind, jobs):
    paths = []
    for folder in sorted(os.listdir(out)):
        if folder in ("generator-bug",) or folder.startswith("oracle-error"):
            continue
        names = os.listdir(os.path.join(out, folder))
        files = sorted(f for f in names if not f.startswith("minimized-"))[:per_kind]
        paths += [os.path.join(out, folder, f) for f in files if "minimized-" + f not in names]
    pool = multiprocessing.Pool(jobs) if jobs > 1 else None
    for target in (pool.imap_unordered(minimize_one, paths) if pool else map(minimize_one,
                                                                              paths)):
        print("minimized", target, flush=True)


if __name__ == "__main__":
    main()

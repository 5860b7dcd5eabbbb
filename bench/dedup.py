"""Benchmark the duplicate finder: speed and accuracy against injected duplicates.

    .venv/bin/python bench/dedup.py --customers 100000
    .venv/bin/python bench/dedup.py --customers 1000000
    .venv/bin/python bench/dedup.py --data-dir /path/of/a/loaded/demo/archive

Builds a demo archive of N customers in a temporary data directory (``kehu demo``, SQLite),
re-enters a share of its customers (default 2.5%) with the perturbations people make when they
type a customer in again: a homophone surname (张/章, 王/汪…) or a typo in the name, the phone
missing, swapped or changed, another or no e-mail, the address written differently or left out,
no ID number (the archive would refuse the same one twice), an organization with or without
its 有限公司 suffix. The (original, copy) pairs are the truth. Then it runs the finder as the
product runs it (``find_duplicates``, same threshold, same model) and prints customers, pairs
compared, candidates, seconds per stage, precision, recall and F1; true pairs that blocking
never compared count as misses and are reported separately. Deletes the data directory after
(unless ``--keep`` or ``--data-dir``). Targets (issue 14, DESIGN.md): 1,000,000 customers in
under 150 s with F1 ≥ 0.97 at the default threshold, peak memory under 2 GB (this process's peak
RSS is printed).
"""

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from archive_pages import machine

ROOT = Path(__file__).resolve().parent.parent
KEHU = str(ROOT / ".venv" / "bin" / "kehu")

HOMOPHONES = {
    "张": "章", "章": "张", "王": "汪", "汪": "王", "李": "黎", "刘": "柳", "杨": "阳",
    "徐": "许", "许": "徐", "周": "舟", "吴": "武", "赵": "照", "陈": "辰", "林": "琳",
}  # fmt: skip
TYPO_CHARS = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红"
SUFFIXES = ("有限公司", "股份有限公司", "有限责任公司", "")


def build(data_dir: Path, customers: int) -> float:
    env = {**os.environ, "KEHU_DATA_DIR": str(data_dir)}
    env.pop("DATABASE_URL", None)
    started = time.perf_counter()
    for args in (
        ["migrate", "-v", "0"],
        # the finder reads customers, profiles, phones and e-mails only
        ["demo", "--customers", str(customers), "--order-lines", "0", "--service", "0"],
    ):
        subprocess.run([KEHU, *args], env=env, check=True)  # noqa: S603 (our own command)
    return time.perf_counter() - started


# --- re-entering customers ------------------------------------------------------------------------


def _typo(name: str, rng: random.Random) -> str:
    if len(name) < 2:
        return name
    at = rng.randrange(1, len(name))
    options = [c for c in TYPO_CHARS if c != name[at]]
    return name[:at] + rng.choice(options) + name[at + 1 :]


def _person_name(name: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35 and name[0] in HOMOPHONES:
        return HOMOPHONES[name[0]] + name[1:]
    if roll < 0.50:
        return _typo(name, rng)
    return name


def _org_name(name: str, rng: random.Random) -> str:
    from kehu.dedup.finder import company_core

    core = company_core(name)
    return core + rng.choice([s for s in SUFFIXES if not name.endswith(s) or not s])


def _address(address: str, province: str, rng: random.Random) -> str:
    roll = rng.random()
    if not address or roll < 0.5:
        return address
    if roll < 0.65 and address.startswith(province) and province != address[: len(province) + 1]:
        return address[len(province) :]  # province left out
    if roll < 0.8:
        return address.replace("号", "號") if "号" in address else address + "附近"
    if roll < 0.9:
        return address + rng.choice(("1单元", "门面", "（东门）"))
    return ""


def _mobile(rng: random.Random) -> str:
    return f"+86139{rng.randrange(10**8):08d}"


def _phones(phones: list[str], rng: random.Random) -> list[str]:
    roll = rng.random()
    if roll < 0.60 or not phones:
        return list(phones)
    if roll < 0.75:
        return [_mobile(rng), *phones]  # a new number given first, the old one kept
    if roll < 0.90:
        return []
    return [_mobile(rng)]


def _emails(emails: list[str], rng: random.Random) -> list[str]:
    roll = rng.random()
    if roll < 0.5 or not emails:
        return list(emails)
    if roll < 0.75:
        return []
    return [f"re{rng.randrange(10**6)}@example.net"]


def injected_before(share: float, seed: int, first_copy: int) -> list[tuple[int, int]]:
    """The truth of an earlier run on this archive (``--data-dir`` again): the same seed drew
    the same originals, and their copies got consecutive ids from ``first_copy``."""
    from kehu.customers.models import Customer

    rng = random.Random(seed)
    live = Customer.objects.filter(status__in=["active", "public_pool"])
    ids = [pk for pk in live.values_list("pk", flat=True) if pk < first_copy]
    chosen = sorted(rng.sample(ids, round(len(ids) * share)))
    return [(original, first_copy + n) for n, original in enumerate(chosen)]


def inject(share: float, seed: int) -> list[tuple[int, int]]:
    """Re-enter ``share`` of the live customers with perturbations; the (original, copy) ids."""
    from django.db import transaction

    from kehu.customers.models import Customer, Email, OrganizationProfile, PersonProfile, Phone

    rng = random.Random(seed)
    ids = list(
        Customer.objects.filter(status__in=["active", "public_pool"]).values_list("pk", flat=True)
    )
    chosen = sorted(rng.sample(ids, round(len(ids) * share)))
    truth: list[tuple[int, int]] = []
    for start in range(0, len(chosen), 5000):
        batch = list(
            Customer.objects.filter(pk__in=chosen[start : start + 5000])
            .select_related("person", "organization")
            .prefetch_related("phones", "emails")
        )
        copies, people, orgs, phones, emails = [], [], [], [], []
        for original in batch:
            person = original.kind == "person"
            name = _person_name(original.name, rng) if person else _org_name(original.name, rng)
            address = _address(original.address, original.province, rng)
            copies.append(
                Customer(
                    name=name,
                    kind=original.kind,
                    status="active",
                    owner_id=original.owner_id,
                    team_id=original.team_id,
                    address=address,
                    province=original.province if address else "",
                    city=original.city if address else "",
                    district=original.district if address else "",
                )
            )
        with transaction.atomic():
            Customer.objects.bulk_create(copies)
            for original, copy in zip(batch, copies, strict=True):
                truth.append((original.pk, copy.pk))
                if original.kind == "person":
                    profile = original.person
                    people.append(
                        PersonProfile(
                            customer=copy,
                            gender=profile.gender,
                            birth_date=profile.birth_date if rng.random() < 0.7 else None,
                            employer=profile.employer if rng.random() < 0.6 else "",
                        )
                    )
                else:
                    orgs.append(OrganizationProfile(customer=copy))
                own = [p.number for p in original.phones.all() if p.contact_id is None]
                phones += [Phone(customer=copy, number=n) for n in _phones(own, rng)]
                mails = [e.address for e in original.emails.all() if e.contact_id is None]
                emails += [Email(customer=copy, address=a) for a in _emails(mails, rng)]
            PersonProfile.objects.bulk_create(people)
            OrganizationProfile.objects.bulk_create(orgs)
            Phone.objects.bulk_create(phones)
            Email.objects.bulk_create(emails)
    return truth


# --- measuring ------------------------------------------------------------------------------------


def show(pairs: list[tuple[int, int]], title: str, scores: dict[tuple[int, int], float]) -> None:
    from kehu.customers.models import Customer
    from kehu.dedup.finder import records_table  # noqa: F401 (the same fields the finder reads)

    print(f"\n{title}")
    for a, b in pairs:
        rows = Customer.objects.filter(pk__in=[a, b]).select_related("person", "organization")
        described = []
        for c in rows.prefetch_related("phones", "emails"):
            birth = getattr(getattr(c, "person", None), "birth_date", "")
            phones = ",".join(p.number for p in c.phones.all() if p.contact_id is None)
            mails = ",".join(e.address for e in c.emails.all() if e.contact_id is None)
            described.append(f"{c.name}|{c.city}{c.district}|{c.address}|{phones}|{mails}|{birth}")
        print(f"  {scores.get((a, b), '-')}: " + "  <>  ".join(described))


CURVE = (-15.0, -12.0, -10.0, -8.0, -6.0, -4.0, 0.0, 4.0)  # match weights


def measure(
    threshold: float, truth: list[tuple[int, int]], misses: int = 0, train: bool = False
) -> dict[str, float]:
    from kehu.dedup.finder import find_duplicates

    started = time.perf_counter()
    result = find_duplicates(threshold=threshold, pairs_to_check=truth, train=train)
    total = time.perf_counter() - started
    found = {(p.a, p.b) for p in result.pairs}
    true = {tuple(sorted(pair)) for pair in truth}
    hits = len(found & true)
    precision = hits / len(found) if found else 0.0
    recall = hits / len(true) if true else 0.0
    print(f"{'threshold':>9} {'candidates':>10} {'precision':>9} {'recall':>7} {'F1':>7}")
    for cut in (c for c in CURVE if c >= threshold):
        kept = {(p.a, p.b) for p in result.pairs if p.weight >= cut}
        tp = len(kept & true)
        p_, r_ = (tp / len(kept) if kept else 0.0), tp / len(true)
        f_ = 2 * p_ * r_ / (p_ + r_) if p_ + r_ else 0.0
        print(f"{cut:>9} {len(kept):>10,} {p_:>9.4f} {r_:>7.4f} {f_:>7.4f}")
    if misses:
        scores = {(p.a, p.b): round(p.probability, 3) for p in result.pairs}
        show(sorted(true - found)[:misses], "missed true pairs", scores)
        show(sorted(found - true)[:misses], "false candidates", scores)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "customers": result.customers,
        "pairs compared": result.pairs_compared,
        "candidates": len(found),
        "true pairs (injected)": len(true),
        "true pairs lost by blocking": len(true) - result.checked_blocked,
        "true pairs found": hits,
        **{f"time: {stage} (s)": seconds for stage, seconds in result.timings.items()},
        "time: total (s)": total,
        # this process: Django, the Arrow table, DuckDB (splink runs in it)
        "peak memory (RSS, MB)": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        # the largest forked reader of the archive (finder.READ_APART_FROM), 0 if none
        "peak memory, reader (MB)": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
        "load average (1 min) after": os.getloadavg()[0],
        "precision": precision,
        "recall": recall,
        "F1": f1,
    }


def febrl_table() -> None:
    """FEBRL1 and FEBRL2 (``bench/febrl.py``), each in its own process and empty archive."""
    import json

    rows = {}
    for name in ("febrl1", "febrl2"):
        script = str(Path(__file__).resolve().parent / "febrl.py")
        done = subprocess.run(  # noqa: S603 (our own script)
            [sys.executable, script, name], check=True, capture_output=True, text=True
        )
        rows[name] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"\n{'measure':<22} {'FEBRL1':>10} {'FEBRL2':>10}")
    for measure_name in rows["febrl1"]:
        values = []
        for name in rows:
            value = rows[name][measure_name]
            if measure_name.startswith(("precision", "recall", "F1")):
                values.append(f"{value:.4f}")
            elif isinstance(value, float):
                values.append(f"{value:.1f}")
            else:
                values.append(f"{value:,}")
        print(f"{measure_name:<22} {values[0]:>10} {values[1]:>10}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--data-dir", help="a loaded demo archive to use (duplicates are added)")
    parser.add_argument("--share", type=float, default=0.025, help="share re-entered")
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--priors", action="store_true", help="fixed priors (no u estimated by random sampling)"
    )
    parser.add_argument("--show", type=int, default=0, help="print N misses and false hits")
    parser.add_argument(
        "--injected-from",
        type=int,
        default=0,
        help="with --data-dir: duplicates were injected already, copies from this id on",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument(
        "--build",
        choices=("demo", "slim"),
        default="demo",
        help="demo: kehu demo; slim: only the tables the finder reads (bench/dedup_archive.py)",
    )
    parser.add_argument("--workers", type=int, default=2, help="with --build slim: generators")
    parser.add_argument(
        "--febrl", action="store_true", help="FEBRL1 and FEBRL2 through the importer instead"
    )
    args = parser.parse_args()

    print(f"machine: {machine()}")
    if args.febrl:
        febrl_table()
        return
    own_dir = args.data_dir is None
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="kehu-dedup-", dir="/work"))
    try:
        if own_dir and args.build == "slim":
            from dedup_archive import build_slim

            seconds = build_slim(str(data_dir), args.customers, args.workers)
            print(f"slim demo archive of {args.customers:,} customers built in {seconds:.0f} s")
        elif own_dir:
            seconds = build(data_dir, args.customers)
            print(f"demo archive of {args.customers:,} customers built in {seconds:.0f} s")
        os.environ["KEHU_DATA_DIR"] = str(data_dir)
        os.environ.pop("DATABASE_URL", None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")
        sys.path.insert(0, str(ROOT))
        import django

        django.setup()
        from kehu.dedup.finder import DEFAULT_THRESHOLD

        started = time.perf_counter()
        if args.injected_from:
            truth = injected_before(args.share, args.seed, args.injected_from)
        else:
            truth = inject(args.share, args.seed)
        print(f"{len(truth):,} customers re-entered in {time.perf_counter() - started:.0f} s")
        threshold = args.threshold if args.threshold is not None else DEFAULT_THRESHOLD
        figures = measure(threshold, truth, args.show, not args.priors)
        print(f"\nthreshold {threshold}")
        print(f"{'measure':<30} {'value':>14}")
        for name, value in figures.items():
            if isinstance(value, float) and name.startswith(("precision", "recall", "F1")):
                text = f"{value:.4f}"
            elif isinstance(value, float):
                text = f"{value:.1f}"
            else:
                text = f"{value:,}"
            print(f"{name:<30} {text:>14}")
    finally:
        if own_dir and not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Benchmark the knowledge base: article search over N articles and routing of M questions.

    .venv/bin/python bench/knowledge.py --articles 100000 --questions 10000
    .venv/bin/python bench/knowledge.py --articles 100000 \\
        --database-url postgres://postgres@127.0.0.1:5432/kehu_knowledge_bench
    KEHU_DATA_DIR=/tmp/kb .venv/bin/python bench/knowledge.py --reuse   # time again, no build

Builds a fresh database (SQLite in a temporary data directory unless ``--database-url``),
generates articles from the demo knowledge's sentences, titles and the demo catalogue (so the
words are real Chinese with a real spread: a few very common, most rare), writes them and their
search terms in bulk, then times ``selectors.article_search`` in process for a seeded mix of
queries — a Chinese word, two words, full pinyin, initials, an English word — as a service
agent sees them (the same mix for a given seed, built or reused). The floor is one indexed
lookup of one term in the same run. Then routes M questions through ``questions.question_ask``
(topic match, round robin, notification) and prints questions per second. Target (issue 22):
search p95 under 50 ms at 100,000 articles.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--database-url", default="")
    parser.add_argument(
        "--reuse", action="store_true",
        help="time the articles an earlier run left in the database instead of building anew",
    )  # fmt: skip
    args = parser.parse_args()
    os.environ.setdefault("KEHU_DATA_DIR", tempfile.mkdtemp(prefix="kehu-kb-bench-"))
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    run(args, connection)


def run(args: argparse.Namespace, connection: object) -> None:
    from django.db import transaction

    from kehu.accounts.models import Role, User
    from kehu.core.pinyin import syllables
    from kehu.demo.knowledge import POLICY_ARTICLES, PRODUCT_ARTICLES, TREE
    from kehu.demo.sales import PRODUCTS
    from kehu.knowledge import selectors, terms
    from kehu.knowledge.models import Article, ArticleTerm, Category
    from kehu.sales.models import Product

    rng = random.Random(args.seed)
    reuse = args.reuse and User.objects.filter(username="bench-agent").exists()
    if reuse:
        agent = User.objects.get(username="bench-agent")
        boss = User.objects.get(username="bench-boss")
        products = list(Product.objects.filter(code__in=[p[0] for p in PRODUCTS]).order_by("id"))
        cats = list(Category.objects.filter(parent__isnull=False).order_by("id"))
    else:
        agent = User.objects.create(username="bench-agent", role=Role.SERVICE_AGENT)
        boss = User.objects.create(username="bench-boss", role=Role.ARCHIVE_ADMIN)
        products = [
            Product.objects.create(code=code, name=name, category=cat, unit=unit, list_price=price)
            for code, name, cat, unit, price, _partner in PRODUCTS
        ]
        cats = []
        for root, children in TREE.items():
            parent = Category.objects.create(name=root)
            cats += [Category.objects.create(name=c, parent=parent) for c in children]
    corpus = [body for *_x, body, _t, _p in PRODUCT_ARTICLES] + [
        body for _c, _t, body, _tags, _p in POLICY_ARTICLES
    ]
    sentences = [s for body in corpus for s in body.replace("\n", "。").split("。") if s.strip()]
    titles = [t for _c, _cat, t, *_r in PRODUCT_ARTICLES] + [t for _c, t, *_r in POLICY_ARTICLES]
    topics = ["常见问题", "安装说明", "保修政策", "退换货", "使用指南", "故障排查", "价格说明",
              "配送时效", "投诉处理", "发票开具", "保养方法", "储存方法", "活动规则"]  # fmt: skip
    tag_pool = ["售后", "安装", "保修", "退货", "发票", "物流", "投诉", "促销", "VIP", "质检"]

    if not reuse:
        print(f"Generating {args.articles:,} articles …", flush=True)
    started = time.monotonic()
    batch = 2_000
    made = Article.objects.count() if reuse else 0
    while made < args.articles:
        n = min(batch, args.articles - made)
        rows = []
        for _ in range(n):
            product = rng.choice(products)
            title = (
                f"{product.name}{rng.choice(topics)}"
                if rng.random() < 0.8
                else rng.choice(titles) + f"（{made}）"
            )
            body = "。".join(rng.sample(sentences, 4)) + "。"
            rows.append(
                Article(
                    title=title[:200],
                    body=body,
                    tags=rng.sample(tag_pool, 2),
                    category=rng.choice(cats),
                    audience="public" if rng.random() < 0.4 else "internal",
                    status="published" if rng.random() < 0.9 else "draft",
                    owner=boss,
                    helpful=rng.randint(0, 50),
                )
            )
        with transaction.atomic():
            created = Article.objects.bulk_create(rows)
            term_rows = []
            for a in created:
                item = terms.Indexable(a.pk, a.title, a.tags, a.body)
                term_rows += [
                    ArticleTerm(term=t, article_id=aid, field=f, usefulness=a.helpful)
                    for t, aid, f in terms.rows_for(item)
                ]
            ArticleTerm.objects.bulk_create(term_rows, batch_size=5_000)
        made += n
        if made % 20_000 == 0 or made == args.articles:
            print(f"  {made:>8,} articles  {time.monotonic() - started:6.1f} s", flush=True)
    build = time.monotonic() - started
    term_count = ArticleTerm.objects.count()
    rng = random.Random(args.seed + 1)  # the query mix does not depend on the build
    with connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute("ANALYZE")

    # Queries drawn from the data.
    words = [
        w for t in titles + [p.name for p in products] for w in terms.words(t, for_search=False)
    ]
    words = [w for w in words if len(w) >= 2]
    mix: list[tuple[str, str]] = []
    for _ in range(args.queries):
        kind = rng.choice(["word", "two words", "pinyin", "initials", "english"])
        word = rng.choice(words)
        if kind == "word":
            q = word
        elif kind == "two words":
            q = f"{word} {rng.choice(words)}"
        elif kind == "pinyin":
            q = "".join(syllables(word)) or word
        elif kind == "initials":
            q = "".join(s[0] for s in syllables(rng.choice(titles))) or word
        else:
            q = rng.choice(["VIP", "vip", "A4", "PVC", "warranty"])
        mix.append((kind, q))
    visible = selectors.articles_visible_to(agent)
    timings: dict[str, list[float]] = {}
    hits_total = 0
    for kind, q in mix:
        t0 = time.perf_counter()
        hits = selectors.article_search(articles=visible, filters=selectors.ArticleFilters(q=q))
        timings.setdefault(kind, []).append((time.perf_counter() - t0) * 1000)
        hits_total += len(hits)
    floor = []
    sample_terms = list(
        ArticleTerm.objects.values_list("term", flat=True)[:: max(1, term_count // 200)][:200]
    )
    for term in sample_terms:
        t0 = time.perf_counter()
        list(ArticleTerm.objects.filter(term=term).values_list("article_id")[:1])
        floor.append((time.perf_counter() - t0) * 1000)

    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))]

    print(f"\n{connection.vendor}: {args.articles:,} articles, {term_count:,} terms, "  # type: ignore[attr-defined]
          f"built in {build:.1f} s")  # fmt: skip
    print(f"{'query kind':<14}{'n':>6}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    everything = [v for vs in timings.values() for v in vs]
    for kind, values in [*sorted(timings.items()), ("all", everything), ("floor: 1 term", floor)]:
        print(f"{kind:<14}{len(values):>6}{statistics.median(values):>10.1f}"
              f"{pct(values, 0.95):>10.1f}{pct(values, 0.99):>10.1f}")  # fmt: skip
    print(f"average hits per query: {hits_total / len(mix):.1f}")

    if args.questions:
        route(args, rng, boss, agent, cats, products)


def route(args: argparse.Namespace, rng: random.Random, boss, agent, cats, products) -> None:
    from kehu.accounts.models import Role, User
    from kehu.knowledge import questions
    from kehu.knowledge.models import Question

    experts = []
    run = User.objects.filter(username__startswith="bench-expert").count() // 20
    for i in range(20):
        user = User.objects.create(username=f"bench-expert{run}-{i}", role=Role.SERVICE_AGENT)
        experts.append(user)
        questions.expert_set(
            user=boss, expert_user=user, categories=rng.sample(cats, 2),
            products=rng.sample(products, 3),
        )  # fmt: skip
    t0 = time.perf_counter()
    for i in range(args.questions):
        questions.question_ask(
            user=agent, text=f"问题 {i}", product=rng.choice(products), category=rng.choice(cats),
            urgency=rng.choice(["low", "normal", "high", "urgent"]),
        )  # fmt: skip
    elapsed = time.perf_counter() - t0
    routed = Question.objects.filter(expert__isnull=False).count()
    print(f"\nrouting: {args.questions:,} questions in {elapsed:.1f} s "
          f"({args.questions / elapsed:,.0f}/s, {elapsed / args.questions * 1000:.2f} ms each); "
          f"{routed:,} routed")  # fmt: skip


if __name__ == "__main__":
    main()

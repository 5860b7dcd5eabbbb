"""Propensity models (购买倾向): who will buy a product category in the next N days.

Features are the profile (kind, grade, gender, age, education, region, source channel; income,
family status and children only when an admin enabled sensitive fields for the model) and the
purchase history before a cut-off (orders, revenue, days since the last order, whether the
category was bought before, how many categories). Validation is time-based: the model learns
from the window that ended N days ago and is scored on the last N days, which it never saw; the
scores stored for every customer come from a model refit on the latest window.

Everything is vectorised with NumPy; scikit-learn fits the models.
"""

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from threadpoolctl import threadpool_limits

from kehu.customers.models import Customer

TOP_VALUES = 8


@dataclass
class Feature:
    key: str
    zh: str
    en: str
    binary: bool
    sensitive: bool = False


@dataclass
class Dataset:
    customer_ids: np.ndarray
    profile: np.ndarray  # customers × profile features
    features: list[Feature]
    order_customer: np.ndarray  # index into customer_ids
    order_day: np.ndarray  # days since epoch
    order_amount: np.ndarray
    order_in_category: np.ndarray  # bool
    order_category: np.ndarray  # category index
    extra: dict[str, Any] = field(default_factory=dict)


def _both(text_fn: Any) -> tuple[str, str]:
    with translation.override("zh-hans"):
        zh = str(text_fn())
    with translation.override("en"):
        en = str(text_fn())
    return zh, en


def _choice_names(choices: Any) -> Any:
    """A value's label in Chinese and English, from model choices (codes never shown)."""
    labels = dict(choices)
    return lambda value: _both(lambda: labels.get(value, value))


def _one_hot(
    values: list[str], key: str, label: Any, *, sensitive: bool = False, names: Any = None
) -> tuple[np.ndarray, list[Feature]]:
    counts = Counter(v for v in values if v)
    top = [v for v, _n in counts.most_common(TOP_VALUES)]
    columns = np.zeros((len(values), len(top)), dtype=np.float32)
    index = {v: i for i, v in enumerate(top)}
    for row, value in enumerate(values):
        if value in index:
            columns[row, index[value]] = 1.0
    features = []
    zh, en = _both(label)
    for value in top:
        value_zh, value_en = names(value) if names else (value, value)
        features.append(
            Feature(f"{key}={value}", f"{zh}：{value_zh}", f"{en}: {value_en}", True, sensitive)
        )
    return columns, features


def load_dataset(*, category: str, use_sensitive: bool) -> Dataset:
    """The live customers' profiles and every non-cancelled order line, as arrays."""
    from kehu.customers.models import Channel, PersonProfile
    from kehu.sales.models import Order, OrderLine

    rows = list(
        Customer.objects.live()
        .order_by("id")
        .values_list(
            "id",
            "kind",
            "grade",
            "province",
            "source_channel__code",
            "person__gender",
            "person__birth_date",
            "person__highest_degree",
        )
    )
    ids = np.array([r[0] for r in rows], dtype=np.int64)
    today = timezone.localdate()
    ages = np.array(
        [(today - r[6]).days / 365.25 if r[6] else np.nan for r in rows], dtype=np.float32
    )
    known_age = ~np.isnan(ages)
    median_age = float(np.nanmedian(ages)) if known_age.any() else 40.0
    blocks = [
        np.where(known_age, ages, median_age)[:, None],
        (~known_age).astype(np.float32)[:, None],
        np.array([r[1] == Customer.Kind.ORGANIZATION for r in rows], dtype=np.float32)[:, None],
    ]
    features = [
        Feature("age", *_both(lambda: _("age (years)")), binary=False),
        Feature("age_unknown", *_both(lambda: _("age unknown")), binary=True),
        Feature("organization", *_both(lambda: _("is an organization")), binary=True),
    ]
    channels = {c.code: (c.name, c.name_en) for c in Channel.objects.all()}
    for position, key, label, names in (
        (2, "grade", lambda: _("grade"), _choice_names(Customer.Grade.choices)),
        (3, "province", lambda: _("province"), None),
        (4, "channel", lambda: _("source channel"), lambda v: channels.get(v, (v, v))),
        (5, "gender", lambda: _("gender"), _choice_names(PersonProfile.Gender.choices)),
        (7, "education", lambda: _("highest degree"), None),
    ):
        columns, named = _one_hot([str(r[position] or "") for r in rows], key, label, names=names)
        blocks.append(columns)
        features += named
    if use_sensitive:
        # Encrypted fields: read through the model so they are decrypted, one row each.
        profiles = {
            p.customer_id: p
            for p in PersonProfile.objects.filter(customer_id__in=ids.tolist()).only(
                "customer_id", "children", "marital_status", "income_band"
            )
        }
        for attr, label in (
            ("children", lambda: _("children")),
            ("marital_status", lambda: _("marital status")),
            ("income_band", lambda: _("income band")),
        ):
            values = [
                str(getattr(profiles.get(int(i)), attr, "") or "") if int(i) in profiles else ""
                for i in ids
            ]
            columns, named = _one_hot(values, attr, label, sensitive=True)
            blocks.append(columns)
            features += named
    profile = np.hstack(blocks) if blocks else np.zeros((len(ids), 0), dtype=np.float32)
    lines = list(
        OrderLine.objects.exclude(order__status=Order.Status.CANCELLED)
        .filter(order__customer__status__in=Customer.LIVE_STATUSES)
        .values_list("order__customer_id", "order__ordered_on", "amount", "product__category")
    )
    index_of = {int(c): i for i, c in enumerate(ids)}
    categories = sorted({str(line[3] or "") for line in lines})
    cat_index = {c: i for i, c in enumerate(categories)}
    epoch = date(1970, 1, 1)
    keep = [line for line in lines if int(line[0]) in index_of]
    return Dataset(
        customer_ids=ids,
        profile=profile,
        features=features,
        order_customer=np.array([index_of[int(x[0])] for x in keep], dtype=np.int64),
        order_day=np.array([(x[1] - epoch).days for x in keep], dtype=np.int64),
        order_amount=np.array([float(x[2]) for x in keep], dtype=np.float64),
        order_in_category=np.array([str(x[3] or "") == category for x in keep], dtype=bool),
        order_category=np.array([cat_index[str(x[3] or "")] for x in keep], dtype=np.int64),
        extra={"categories": categories},
    )


HISTORY_FEATURES = (
    ("orders", lambda: _("orders so far"), False),
    ("revenue", lambda: _("revenue so far"), False),
    ("recency", lambda: _("days since the last order"), False),
    ("bought_before", lambda: _("bought this category before"), True),
    ("categories", lambda: _("categories bought"), False),
)


def matrix(data: Dataset, cutoff: int, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Features from everything before ``cutoff`` (a day number) and the label: bought the
    category in [cutoff, cutoff + horizon)."""
    n = len(data.customer_ids)
    before = data.order_day < cutoff
    who = data.order_customer[before]
    orders = np.bincount(who, minlength=n).astype(np.float32)
    revenue = np.bincount(who, weights=data.order_amount[before], minlength=n)
    last = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last, who, data.order_day[before])
    recency = np.where(last >= 0, cutoff - last, 3650).astype(np.float32)
    bought = np.zeros(n, dtype=np.float32)
    bought[data.order_customer[before & data.order_in_category]] = 1.0
    pairs = np.unique(np.stack([who, data.order_category[before]]), axis=1)
    categories = (
        np.bincount(pairs[0], minlength=n).astype(np.float32) if pairs.size else np.zeros(n)
    )
    history = np.stack([orders, np.log1p(revenue), recency, bought, categories], axis=1)
    window = (data.order_day >= cutoff) & (data.order_day < cutoff + horizon)
    label = np.zeros(n, dtype=np.int8)
    label[data.order_customer[window & data.order_in_category]] = 1
    return np.hstack([data.profile, history]).astype(np.float32), label


def all_features(data: Dataset) -> list[Feature]:
    history = [
        Feature(key, *_both(label), binary=binary) for key, label, binary in HISTORY_FEATURES
    ]
    return data.features + history


# scikit-learn is imported where it is used: at module level it added ~3 s to every start of
# Kehu (web workers, the task worker, each command), which all import this module.


def make_model(algorithm: str) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    if algorithm == "boosting":
        return HistGradientBoostingClassifier(max_iter=150, learning_rate=0.08, random_state=0)
    return make_pipeline(StandardScaler(), LogisticRegression(C=0.5, max_iter=500))


def evaluate(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    """AUC, lift of the top decile and a 10-bin calibration table."""
    from sklearn.metrics import roc_auc_score

    result: dict[str, Any] = {"positives": int(y.sum()), "customers": int(len(y))}
    if len(set(y.tolist())) < 2:
        result.update(auc=None, lift_top_decile=None, calibration=[])
        return result
    result["auc"] = round(float(roc_auc_score(y, p)), 4)
    order = np.argsort(-p, kind="stable")
    top = order[: max(1, len(y) // 10)]
    base = y.mean()
    result["lift_top_decile"] = round(float(y[top].mean() / base), 2) if base else None
    bins = np.array_split(np.argsort(p, kind="stable"), 10)
    result["calibration"] = [
        [round(float(p[b].mean()), 4), round(float(y[b].mean()), 4)] for b in bins if len(b)
    ]
    return result


def influences(
    model: Any, algorithm: str, X: np.ndarray, features: list[Feature]
) -> list[dict[str, Any]]:
    """The most influential features, strongest first: an odds ratio for logistic regression
    (per presence for a yes/no feature, per standard deviation otherwise), the permutation-free
    split importance for boosting."""
    out = []
    if len(X) > 5000:  # the influences are averages: a sample reads them as well
        X = X[np.random.default_rng(0).choice(len(X), 5000, replace=False)]
    if algorithm == "boosting":
        # HistGradientBoosting has no built-in importances: a quick proxy is the change in the
        # mean prediction when a feature is shifted by one standard deviation (or switched on).
        base = model.predict_proba(X)[:, 1].mean()
        for j, feature in enumerate(features):
            shifted = X.copy()
            if feature.binary:
                shifted[:, j] = 1.0
                other = X.copy()
                other[:, j] = 0.0
                on, off = (
                    model.predict_proba(shifted)[:, 1].mean(),
                    model.predict_proba(other)[:, 1].mean(),
                )
                ratio = (on + 1e-6) / (off + 1e-6)
            else:
                shifted[:, j] += X[:, j].std() or 1.0
                ratio = (model.predict_proba(shifted)[:, 1].mean() + 1e-6) / (base + 1e-6)
            out.append((abs(np.log(ratio)), feature, float(ratio)))
    else:
        scaler, logistic = model.steps[0][1], model.steps[-1][1]
        for j, feature in enumerate(features):
            coef = float(logistic.coef_[0][j])
            scale = float(scaler.scale_[j]) or 1.0
            effect = coef / scale if feature.binary else coef
            out.append((abs(effect), feature, float(np.exp(effect))))
    out.sort(key=lambda item: -item[0])
    return [
        {"zh": f.zh, "en": f.en, "ratio": round(r, 2), "sensitive": f.sensitive, "key": f.key}
        for _w, f, r in out[:8]
    ]


@dataclass
class Trained:
    evaluation: dict[str, Any]
    customer_ids: np.ndarray
    probabilities: np.ndarray


def train_and_score(
    data: Dataset, *, horizon: int, algorithm: str, as_of: date | None = None
) -> Trained:
    """Train on the window before the last one, evaluate on the last one (time-based holdout),
    refit on the last one and score every customer as of ``as_of``.

    OpenMP threads are capped (``KEHU_MODEL_THREADS``, default 1): on a shared machine a
    spinning thread pool makes a seconds-long fit take minutes."""
    with threadpool_limits(limits=int(os.environ.get("KEHU_MODEL_THREADS", "1"))):
        return _train_and_score(data, horizon=horizon, algorithm=algorithm, as_of=as_of)


def _train_and_score(data: Dataset, *, horizon: int, algorithm: str, as_of: date | None) -> Trained:
    epoch = date(1970, 1, 1)
    today = ((as_of or timezone.localdate()) - epoch).days
    features = all_features(data)
    X_train, y_train = matrix(data, today - 2 * horizon, horizon)
    X_test, y_test = matrix(data, today - horizon, horizon)
    evaluation: dict[str, Any] = {"horizon_days": horizon, "algorithm": algorithm}
    if len(set(y_train.tolist())) < 2:
        raise ValueError(_("Too few buyers of this category to learn from."))
    model = make_model(algorithm).fit(X_train, y_train)
    evaluation["holdout"] = evaluate(y_test, model.predict_proba(X_test)[:, 1])
    evaluation["train_positives"] = int(y_train.sum())
    final = make_model(algorithm).fit(X_test, y_test) if len(set(y_test.tolist())) == 2 else model
    X_now, _label = matrix(data, today, horizon)
    evaluation["influences"] = influences(final, algorithm, X_now, features)
    return Trained(evaluation, data.customer_ids, final.predict_proba(X_now)[:, 1])


def percentiles(p: np.ndarray) -> np.ndarray:
    """0–100: the share of customers scored below each one."""
    if len(p) == 0:
        return np.zeros(0, dtype=np.int64)
    ranks = np.argsort(np.argsort(p, kind="stable"), kind="stable")
    return np.floor(100.0 * ranks / max(1, len(p) - 1)).astype(np.int64)

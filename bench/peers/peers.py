"""Peer models for `npm run bench -- models`, on the exact table and folds Breadcrumb's models use.

usage: peers.py DIR   (DIR holds table.csv and manifest.json written by src/ml/datasets/exportCsv.ts)

For each fold k the test rows are fold k, the validation rows fold k+1 (early stopping only) and
the training rows the rest, as in bench/models.ts. Every customer gets an out-of-fold prediction;
they are written to DIR/predictions.csv and the metrics are computed by the bench in TypeScript,
so ours and the peers are scored by the same code. A JSON line with versions and timings goes
to stdout.
"""

import contextlib
import json
import sys
import time
import warnings

import lightgbm as lgb
import numpy as np
import pandas as pd
import sklearn
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import ConvergenceError
from sklearn.linear_model import LogisticRegression, PoissonRegressor, TweedieRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import lifetimes

warnings.filterwarnings("ignore")
# 2 cores shared with everything else on the machine: one thread keeps timings comparable.
LGB = dict(n_estimators=2000, learning_rate=0.03, num_leaves=15, min_child_samples=20, subsample=0.8, subsample_freq=1, colsample_bytree=0.8, n_jobs=1, verbose=-1, random_state=1)
STOP = [lgb.early_stopping(50, verbose=False)]


# The table's BG/NBD times are in days; lifetimes' optimiser starts from parameters near 1 and often
# stops short on day-scale ages, so it fits in weeks (BG/NBD is the same model in any time unit).
WEEK = 7.0


def fit_btyd(train):
    """BG/NBD + Gamma-Gamma by lifetimes: the plain MLE first; a looser gradient tolerance, then a
    tiny penalizer, only when its optimiser stops short (it does when the MLE of a is near 0, as on
    Online Retail, reporting "precision loss" with a gradient of ~1e-7)."""
    attempts = [(0.0, 1e-7), (0.0, 1e-5), (0.001, 1e-5), (0.01, 1e-5)]
    # Gamma-Gamma models positive spend: repeat buyers whose repeat days are all $0 (CDNOW has some) carry none.
    repeat = train[(train.btyd_bgnbdX > 0) & (train.btyd_bgnbdMonetary > 0)]
    # lifetimes prints the optimiser's report on failure: keep stdout for the summary line.
    with contextlib.redirect_stdout(sys.stderr):
        bg = first_fit(lambda p, tol: BetaGeoFitter(penalizer_coef=p).fit(train.btyd_bgnbdX, train.btyd_bgnbdTx / WEEK, train.btyd_bgnbdT / WEEK, tol=tol), attempts, "BG/NBD")
        gg = first_fit(lambda p, tol: GammaGammaFitter(penalizer_coef=p).fit(repeat.btyd_bgnbdX, repeat.btyd_bgnbdMonetary, tol=tol), attempts, "Gamma-Gamma")
    return bg, gg


def first_fit(fit, attempts, name):
    for penalizer, tol in attempts:
        try:
            return fit(penalizer, tol)
        except ConvergenceError:
            continue
    raise RuntimeError(f"lifetimes {name} did not converge")


def btyd_predict(bg, gg, rows, horizon_days):
    x, tx, T, m = rows.btyd_bgnbdX, rows.btyd_bgnbdTx / WEEK, rows.btyd_bgnbdT / WEEK, rows.btyd_bgnbdMonetary
    horizon = horizon_days / WEEK
    purchases = np.asarray(bg.conditional_expected_number_of_purchases_up_to_time(horizon, x, tx, T), dtype=float)
    alive = np.asarray(bg.conditional_probability_alive(x, tx, T), dtype=float)
    r, alpha = bg.params_["r"], bg.params_["alpha"]
    # P(no purchase in the horizon) = 1 − P(alive) · P(at least one Poisson purchase | alive, λ's posterior).
    buys_if_alive = 1 - ((alpha + T) / (alpha + T + horizon)) ** (r + x)
    churn = 1 - alive * np.asarray(buys_if_alive, dtype=float)
    spend = np.asarray(gg.conditional_expected_average_profit(x, m), dtype=float)
    return churn, purchases, purchases * spend


def best_window_hour(probs, radius=1):
    """The hour whose ±radius window holds the most probability (as Breadcrumb's send-time model picks)."""
    window = sum(np.roll(probs, -s, axis=1) for s in range(-radius, radius + 1))
    return window.argmax(axis=1)


def hour_probs(classes, probs):
    full = np.zeros((probs.shape[0], 24))
    full[:, classes.astype(int)] = probs
    return full


def main(directory):
    manifest = json.load(open(f"{directory}/manifest.json"))
    table = pd.read_csv(f"{directory}/table.csv", dtype={"customer_id": str})
    features = manifest["features"]
    horizon = manifest["horizonDays"]
    n = len(table)
    out = {name: np.full(n, np.nan) for name in ("lifetimes_churn", "lifetimes_purchases", "lifetimes_revenue", "sklearn_churn", "sklearn_purchases", "sklearn_revenue", "lightgbm_churn", "lightgbm_purchases", "lightgbm_revenue")}
    if manifest["sendTime"]:
        out["sklearn_sendtime"] = np.full(n, -1)
        out["lightgbm_sendtime"] = np.full(n, -1)
    seconds = {"lifetimes": 0.0, "sklearn": 0.0, "lightgbm": 0.0}
    folds = manifest["folds"]
    for k in range(folds):
        test = (table.fold == k).to_numpy()
        val = (table.fold == (k + 1) % folds).to_numpy()
        train = ~test & ~val
        fit_rows = ~test  # models without early stopping learn from train and validation rows
        X = table[features].to_numpy(dtype=float)
        churn = table.churn.to_numpy()
        purchases = table.holdout_purchases.to_numpy()
        revenue = table.holdout_revenue.to_numpy()

        started = time.perf_counter()
        bg, gg = fit_btyd(table[fit_rows])
        c, p, v = btyd_predict(bg, gg, table[test], horizon)
        out["lifetimes_churn"][test], out["lifetimes_purchases"][test], out["lifetimes_revenue"][test] = c, p, v
        seconds["lifetimes"] += time.perf_counter() - started

        started = time.perf_counter()
        logistic = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)).fit(X[fit_rows], churn[fit_rows])
        out["sklearn_churn"][test] = logistic.predict_proba(X[test])[:, 1]
        poisson = make_pipeline(StandardScaler(), PoissonRegressor(alpha=1e-3, solver="newton-cholesky", max_iter=300)).fit(X[fit_rows], purchases[fit_rows])
        out["sklearn_purchases"][test] = poisson.predict(X[test])
        tweedie = make_pipeline(StandardScaler(), TweedieRegressor(power=1.5, alpha=1e-3, link="log", solver="newton-cholesky", max_iter=300)).fit(X[fit_rows], revenue[fit_rows])
        out["sklearn_revenue"][test] = tweedie.predict(X[test])
        seconds["sklearn"] += time.perf_counter() - started

        started = time.perf_counter()
        classifier = lgb.LGBMClassifier(**LGB).fit(X[train], churn[train], eval_set=[(X[val], churn[val])], callbacks=STOP)
        out["lightgbm_churn"][test] = classifier.predict_proba(X[test])[:, 1]
        counts = lgb.LGBMRegressor(objective="poisson", **LGB).fit(X[train], purchases[train], eval_set=[(X[val], purchases[val])], callbacks=STOP)
        out["lightgbm_purchases"][test] = counts.predict(X[test])
        value = lgb.LGBMRegressor(objective="tweedie", tweedie_variance_power=1.5, **LGB).fit(X[train], revenue[train], eval_set=[(X[val], revenue[val])], callbacks=STOP)
        out["lightgbm_revenue"][test] = value.predict(X[test])
        seconds["lightgbm"] += time.perf_counter() - started

        if manifest["sendTime"]:
            hour = table.next_open_hour.to_numpy()
            opened = hour >= 0
            fit_o, train_o, val_o, test_o = fit_rows & opened, train & opened, val & opened, test & opened
            started = time.perf_counter()
            multinomial = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000, C=0.1)).fit(X[fit_o], hour[fit_o])
            out["sklearn_sendtime"][test_o] = best_window_hour(hour_probs(multinomial.classes_, multinomial.predict_proba(X[test_o])))
            seconds["sklearn"] += time.perf_counter() - started
            started = time.perf_counter()
            # Classes must be the same in training and validation for LightGBM's multi-class loss.
            seen = np.isin(hour, np.unique(hour[train_o]))
            multiclass = lgb.LGBMClassifier(objective="multiclass", **LGB).fit(X[train_o], hour[train_o], eval_set=[(X[val_o & seen], hour[val_o & seen])], callbacks=STOP)
            out["lightgbm_sendtime"][test_o] = best_window_hour(hour_probs(multiclass.classes_, multiclass.predict_proba(X[test_o])))
            seconds["lightgbm"] += time.perf_counter() - started

    pd.DataFrame({"customer_id": table.customer_id, **out}).to_csv(f"{directory}/predictions.csv", index=False)
    versions = {"python": sys.version.split()[0], "lifetimes": lifetimes.__version__, "scikit-learn": sklearn.__version__, "lightgbm": lgb.__version__, "pandas": pd.__version__}
    print(json.dumps({"versions": versions, "seconds": {k: round(v, 2) for k, v in seconds.items()}}))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: peers.py DIR (with table.csv and manifest.json)")
    main(sys.argv[1])

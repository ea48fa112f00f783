"""Regenerates the native tree-model fixtures: small LightGBM / XGBoost models and, for each, a
scoring frame with the library's own predictions.

    /work/main/.venv/bin/python Tests/IngotServingTests/Fixtures/generate.py

Each `<name>.cases.json` holds {"model": file(s), space-separated, "columns": [...], "data": [[...]], "expected": [...]}:
`data` rows use null for a missing value and strings for category values; `expected` is exactly what
`Booster.predict` returns (a list, or a list of lists for class probabilities).
"""

import json
import math
import os

import lightgbm as lgb
import numpy as np
import pandas as pd
import xgboost as xgb

HERE = os.path.dirname(os.path.abspath(__file__))
COLORS = ["blue", "green", "red"]


def frame(seed, n, with_color=False, zeros=False):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({f"f{i}": np.round(rng.normal(size=n), 4) for i in range(4)})
    for c in ["f0", "f2"]:
        df.loc[rng.random(n) < 0.12, c] = np.nan
    if zeros:
        df.loc[rng.random(n) < 0.25, "f1"] = 0.0
        df.loc[rng.random(n) < 0.05, "f1"] = 1e-40
    if with_color:
        df["color"] = pd.Categorical(rng.choice(COLORS, n), categories=COLORS)
    return df


def target(df, rng):
    y = df.f0.fillna(0.3) * 1.5 - df.f1 + np.sin(df.f2.fillna(-1)) + rng.normal(size=len(df)) * 0.3
    if "color" in df:
        y = y + (df.color == "red") * 1.2 - (df.color == "green") * 0.7
    return y


def cell(v):
    if isinstance(v, str):
        return v
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return float(v)


def test_rows(df, seed, thresholds=None, color_extra=True):
    """Test rows: fresh draws, a few values set exactly on split thresholds, unknown/missing categories."""
    rng = np.random.default_rng(seed)
    rows = []
    for _, r in df.iterrows():
        rows.append([cell(r[c]) if c != "color" else (None if pd.isna(r[c]) else str(r[c])) for c in df.columns])
    if thresholds:
        cols = list(df.columns)
        for i, (feature, value) in enumerate(thresholds[:40]):
            rows[i][cols.index(feature)] = float(value)
    if "color" in df.columns and color_extra:
        k = list(df.columns).index("color")
        for i in range(0, len(rows), 17):
            rows[i][k] = "purple"
        for i in range(5, len(rows), 23):
            rows[i][k] = None
    return rows


def to_frame(columns, rows, categories=None):
    df = pd.DataFrame(rows, columns=columns)
    for c in columns:
        if c == "color":
            cats = categories or COLORS
            df[c] = pd.Categorical(df[c].where(df[c].isin(cats)), categories=cats)  # unknown → NaN, as set_categories
        else:
            df[c] = df[c].astype("float64")
    return df


def dump(name, model_file, columns, rows, expected):
    expected = np.asarray(expected, dtype=np.float64)
    with open(os.path.join(HERE, f"{name}.cases.json"), "w") as f:
        json.dump({"model": model_file, "columns": columns, "data": rows, "expected": expected.tolist()}, f,
                  separators=(",", ":"))


def lgb_thresholds(booster):
    t = booster.trees_to_dataframe()
    t = t[t.decision_type == "<="]
    return [(f, float(v)) for f, v in zip(t.split_feature, t.threshold)][::3]


def lightgbm_fixtures():
    base = {"verbose": -1, "num_leaves": 8, "min_data_in_leaf": 5, "learning_rate": 0.2, "seed": 1,
            "deterministic": True, "num_threads": 1}
    rng = np.random.default_rng(7)

    # Binary with NaNs and a pandas categorical column.
    X = frame(1, 600, with_color=True)
    y = (target(X, rng) > 0.4).astype(int)
    b = lgb.train({**base, "objective": "binary"}, lgb.Dataset(X, y), 15)
    b.save_model(os.path.join(HERE, "lgb_binary.txt"))
    T = frame(2, 180, with_color=True)
    rows = test_rows(T, 3, lgb_thresholds(b))
    b2 = lgb.Booster(model_file=os.path.join(HERE, "lgb_binary.txt"))
    dump("lgb_binary", "lgb_binary.txt", list(T.columns), rows, b2.predict(to_frame(list(T.columns), rows)))

    # Multiclass (softmax), NaNs.
    X = frame(4, 600)
    y = np.digitize(target(X, rng), [-0.5, 0.8])
    b = lgb.train({**base, "objective": "multiclass", "num_class": 3}, lgb.Dataset(X, y), 5)
    b.save_model(os.path.join(HERE, "lgb_multiclass.txt"))
    T = frame(5, 150)
    rows = test_rows(T, 6, lgb_thresholds(b))
    b2 = lgb.Booster(model_file=os.path.join(HERE, "lgb_multiclass.txt"))
    dump("lgb_multiclass", "lgb_multiclass.txt", list(T.columns), rows, b2.predict(to_frame(list(T.columns), rows)))

    # Regression, NaNs.
    X = frame(8, 600)
    y = target(X, rng)
    b = lgb.train({**base, "objective": "regression"}, lgb.Dataset(X, y), 12)
    b.save_model(os.path.join(HERE, "lgb_regression.txt"))
    T = frame(9, 180)
    rows = test_rows(T, 10, lgb_thresholds(b))
    b2 = lgb.Booster(model_file=os.path.join(HERE, "lgb_regression.txt"))
    dump("lgb_regression", "lgb_regression.txt", list(T.columns), rows, b2.predict(to_frame(list(T.columns), rows)))

    # Missing type zero (zero_as_missing), Poisson link, zeros and denormal-small values in the input.
    X = frame(11, 600, zeros=True)
    y = np.exp(target(X, rng) / 3).round()
    b = lgb.train({**base, "objective": "poisson", "zero_as_missing": True}, lgb.Dataset(X, y), 12)
    b.save_model(os.path.join(HERE, "lgb_zero_poisson.txt"))
    T = frame(12, 180, zeros=True)
    rows = test_rows(T, 13, lgb_thresholds(b))
    b2 = lgb.Booster(model_file=os.path.join(HERE, "lgb_zero_poisson.txt"))
    dump("lgb_zero_poisson", "lgb_zero_poisson.txt", list(T.columns), rows,
         b2.predict(to_frame(list(T.columns), rows)))

    # Linear trees with multiclassova.
    X = frame(14, 600).fillna(0.0)
    y = np.digitize(target(X, rng), [-0.5, 0.8])
    b = lgb.train({**base, "objective": "multiclassova", "num_class": 3, "linear_tree": True}, lgb.Dataset(X, y), 3)
    b.save_model(os.path.join(HERE, "lgb_linear_ova.txt"))
    T = frame(15, 100)
    rows = test_rows(T, 16)
    b2 = lgb.Booster(model_file=os.path.join(HERE, "lgb_linear_ova.txt"))
    dump("lgb_linear_ova", "lgb_linear_ova.txt", list(T.columns), rows, b2.predict(to_frame(list(T.columns), rows)))


def xgb_thresholds(booster):
    t = booster.trees_to_dataframe()
    t = t[(t.Feature != "Leaf") & t.Split.notna()]
    out = []
    for f, v in zip(t.Feature, t.Split):
        try:
            out.append((f, float(np.float32(v))))
        except (TypeError, ValueError):
            pass
    return out[::3]


def xgboost_fixtures():
    base = {"max_depth": 3, "eta": 0.3, "seed": 1, "nthread": 1, "tree_method": "hist"}
    rng = np.random.default_rng(17)

    def save(b, name):
        b.save_model(os.path.join(HERE, f"{name}.json"))
        b.save_model(os.path.join(HERE, f"{name}.ubj"))

    def cases(name, b, T, rows, categorical=False):
        """One cases file for both encodings; they must predict the same."""
        preds = []
        for ext in ["json", "ubj"]:
            b2 = xgb.Booster(model_file=os.path.join(HERE, f"{name}.{ext}"))
            preds.append(b2.predict(xgb.DMatrix(to_frame(list(T.columns), rows), enable_categorical=categorical)))
        assert np.array_equal(preds[0], preds[1])
        dump(name, f"{name}.json {name}.ubj", list(T.columns), rows, preds[0])

    X = frame(21, 600)
    y = (target(X, rng) > 0.4).astype(int)
    b = xgb.train({**base, "objective": "binary:logistic"}, xgb.DMatrix(X, y), 10)
    save(b, "xgb_binary")
    T = frame(22, 180)
    cases("xgb_binary", b, T, test_rows(T, 23, xgb_thresholds(b)))

    X = frame(24, 600)
    y = np.digitize(target(X, rng), [-0.5, 0.8])
    b = xgb.train({**base, "objective": "multi:softprob", "num_class": 3}, xgb.DMatrix(X, y), 4)
    save(b, "xgb_multi")
    T = frame(25, 150)
    cases("xgb_multi", b, T, test_rows(T, 26, xgb_thresholds(b)))

    X = frame(27, 600)
    y = target(X, rng)
    b = xgb.train({**base, "objective": "reg:squarederror"}, xgb.DMatrix(X, y), 10)
    save(b, "xgb_reg")
    T = frame(28, 180)
    cases("xgb_reg", b, T, test_rows(T, 29, xgb_thresholds(b)))

    # A pandas categorical feature (partition-based splits: max_cat_to_onehot=1).
    X = frame(30, 600, with_color=True)
    y = target(X, rng)
    b = xgb.train({**base, "objective": "reg:squarederror", "max_cat_to_onehot": 1},
                  xgb.DMatrix(X, y, enable_categorical=True), 10)
    save(b, "xgb_cat")
    T = frame(31, 180, with_color=True)
    cases("xgb_cat", b, T, test_rows(T, 32, xgb_thresholds(b), color_extra=False), categorical=True)

    # DART: tree weights from weight_drop (UBJSON only, to keep the fixtures small).
    X = frame(33, 400)
    y = (target(X, rng) > 0.4).astype(int)
    b = xgb.train({**base, "max_depth": 2, "booster": "dart", "rate_drop": 0.3, "objective": "binary:logistic"},
                  xgb.DMatrix(X, y), 6)
    b.save_model(os.path.join(HERE, "xgb_dart.ubj"))
    T = frame(34, 40)
    rows = test_rows(T, 35)
    b2 = xgb.Booster(model_file=os.path.join(HERE, "xgb_dart.ubj"))
    dump("xgb_dart", "xgb_dart.ubj", list(T.columns), rows, b2.predict(xgb.DMatrix(to_frame(list(T.columns), rows))))


if __name__ == "__main__":
    lightgbm_fixtures()
    xgboost_fixtures()
    total = sum(os.path.getsize(os.path.join(HERE, f)) for f in os.listdir(HERE))
    print(f"fixtures: {total / 1024:.0f} KiB")

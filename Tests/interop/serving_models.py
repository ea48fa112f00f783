"""Tree models for serving interop tests: train small LightGBM / XGBoost models of the kinds the
native evaluators handle, and log them with the real mlflow client.

Each `train_*` function returns `(model, test_frame)`: the trained model and a pandas DataFrame with
missing values (and, where relevant, string categories) to score; `expected(model, frame)` gives what
MLflow's pyfunc would answer. `log(model, name)` logs with the matching flavor and returns the model URI.
"""

import numpy as np
import pandas as pd

COLORS = ["blue", "green", "red"]


def _frame(seed, n, with_color=False):
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({f"f{i}": np.round(rng.normal(size=n), 4) for i in range(4)})
    for c in ["f0", "f2"]:
        df.loc[rng.random(n) < 0.12, c] = np.nan
    if with_color:
        df["color"] = pd.Categorical(rng.choice(COLORS, n), categories=COLORS)
    return df


def _target(df, seed):
    rng = np.random.default_rng(seed)
    y = df.f0.fillna(0.3) * 1.5 - df.f1 + np.sin(df.f2.fillna(-1)) + rng.normal(size=len(df)) * 0.3
    if "color" in df:
        y = y + (df.color == "red") * 1.2 - (df.color == "green") * 0.7
    return y


def train_lightgbm(kind="binary", rounds=20, with_color=None):
    """A `lightgbm.Booster`: kind is "binary" (with a pandas categorical column), "multiclass" or "regression"."""
    import lightgbm as lgb

    with_color = kind == "binary" if with_color is None else with_color
    X = _frame(1, 600, with_color=with_color)
    y = _target(X, 2)
    params = {"verbose": -1, "num_leaves": 8, "min_data_in_leaf": 5, "seed": 1, "deterministic": True}
    if kind == "binary":
        params["objective"], y = "binary", (y > 0.4).astype(int)
    elif kind == "multiclass":
        params.update(objective="multiclass", num_class=3)
        y = np.digitize(y, [-0.5, 0.8])
    else:
        params["objective"] = "regression"
    booster = lgb.train(params, lgb.Dataset(X, y), rounds)
    return booster, _frame(3, 50, with_color=with_color)


def train_xgboost(kind="binary", rounds=10, sklearn=False, categorical=False):
    """An `xgboost.Booster` (or XGBClassifier / XGBRegressor when `sklearn`): kind is "binary",
    "multiclass" or "regression"; `categorical` adds a pandas categorical column (hist, enable_categorical)."""
    import xgboost as xgb

    X = _frame(4, 600, with_color=categorical)
    y = _target(X, 5)
    if kind == "binary":
        objective, y = "binary:logistic", (y > 0.4).astype(int)
    elif kind == "multiclass":
        objective, y = "multi:softprob", np.digitize(y, [-0.5, 0.8])
    else:
        objective = "reg:squarederror"
    test = _frame(6, 50, with_color=categorical)
    if sklearn:
        cls = xgb.XGBRegressor if kind == "regression" else xgb.XGBClassifier
        model = cls(n_estimators=rounds, max_depth=3, tree_method="hist", enable_categorical=categorical,
                    objective=objective)
        return model.fit(X, y), test
    params = {"objective": objective, "max_depth": 3, "tree_method": "hist", "seed": 1}
    if kind == "multiclass":
        params["num_class"] = 3
    booster = xgb.train(params, xgb.DMatrix(X, y, enable_categorical=categorical), rounds)
    return booster, test


def expected(model, frame):
    """What MLflow's pyfunc answers for `frame` (the libraries' own predict)."""
    import xgboost as xgb

    if isinstance(model, xgb.Booster):
        return model.predict(xgb.DMatrix(frame, enable_categorical=True))
    return model.predict(frame)


def log(model, name="model", input_example=None, signature=True):
    """Logs `model` in the active run with its flavor; returns the model URI."""
    import lightgbm as lgb
    import mlflow
    import xgboost as xgb
    from mlflow.models import infer_signature

    sig = None
    if signature and input_example is not None:
        sig = infer_signature(input_example, expected(model, input_example))
    if isinstance(model, (lgb.Booster, lgb.LGBMModel)):
        info = mlflow.lightgbm.log_model(model, name=name, signature=sig, input_example=input_example)
    elif isinstance(model, (xgb.Booster, xgb.XGBModel)):
        info = mlflow.xgboost.log_model(model, name=name, signature=sig, input_example=input_example)
    else:
        raise TypeError(f"not a LightGBM or XGBoost model: {type(model).__name__}")
    return info.model_uri

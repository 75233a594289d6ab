"""`rnnkit forecast train | backtest | predict | update`: argument parsing only."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rnnkit.cli.common import (add_model_flags, add_threads_flag, add_train_flags, model_overrides, train_entry,
                               train_overrides, use_threads)
from rnnkit.config import ForecastModelConfig


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("forecast", help="time-series forecasting (stock prices, M4, any CSV)",
                       description="Forecast a CSV's target column, honestly: chronological splits, scalers "
                       "fit on the training part, baselines beside every score.")
    cmds = p.add_subparsers(dest="forecast_command", metavar="COMMAND", required=True)

    t = cmds.add_parser("train", help="train, evaluate on the test part, write report.json/md and plots")
    _data_flags(t, need_csv=False)
    _model_flags(t)
    add_train_flags(t)
    t.add_argument("--out", required=True, metavar="DIR", help="run folder")
    t.set_defaults(handler=_train)

    b = cmds.add_parser("backtest", help="walk-forward one-step and multi-step backtest of a trained run")
    b.add_argument("--run", required=True, metavar="DIR", help="run folder from `forecast train`")
    b.add_argument("--csv", metavar="PATH", help="data to backtest on (default: the training CSV)")
    b.add_argument("--refit-every", type=int, metavar="K", help="fine-tune on the new history every K origins")
    b.add_argument("--refit-epochs", type=int, default=1, metavar="N", help="epochs of each refit (with --refit-every)")
    b.add_argument("--out", metavar="DIR", help="where to write backtest.json/md/png (default: the run folder)")
    add_threads_flag(b)
    b.set_defaults(handler=_backtest)

    r = cmds.add_parser("predict", help="forecast past the last date of a CSV, with intervals")
    r.add_argument("--run", required=True, metavar="DIR", help="run folder from `forecast train`")
    r.add_argument("--csv", required=True, metavar="PATH", help="history to forecast from (the training columns)")
    r.add_argument("--horizon", type=int, metavar="H", help="steps ahead (default: the model's)")
    r.add_argument("--out", metavar="FILE", help="write the forecasts as CSV (default: print them)")
    add_threads_flag(r)
    r.set_defaults(handler=_predict)

    u = cmds.add_parser("update", help="fine-tune a trained run on rows appended since training")
    u.add_argument("--run", required=True, metavar="DIR", help="run folder to update (the old version is kept)")
    u.add_argument("--csv", required=True, metavar="PATH", help="the CSV with the new rows (and the history before them)")
    u.add_argument("--max-epochs", type=int, default=5, help="fine-tuning epochs")
    u.add_argument("--lr", type=float, default=3e-4, help="fine-tuning learning rate")
    u.add_argument("--refit-scaler", action="store_true", help="refit the scalers on all rows but the newest part")
    u.add_argument("--seed", type=int, help="random seed (default: the run's)")
    u.add_argument("--threads", type=int, help="CPU threads for PyTorch (default: the run's)")
    u.add_argument("--device", choices=["auto", "cpu", "cuda"], help="where to fine-tune (default: as trained)")
    u.set_defaults(handler=_update)


def _data_flags(p: argparse.ArgumentParser, need_csv: bool) -> None:
    g = p.add_argument_group("data")
    g.add_argument("--csv", required=need_csv, metavar="PATH", help="CSV file, or a dataset name (aapl)")
    g.add_argument("--sep", help="column separator (default ','; ';' for European spreadsheet exports)")
    g.add_argument("--decimal", choices=[".", ","], metavar="MARK",
                   help="decimal mark of the numbers (default '.'; ',' reads 1.234,5)")
    g.add_argument("--thousands", metavar="SEP",
                   help="thousands separator of the numbers: ',' reads 1,078 as 1078 ('.', ' ' or \"'\" too) "
                   "(default: US groups such as 1,234.5 are detected)")
    g.add_argument("--encoding", help="file encoding (default utf-8; e.g. latin-1 or cp1252 for older spreadsheets)")
    g.add_argument("--errors", choices=["strict", "replace", "ignore"],
                   help="what to do with bytes invalid in --encoding (default strict: stop with an error)")
    g.add_argument("--date-format", metavar="FORMAT",
                   help="strftime form of the dates, e.g. %%d.%%m.%%Y (default: ISO, d/m/y, m/d/y, week and quarter "
                   "strings are recognised; ambiguous day/month dates are refused)")
    g.add_argument("--dayfirst", action=argparse.BooleanOptionalAction, default=None,
                   help="read 01/02/2021 as 1 February (--no-dayfirst: as January 2) (default: decided by the data)")
    g.add_argument("--freq", help="pandas frequency of the dates (h, 30min, D, B, W-MON, MS, QS, ...), or a session "
                   "such as 5min@07:00-21:00@Mon,Tue,Wed,Thu,Fri (default: inferred)")
    g.add_argument("--date-col", help="date column (default Date; long format: ds)")
    g.add_argument("--target", help="column to forecast (default Close)")
    g.add_argument("--id-col", help="series id column for the long format (unique_id, ds, y is detected)")
    g.add_argument("--features", help="comma-separated input columns, e.g. Open,High,Low,Volume")
    g.add_argument("--target-transform", choices=["level", "diff", "pct", "logret"],
                   help="what the network predicts: the level, its change, its percent change or its log return")
    g.add_argument("--scaler", choices=["minmax", "standard", "robust", "none"],
                   help="scaler of the inputs and the target, fit on the training part only")
    g.add_argument("--normalize", choices=["none", "window"],
                   help="forecast inputs, per window: 'window' rescales each input window by its own recent level "
                   "(levels) or RMS (changes), so one model fits series of any scale; 'none': the --scaler alone")
    g.add_argument("--season", type=int, help="seasonal period (default: the calendar's: hourly 24, half-hourly 48, "
                   "daily 7, weekly 52, monthly 12, quarterly 4; detected from the autocorrelation for positions)")
    g.add_argument("--no-calendar", action="store_true", help="no calendar / seasonal-phase inputs")
    g.add_argument("--val", type=float,
                   help="validation share (<1; at least one horizon) or steps (>=1) (default 0.1)")
    g.add_argument("--test", type=float, help="test share (<1; at least one horizon) or steps (>=1) (default 0.2)")
    g.add_argument("--val-start", help="first validation date (overrides --val)")
    g.add_argument("--test-start", help="first test date (overrides --test)")
    g.add_argument("--holdout", metavar="PATH", help="score the next values of each series from this file "
                   "(M4 layout: id, then values; or unique_id, ds, y) when there is no test part")
    g.add_argument("--duplicates", choices=["keep_last", "error"], help="rows with a repeated date: keep the last, or stop")
    g.add_argument("--missing", choices=["ffill", "interpolate", "drop"],
                   help="missing values: carry the last value forward, interpolate, or drop the rows")
    g.add_argument("--outliers", choices=["flag", "clip", "none"],
                   help="outliers: report them, clip them to the threshold, or leave them unexamined")
    g.add_argument("--outlier-method", choices=["robust_z", "iqr"],
                   help="outlier test: robust z-score (median and MAD) or interquartile-range fences")


def _model_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("model")
    add_model_flags(g, ForecastModelConfig.CELLS, "--model",
                    "network: LSTM, GRU, Elman RNN, bidirectional LSTM, or LSTM with attention over the window")
    g.add_argument("--ensemble", type=int, metavar="N",
                   help="train N networks side by side (each initialised apart) and average their quantiles; "
                        "N times the training CPU (default 1)")
    g.add_argument("--lookback", type=int, help="input window length")
    g.add_argument("--patch", type=int, help="steps read per recurrent step (divides --lookback)")
    g.add_argument("--horizon", type=int, help="steps ahead")
    g.add_argument("--strategy", choices=["direct", "recursive"],
                   help="multi-step: one output per step ahead (direct), or one step fed back (recursive)")
    g.add_argument("--residual", choices=["none", "naive", "seasonal"],
                   help="the network predicts a correction to this baseline: none, the last value, or a season ago")
    g.add_argument("--combine", choices=["auto", "none", "ets", "arima", "theta", "mean", "best"],  # forecast.config.COMBINE
                   help="combine the network with this statistical forecast (rnnkit[stats]), its share chosen "
                        "on validation; mean: the average of AutoETS, AutoARIMA and AutoTheta; best: each of AutoTheta, "
                        "AutoETS and AutoARIMA tried on validation, the best kept; auto: AutoTheta when statsforecast "
                        "is installed")
    g.add_argument("--combine-intervals", choices=["shift", "blend"],
                   help="the combined forecast's interval: the network's moved with the median (shift), or each "
                        "quantile averaged with the statistical model's own, with the same share (blend, the default)")
    g.add_argument("--combine-per-series", action=argparse.BooleanOptionalAction, default=None,
                   help="a panel: each series gets the network share its own validation windows support (series "
                        "the run never saw: the panel's)")
    g.add_argument("--stat-models", metavar="LIST",
                   help="statistical references in the report, comma-separated from ets, arima, theta, or none "
                        "(default: all three; each is one fit per series, so on thousands of series theta alone is "
                        "the quick choice)")
    g.add_argument("--refit", action=argparse.BooleanOptionalAction, default=None,
                   help="after early stopping on the validation part, train a fresh network on training + validation "
                        "for the epochs it chose (the selection run stays in the run folder's select/)")
    g.add_argument("--loss", choices=["quantile", "mse", "mae", "huber"],
                   help="training loss; quantile (pinball over --quantiles) also gives the intervals")
    g.add_argument("--quantiles", help="comma-separated, e.g. 0.1,0.5,0.9")
    g.add_argument("--batch-size", type=int, help="windows per batch")


def _shown(value: float) -> str:
    """6 significant digits on screen, but every digit before the decimal point (5.41006e+13 hid them)."""
    return f"{value:.6g}" if abs(value) < 1e6 else f"{value:.0f}"


def _floats(text: str | None, flag: str) -> list[float] | None:
    from rnnkit.errors import RnnkitError

    if text is None:
        return None
    try:
        return [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise RnnkitError(f"{flag} takes comma-separated numbers, got {text!r}") from None


def _stat_models(text: str | None) -> list[str] | None:
    if text is None:
        return None
    kinds = [k.strip().lower() for k in text.split(",") if k.strip()]
    return [] if kinds == ["none"] else kinds


def overrides(a: argparse.Namespace) -> dict:
    """The config overrides of `forecast train`'s flags (also `rnnkit tune forecast`'s)."""
    feats = None if a.features is None else [c.strip() for c in a.features.split(",") if c.strip()]
    return {
        "model": {**model_overrides(a), "ensemble": a.ensemble},
        "train": train_overrides(a),
        "data": {"csv": a.csv, "sep": a.sep, "decimal": a.decimal, "thousands": a.thousands, "encoding": a.encoding, "errors": a.errors,
                 "date_format": a.date_format,
                 "dayfirst": a.dayfirst, "freq": a.freq, "date_col": a.date_col, "target": a.target,
                 "id_col": a.id_col, "features": feats,
                 "target_transform": a.target_transform, "scaler": a.scaler, "normalize": a.normalize,
                 "season": a.season, "calendar": False if a.no_calendar else None, "val": a.val, "test": a.test,
                 "val_start": a.val_start, "test_start": a.test_start, "holdout": a.holdout,
                 "duplicates": a.duplicates,
                 "missing": a.missing, "outliers": a.outliers, "outlier_method": a.outlier_method},
        "forecast": {"lookback": a.lookback, "patch": a.patch, "horizon": a.horizon, "strategy": a.strategy,
                     "residual": a.residual, "loss": a.loss, "quantiles": _floats(a.quantiles, "--quantiles"),
                     "batch_size": a.batch_size, "combine": a.combine,
                     "combine_intervals": a.combine_intervals, "combine_per_series": a.combine_per_series,
                     "refit": a.refit, "stat_models": _stat_models(a.stat_models)},
    }


def _say(msg: str) -> None:
    print(msg, flush=True)


def _progress(msg: str) -> None:
    """Training progress goes to stderr, as for `text train` and `classify train`; results and
    paths stay on stdout."""
    print(msg, file=sys.stderr, flush=True)


@train_entry
def _train(a: argparse.Namespace) -> int:
    from rnnkit.config import resolve
    from rnnkit.forecast.config import ForecastRunConfig, check
    from rnnkit.forecast.run import train_run

    cfg = resolve(ForecastRunConfig, a.config, overrides(a))
    check(cfg)
    report = train_run(cfg, Path(a.out), resume=a.resume, log=_progress)
    print(f"wrote {a.out}/report.md, report.json, forecast.png, loss.png" if report else f"run folder: {a.out}")
    return 0


def _backtest(a: argparse.Namespace) -> int:
    from rnnkit.files import check_out_folder
    from rnnkit.forecast.commands import backtest_command

    use_threads(a)
    if a.out:
        check_out_folder(a.out)
    backtest_command(a.run, a.csv, a.refit_every, a.refit_epochs, a.out, _say)
    return 0


def _predict(a: argparse.Namespace) -> int:
    from rnnkit.files import check_out_file
    from rnnkit.forecast.run import predict_run

    use_threads(a)
    if a.out:
        check_out_file(a.out)  # before the model and the CSV are read
    frame = predict_run(a.run, a.csv, a.horizon, a.out)
    if frame.attrs.get("rolled"):
        from rnnkit.forecast.rolling import N_PATHS

        held = frame.attrs.get("features") or []
        print(f"note: --horizon {a.horizon} is beyond the {frame.attrs['trained_horizon']} step(s) the model was trained "
              f"for; it was rolled forward on {N_PATHS} simulated paths (intervals from the paths)"
              + (f"; the features {', '.join(held)} are held at their last values" if held else ""), file=sys.stderr)
    if frame.attrs.get("skipped"):
        skipped = frame.attrs["skipped"]
        print(f"note: {len(skipped)} series without forecasts, nothing to forecast: "
              + "; ".join(f"{sid}: {why}" for sid, why in list(skipped.items())[:5]), file=sys.stderr)
    if a.out:
        print(f"wrote {len(frame)} forecasts to {a.out}")
    else:
        frame.to_csv(sys.stdout, index=False, float_format=_shown)  # --out keeps every digit
    return 0


def _update(a: argparse.Namespace) -> int:
    from rnnkit.forecast.commands import update_command

    update_command(a.run, a.csv, a.max_epochs, a.lr, a.refit_scaler, a.seed, a.threads, a.device, _say)
    return 0

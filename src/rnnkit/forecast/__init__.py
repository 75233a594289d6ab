"""Forecasting: the estimator (pipeline + network + trainer), baselines that share its interface,
metrics, walk-forward backtests, reports, plots and continual updates."""

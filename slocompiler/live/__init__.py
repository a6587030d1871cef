"""Commands that talk to a running Prometheus: status, gate, verify (and backtest)."""

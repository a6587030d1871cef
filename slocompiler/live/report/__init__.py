"""`slo report`: the SLO programme's reliability review for a period, from the data."""

"""`slo report`: one period's reliability review (OUTPUTS.md, "Reports")."""

"""Policy (lists/policy.toml) and the decision it produces from matches."""

"""The escalation-risk model fed from the database: history frames, training, scoring."""

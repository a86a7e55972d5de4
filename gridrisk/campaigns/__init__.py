"""Backlog campaigns (信访积案化解专项行动): a plan's phases, targets and scope rule, the case
list frozen at launch, each case's 包案领导, team, plan and deadline, and progress to zero."""

"""Drills with people: scenarios, live drills on a scaled clock, scorecards, scheduled drills (issue 17)."""

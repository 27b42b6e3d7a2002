"""Deliberately hostile genpool plugins, one misbehaviour each (see tests/test_hostile_plugins.py)."""

"""Deliberately broken genpool plugins."""

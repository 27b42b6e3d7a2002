"""Theme files (TOML), shipped as package data."""

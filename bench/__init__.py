"""Load and performance scripts; each prints JSON figures (docs/performance.md)."""

"""The ``trackers`` command line: one module per command group (SPEC §8)."""

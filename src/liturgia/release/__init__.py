"""Releases: versions from Conventional Commits, build and test stages, notes, gates, the pipeline.

The pipeline (:mod:`liturgia.release.pipeline`) is the only module that composes every
subsystem; import the modules directly (``from liturgia.release.pipeline import run_release``).
"""

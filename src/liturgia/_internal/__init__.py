"""Helpers private to liturgia: atomic files, streaming digests, the reproducible clock."""

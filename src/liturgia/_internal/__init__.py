"""Helpers private to liturgia: atomic files, streaming digests, the reproducible clock, and
transparency-log verification shared by sign, tlog and release (:mod:`.transparency`)."""

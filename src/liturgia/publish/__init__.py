"""Publishing a verified release to registries (issue 19)."""

"""import-linter contract types of this project (registered in ``pyproject.toml``).

``lint-imports`` puts the working folder on ``sys.path``, so ``scripts.import_contracts`` is
importable when it runs from the repository root, as ``.ci/run`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from importlinter import Contract, ContractCheck, fields, output

if TYPE_CHECKING:
    from grimp import ImportGraph


class SharedModuleContract(Contract):
    """Every importer package imports the shared module: shared code lives below, once.

    Options: ``importers`` (packages that must each import ``shared``, directly, from any of
    their modules) and ``shared`` (the module or package they share). Meant beside an
    ``independence`` contract over the same importers: together they say "these packages do one
    job with one implementation below them, and none of them imports the other".
    """

    importers = fields.ListField(subfield=fields.StringField())
    shared = fields.StringField()

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        """Kept when each importer has a direct import of the shared module or a submodule."""
        del verbose
        missing = [
            importer
            for importer in self.importers  # type: ignore[attr-defined]
            if not graph.direct_import_exists(
                importer=str(importer), imported=str(self.shared), as_packages=True
            )
        ]
        return ContractCheck(kept=not missing, metadata={"missing": missing})

    def render_broken_contract(self, check: ContractCheck) -> None:
        """Name each package that does its own copy instead of importing the shared module."""
        for importer in check.metadata["missing"]:
            output.print_error(
                f"{importer} does not import {self.shared}: move its copy of the shared job "
                "down into that module and import it",
                bold=True,
            )
            output.new_line()

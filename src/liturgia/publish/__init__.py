"""Publishing a verified release where users get it (``liturgia publish``).

A release folder is verified first (:func:`verify_for_publishing`, the checks of ``liturgia
verify``), then its files are uploaded to a :class:`Target` (a PyPI-compatible index,
:class:`PypiTarget`; an npm registry, :class:`NpmTarget`; OCI: :mod:`liturgia.publish.oci`),
each file once, a different file under a published name refused, every file read back and
compared by SHA-256, and the whole recorded beside the folder (:class:`PublishRecord`) so a run
stopped midway is completed by the next. :func:`deploy_stage` (``liturgia deploy STAGE``) adds
the order of stages and the smoke tests. Credentials come from the environment or the
registry's usual file (:mod:`liturgia.publish.credentials`), never from the command line or the
configuration.
"""

from __future__ import annotations

from liturgia.publish.credentials import Credentials, npm_credentials, pypi_credentials
from liturgia.publish.deploy import Deployment, SmokeRun, deploy_stage
from liturgia.publish.npm import NpmTarget
from liturgia.publish.publisher import (
    FileOutcome,
    Progress,
    PublishEvent,
    PublishResult,
    publish_release,
    verify_for_publishing,
)
from liturgia.publish.pypi import PypiTarget
from liturgia.publish.record import PublishRecord, record_path
from liturgia.publish.target import ReleaseFile, Target
from liturgia.publish.targets import configured_target, make_target

__all__ = [
    "Credentials",
    "Deployment",
    "FileOutcome",
    "NpmTarget",
    "Progress",
    "PublishEvent",
    "PublishRecord",
    "PublishResult",
    "PypiTarget",
    "ReleaseFile",
    "SmokeRun",
    "Target",
    "configured_target",
    "deploy_stage",
    "make_target",
    "npm_credentials",
    "publish_release",
    "pypi_credentials",
    "record_path",
    "verify_for_publishing",
]

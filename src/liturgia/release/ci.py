"""CI pipelines that run liturgia: a GitHub Actions workflow and a GitLab CI file.

Both have the same stages: **validate** (the next version from the history: a shallow or tagless
checkout fails here) and **security** (SBOM and vulnerability scan) on every push and pull/merge
request; then, on a version tag only, **build** (``liturgia release --from-tag``: build, tests,
SBOM, scan, signatures and the gate, into ``dist/``; every bundle recorded in the transparency
log named by ``LITURGIA_TLOG_URL``, a GitHub secret or GitLab variable), **sign** (a signed in-toto
attestation of the scan over the release's ``SHA256SUMS``) and **release** (``liturgia verify``
of the folder, with the log's public key when one is given, then the forge's release with the
notes), followed by a notification that runs whatever the outcome. Artifacts are handed from
job to job; nothing is rebuilt.

GitHub: ``permissions: {}`` at the top and each job asks for the least it needs (``contents:
read``; ``contents: write`` only to publish the release); every action is pinned to a full commit
SHA with its version in a comment (GitHub's "Security hardening for GitHub Actions", "Using
third-party actions"); ``persist-credentials: false`` on checkouts. Secrets are passed through
``env`` and never expanded inside a ``run`` script (script injection).

The output is deterministic text: the same options give the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "GITHUB_WORKFLOW_PATH",
    "GITLAB_CI_PATH",
    "PINNED_ACTIONS",
    "CiOptions",
    "render_github_workflow",
    "render_gitlab_ci",
]

#: Where ``liturgia ci init --github`` writes, relative to the repository's top folder.
GITHUB_WORKFLOW_PATH = ".github/workflows/release-liturgia.yml"
#: Where ``liturgia ci init --gitlab`` writes.
GITLAB_CI_PATH = ".gitlab-ci.yml"

#: Actions used, pinned to the commit of a release tag (name -> (commit SHA, tag)).
PINNED_ACTIONS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class CiOptions:
    """What the generated pipeline needs to know.

    Attributes:
        branch: the default branch (pushes to it run validate and security).
        python: the Python version the jobs use.
        install: the shell command that installs liturgia (``python -m pip install .`` when
            the repository is liturgia itself).
        tag_glob: the tag pattern of releases (GitHub filter syntax), from the tag format.
    """

    branch: str = "main"
    python: str = "3.12"
    install: str = "python -m pip install liturgia"
    tag_glob: str = "v*"


def _uses(name: str) -> str:
    sha, tag = PINNED_ACTIONS[name]
    return f"{name}@{sha} # {tag}"


def render_github_workflow(options: CiOptions) -> str:
    """The GitHub Actions workflow ``release-liturgia.yml`` (YAML text, ending in a newline)."""
    checkout = _uses("actions/checkout")
    setup = _uses("actions/setup-python")
    upload = _uses("actions/upload-artifact")
    download = _uses("actions/download-artifact")
    common = f"""      - uses: {checkout}
        with:
          fetch-depth: 0
          persist-credentials: false
      - uses: {setup}
        with:
          python-version: "{options.python}"
      - name: Install liturgia
        run: {options.install}
"""
    on_tag = "startsWith(github.ref, 'refs/tags/')"
    return f"""# Written by `liturgia ci init --github`; regenerate it rather than edit it by hand.
# validate -> security on every push and pull request; build -> sign -> release on a version tag.
name: release-liturgia

on:
  push:
    branches: ["{options.branch}"]
    tags: ["{options.tag_glob}"]
  pull_request:

# Least privilege: no permission by default; each job asks for what it needs.
permissions: {{}}

concurrency:
  group: release-liturgia-${{{{ github.ref }}}}
  cancel-in-progress: false

jobs:
  validate:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
{common}      - name: Next version (fails on a shallow or tagless clone)
        run: liturgia version --format json

  security:
    needs: validate
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
{common}      - name: SBOM (CycloneDX 1.6)
        run: liturgia sbom . -o cyclonedx-json=sbom.cdx.json
      - name: Vulnerability scan (OSV)
        run: liturgia scan sbom.cdx.json --source osv-api --fail-on high --format sarif > scan.sarif
      - uses: {upload}
        if: always()
        with:
          name: security
          path: |
            sbom.cdx.json
            scan.sarif

  build:
    needs: security
    if: {on_tag}
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
{common}      - name: Build, test, SBOM, scan, sign and gate the tagged release
        env:
          SIGNING_KEY: ${{{{ secrets.LITURGIA_SIGNING_KEY }}}}
          LITURGIA_PASSWORD: ${{{{ secrets.LITURGIA_PASSWORD }}}}
          TAG: ${{{{ github.ref_name }}}}
          # The transparency log every bundle is recorded in (a runner's embedded log is
          # thrown away with the job), and its public key.
          LITURGIA_TLOG_URL: ${{{{ secrets.LITURGIA_TLOG_URL }}}}
          TLOG_PUBLIC_KEY: ${{{{ secrets.LITURGIA_TLOG_PUBLIC_KEY }}}}
        run: |
          umask 077
          printf '%s\\n' "$SIGNING_KEY" > "$RUNNER_TEMP/release.key"
          export LITURGIA_KEY="$RUNNER_TEMP/release.key"
          if [ -n "$TLOG_PUBLIC_KEY" ]; then
            printf '%s\\n' "$TLOG_PUBLIC_KEY" > "$RUNNER_TEMP/log.pub"
            export LITURGIA_TLOG_KEY="$RUNNER_TEMP/log.pub"
          fi
          liturgia release --from-tag "$TAG" --out dist
      - uses: {upload}
        with:
          name: release
          path: dist/

  sign:
    needs: build
    if: {on_tag}
    runs-on: ubuntu-latest
    permissions:
      contents: read
    steps:
      - uses: {download}
        with:
          name: release
          path: dist
      - uses: {setup}
        with:
          python-version: "{options.python}"
      - name: Install liturgia
        run: python -m pip install liturgia
      - name: Attest the scan over the release's SHA256SUMS (in-toto, DSSE)
        env:
          SIGNING_KEY: ${{{{ secrets.LITURGIA_SIGNING_KEY }}}}
          LITURGIA_PASSWORD: ${{{{ secrets.LITURGIA_PASSWORD }}}}
        run: |
          umask 077
          printf '%s\\n' "$SIGNING_KEY" > "$RUNNER_TEMP/release.key"
          folder="$(find dist -mindepth 1 -maxdepth 1 -type d | head -n 1)"
          liturgia attest --key "$RUNNER_TEMP/release.key" --type vuln \\
            --predicate "$folder/vulnerabilities.json" \\
            -o "dist/$(basename "$folder").scan.intoto.json" "$folder/SHA256SUMS"
      - uses: {upload}
        with:
          name: attestation
          path: dist/*.intoto.json

  release:
    needs: sign
    if: {on_tag}
    runs-on: ubuntu-latest
    permissions:
      contents: write
    steps:
      - uses: {download}
        with:
          path: dist
          merge-multiple: true
      - uses: {setup}
        with:
          python-version: "{options.python}"
      - name: Install liturgia
        run: python -m pip install liturgia
      - name: Verify the release folder and publish it
        env:
          GH_TOKEN: ${{{{ github.token }}}}
          PUBLIC_KEY: ${{{{ secrets.LITURGIA_PUBLIC_KEY }}}}
          TLOG_PUBLIC_KEY: ${{{{ secrets.LITURGIA_TLOG_PUBLIC_KEY }}}}
          TAG: ${{{{ github.ref_name }}}}
          REPOSITORY: ${{{{ github.repository }}}}
        run: |
          printf '%s\\n' "$PUBLIC_KEY" > "$RUNNER_TEMP/release.pub"
          folder="$(find dist -mindepth 1 -maxdepth 1 -type d | head -n 1)"
          log_key=()
          if [ -n "$TLOG_PUBLIC_KEY" ]; then
            printf '%s\\n' "$TLOG_PUBLIC_KEY" > "$RUNNER_TEMP/log.pub"
            log_key=(--log-key "$RUNNER_TEMP/log.pub")
          fi
          liturgia verify "$folder" --key "$RUNNER_TEMP/release.pub" "${{log_key[@]}}"
          gh release create "$TAG" --repo "$REPOSITORY" --verify-tag \\
            --notes-file "$folder/RELEASE_NOTES.md" "$folder"/* dist/*.intoto.json
      - name: Notify
        if: always()
        env:
          WEBHOOK: ${{{{ secrets.LITURGIA_NOTIFY_WEBHOOK }}}}
          TAG: ${{{{ github.ref_name }}}}
          OUTCOME: ${{{{ job.status }}}}
        run: |
          echo "release $TAG: $OUTCOME" >> "$GITHUB_STEP_SUMMARY"
          if [ -n "$WEBHOOK" ]; then
            curl --fail --silent --show-error -X POST -H 'Content-Type: application/json' \\
              --data "{{\\"text\\": \\"release $TAG: $OUTCOME\\"}}" "$WEBHOOK"
          fi
"""


def render_gitlab_ci(options: CiOptions) -> str:
    """The GitLab CI file ``.gitlab-ci.yml`` with the same stages (YAML text)."""
    return f"""# Written by `liturgia ci init --gitlab`; regenerate it rather than edit it by hand.
# validate -> security on every push and merge request; build -> sign -> release on a version tag.
stages: [validate, security, build, sign, release]

variables:
  GIT_DEPTH: "0"
  PIP_DISABLE_PIP_VERSION_CHECK: "1"

default:
  image: python:{options.python}

workflow:
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == "{options.branch}"
    - if: $CI_COMMIT_TAG

.liturgia:
  before_script:
    - {options.install}

.on-tag:
  rules:
    - if: $CI_COMMIT_TAG

validate:
  stage: validate
  extends: .liturgia
  script:
    - liturgia version --format json

security:
  stage: security
  extends: .liturgia
  script:
    - liturgia sbom . -o cyclonedx-json=sbom.cdx.json
    - liturgia scan sbom.cdx.json --source osv-api --fail-on high --format sarif > scan.sarif
  artifacts:
    when: always
    paths: [sbom.cdx.json, scan.sarif]

build:
  stage: build
  extends: [.liturgia, .on-tag]
  script:
    # LITURGIA_SIGNING_KEY is a variable of type "file": its value is the key file's path.
    - export LITURGIA_KEY="$LITURGIA_SIGNING_KEY"
    - liturgia release --from-tag "$CI_COMMIT_TAG" --out dist
  artifacts:
    paths: [dist/]

sign:
  stage: sign
  extends: [.on-tag]
  needs: [build]
  before_script:
    - python -m pip install liturgia
  script:
    - folder="$(find dist -mindepth 1 -maxdepth 1 -type d | head -n 1)"
    - >-
      liturgia attest --key "$LITURGIA_SIGNING_KEY" --type vuln
      --predicate "$folder/vulnerabilities.json"
      -o "dist/$(basename "$folder").scan.intoto.json" "$folder/SHA256SUMS"
    # LITURGIA_PUBLIC_KEY is a variable of type "file" holding the release key's public half;
    # LITURGIA_TLOG_URL (and LITURGIA_TLOG_KEY, a "file" variable with its public key) name the
    # transparency log the build records every bundle in.
    - >-
      liturgia verify "$folder" --key "$LITURGIA_PUBLIC_KEY"
      ${{LITURGIA_TLOG_KEY:+--log-key "$LITURGIA_TLOG_KEY"}}
    - cp "$folder/RELEASE_NOTES.md" release-notes.md
  artifacts:
    paths: [dist/, release-notes.md]

release:
  stage: release
  extends: [.on-tag]
  needs: [sign]
  image: registry.gitlab.com/gitlab-org/release-cli:v0.20.0
  script:
    - echo "publishing $CI_COMMIT_TAG"
  release:
    tag_name: $CI_COMMIT_TAG
    description: release-notes.md

notify:
  stage: .post
  when: always
  script:
    - 'echo "release ${{CI_COMMIT_TAG:-$CI_COMMIT_SHORT_SHA}}: pipeline $CI_PIPELINE_ID finished"'
    - >-
      if [ -n "${{LITURGIA_NOTIFY_WEBHOOK:-}}" ]; then
      curl --fail --silent --show-error -X POST -H 'Content-Type: application/json'
      --data "{{\\"text\\": \\"pipeline $CI_PIPELINE_ID of $CI_PROJECT_PATH finished\\"}}"
      "$LITURGIA_NOTIFY_WEBHOOK"; fi
"""

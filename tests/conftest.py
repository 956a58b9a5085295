"""Shared fixtures: a local arXiv API, a tiny BERT, a local GCS and Hub live in tests/fakes/."""

import os

# Nothing in the tests may reach for the network: no Hub downloads, no GCE metadata probe.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("NO_GCE_CHECK", "true")
os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")
os.environ.setdefault("DVC_NO_ANALYTICS", "1")

pytest_plugins = [
    "tests.fakes.arxiv_api",
    "tests.fakes.gcs",
    "tests.fakes.hub",
    "tests.fakes.tiny_bert",
]

"""One Dask cluster for the session: two worker processes of one thread each,
started and stopped by the tests themselves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

try:
    from distributed import Client, LocalCluster
except ImportError:
    # The test extra installs Dask (so .ci/run and the CI jobs that install
    # ".[test]" run these tests); a job that installs its own list without
    # it (the musl wheel job) leaves them out.
    collect_ignore_glob = ["test_*.py"]


@pytest.fixture(scope="session")
def client() -> Iterator[Client]:
    cluster = LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    )
    with Client(cluster) as session_client:
        yield session_client
    cluster.close()

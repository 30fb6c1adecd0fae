"""One Dask cluster for the session: two worker processes of one thread each,
started and stopped by the tests themselves."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from distributed import Client, LocalCluster


@pytest.fixture(scope="session")
def client() -> Iterator[Client]:
    cluster = LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    )
    with Client(cluster) as session_client:
        yield session_client
    cluster.close()

"""The embedded cluster starts, stops and restarts with its data kept."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import create_engine, text

from gridrisk.db.embedded import EmbeddedCluster, reachable_scratch


@pytest.mark.slow
def test_start_stop_restart_keeps_data() -> None:
    root = reachable_scratch("gridrisk-embedded-")
    cluster = EmbeddedCluster(root, durable=True)
    try:
        assert not cluster.status().initialised
        cluster.start()
        assert cluster.status().running
        engine = create_engine(cluster.url)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE kept (note text)"))
            conn.execute(text("INSERT INTO kept VALUES ('网格')"))
        engine.dispose()

        cluster.stop()
        assert not cluster.status().running
        cluster.start()
        cluster.start()  # already running: nothing happens

        engine = create_engine(cluster.url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT note FROM kept")).scalar_one() == "网格"
            postgis = conn.execute(text(
                "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")).scalar()
            assert postgis == 1
            socket_dir = conn.execute(text("SHOW unix_socket_directories")).scalar_one()
            wal_level = conn.execute(text("SHOW wal_level")).scalar_one()
            fsync = conn.execute(text("SHOW fsync")).scalar_one()
        engine.dispose()
        assert socket_dir == str(cluster.socket_dir)
        # durable, yet nothing streams from it: bulk index builds skip the WAL
        assert (wal_level, fsync) == ("minimal", "on")
        assert list(cluster.socket_dir.glob(".s.PGSQL.*"))
    finally:
        cluster.destroy()
        shutil.rmtree(root, ignore_errors=True)


def test_url_listens_on_loopback_with_a_password(cluster: EmbeddedCluster) -> None:
    url = create_engine(cluster.url).url
    assert url.host == "127.0.0.1"
    assert url.password and len(url.password) >= 32

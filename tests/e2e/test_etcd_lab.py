"""The etcd harness the distributed switch's tests stand on
(python/vswitch_lab/etcd.py): a member answers through the JSON gateway,
a 3-member cluster keeps serving with one member killed, and the member
rejoins on its data directory and catches up; everything is gone after."""
import os

import pytest

from vswitch_lab import etcd

pytestmark = pytest.mark.skipif(not etcd.available(), reason="etcd is not installed (etcd-server)")


def test_single_member_put_get_delete():
    with etcd.Cluster() as c:
        workdir = c.workdir
        rev = c.put("/t/a", "1")
        c.put("/t/b", "2")
        assert c.get("/t/a") == "1"
        assert c.get_prefix("/t/") == {"/t/a": "1", "/t/b": "2"}
        assert c.revision() == rev + 1
        assert c.delete("/t/", prefix=True) == 2
        assert c.get("/t/a") is None
    assert not os.path.exists(workdir)


def test_three_members_kill_and_rejoin():
    with etcd.Cluster(members=3) as c:
        assert len(c.endpoints.split(",")) == 3
        c.put("/t/k", "before")
        c.kill(1)
        c.put("/t/k", "during")
        c.restart(1)
        kvs = c.call("kv/range", {"key": etcd._b64("/t/k")}, member=1)["kvs"]
        assert etcd._unb64(kvs[0]["value"]) == b"during"

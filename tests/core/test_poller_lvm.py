"""The dashboard's poller: LVM under DRBD while DRBD comes from a live events2 stream.

A poll does not read the DRBD of a node whose stream is live; that node's logical
volumes must still name the DRBD resources on them (the storage verdicts and the
detail view say which DRBD a full thin pool stops).
"""

from __future__ import annotations

import pytest

from hadeck.lab.runner import LabAccess
from hadeck.lab.world import Lab
from hadeck.model import ClusterState
from hadeck.watch.eventlog import EventLog
from hadeck.watch.poller import Poller

pytestmark = pytest.mark.pacemaker


def links(state: ClusterState, node: str) -> dict[str, tuple[str, ...]]:
    return {f"{lv.vg}/{lv.name}": lv.drbd for r in state.lvm if r.node == node
            for lv in r.volumes if lv.drbd}


def test_a_streamed_nodes_volumes_keep_their_drbd(lab: Lab) -> None:
    poller = Poller(LabAccess(lab, "jupiter1"), log=EventLog(None, "lab"))
    first = poller.poll().state
    node = "jupiter1"
    before = links(first, node)
    assert before, "the lab has DRBD on LVM"
    # The node's DRBD now comes from its stream: the poll does not read it.
    poller.apply_drbd(node, tuple(r for r in first.drbd if r.node == node))
    second = poller.poll()
    assert node in second.streamed
    assert not [s for s in second.state.sources if s.source == "drbd" and s.node == node
                and s.error]
    assert links(second.state, node) == before
    # A stream update keeps them too, and gives the very same report back.
    third = poller.apply_drbd(node, tuple(r for r in second.state.drbd if r.node == node))
    assert third is not None and links(third.state, node) == before
    assert next(r for r in third.state.lvm if r.node == node) is \
        next(r for r in second.state.lvm if r.node == node)

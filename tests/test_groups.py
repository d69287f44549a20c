"""The in-process group registry, with fake members."""

from zope.interface import implementer
from zope.interface.verify import verifyObject

from iclicker.groups.interface import IGroupMember, IGroups
from iclicker.groups.memory import MemoryGroups


@implementer(IGroupMember)
class Recorder:
    def __init__(self, fail: bool = False) -> None:
        self.received: list = []
        self.fail = fail

    def deliver(self, message, encoded) -> None:
        if self.fail:
            raise RuntimeError("broken member")
        self.received.append((message["type"], encoded))


def counting_encoder():
    calls = []

    def encode(message):
        calls.append(message)
        return f"frame-{len(calls)}"

    return encode, calls


def test_registry_provides_the_interface():
    """MemoryGroups is an IGroups."""
    encode, _ = counting_encoder()
    assert verifyObject(IGroups, MemoryGroups(encode))


def test_a_broadcast_is_encoded_once_for_all_members():
    """Every member gets the same encoded frame; encoding happens once per send."""
    encode, calls = counting_encoder()
    groups = MemoryGroups(encode)
    members = [Recorder() for _ in range(50)]
    for member in members:
        groups.group_add("lecture:1", member)
    groups.group_send("lecture:1", {"type": "question"})
    assert len(calls) == 1
    assert all(member.received == [("question", "frame-1")] for member in members)


def test_only_the_named_group_hears_and_discarded_members_stop_hearing():
    """Groups are separate, and discard takes effect at once (twice is harmless)."""
    encode, calls = counting_encoder()
    groups = MemoryGroups(encode)
    a, b = Recorder(), Recorder()
    groups.group_add("lecture:1", a)
    groups.group_add("lecture:2", b)
    groups.group_discard("lecture:1", a)
    groups.group_discard("lecture:1", a)
    groups.group_discard("nowhere", b)
    groups.group_send("lecture:1", {"type": "tally"})
    groups.group_send("lecture:2", {"type": "tally"})
    assert a.received == [] and b.received == [("tally", "frame-1")]
    assert len(calls) == 1, "sending to an empty group encodes nothing"


def test_a_failing_member_does_not_stop_the_others():
    """One broken socket cannot keep a question from the rest of the hall."""
    encode, _ = counting_encoder()
    groups = MemoryGroups(encode)
    good = Recorder()
    groups.group_add("g", Recorder(fail=True))
    groups.group_add("g", good)
    groups.group_send("g", {"type": "question"})
    assert good.received == [("question", "frame-1")]


def test_a_member_may_leave_while_receiving():
    """Members that discard themselves during delivery (closing sockets) are fine."""
    encode, _ = counting_encoder()
    groups = MemoryGroups(encode)

    @implementer(IGroupMember)
    class Leaver(Recorder):
        def deliver(self, message, encoded):
            super().deliver(message, encoded)
            groups.group_discard("g", self)

    leavers = [Leaver() for _ in range(5)]
    for leaver in leavers:
        groups.group_add("g", leaver)
    groups.group_send("g", {"type": "lecture_ended"})
    assert all(len(leaver.received) == 1 for leaver in leavers)
    groups.group_send("g", {"type": "question"})
    assert all(len(leaver.received) == 1 for leaver in leavers), "they left the group"

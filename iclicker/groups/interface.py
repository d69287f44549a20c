"""The group registry contract, shared by the in-process and the Redis registries."""

from typing import Any

from zope.interface import Attribute, Interface


class IGroupMember(Interface):
    """Something that can receive group messages: a WebSocket, or a domain service's replica."""

    def deliver(message: dict[str, Any], encoded: Any) -> None:
        """Receive ``message``, already encoded once for all members as ``encoded``."""


class IGroups(Interface):
    """Membership of named groups and fan-out of messages to them.

    A group spans every process of the server. The domain calls the three
    sends; the socket layer (and a domain service keeping a replica of
    shared state) adds and discards members.
    """

    encode = Attribute("Callable turning a message dict into what members send.")

    def group_add(group: str, member: IGroupMember) -> None:
        """Make ``member`` receive the messages sent to ``group``."""

    def group_discard(group: str, member: IGroupMember) -> None:
        """Stop ``member`` receiving ``group``'s messages; unknown members are ignored."""

    def group_send(group: str, message: dict[str, Any]) -> None:
        """Deliver ``message`` to every member of ``group`` in every process, encoding it once
        per process."""

    def local_send(group: str, message: dict[str, Any]) -> None:
        """Deliver ``message`` to this process's members of ``group`` only.

        For what each process computes from its own replica (a tally, a
        presence list): every process sends its own members the same thing.
        """

    def others_send(group: str, message: dict[str, Any]) -> None:
        """Deliver ``message`` to the members of ``group`` in the other processes only.

        How a process tells the others' replicas what changed here; with one
        process there is nobody to tell.
        """

"""The group registry contract, shared by the in-process and (later) Redis registries."""

from typing import Any

from zope.interface import Attribute, Interface


class IGroupMember(Interface):
    """Something that can receive group messages: in practice one WebSocket."""

    def deliver(message: dict[str, Any], encoded: Any) -> None:
        """Receive ``message``, already encoded once for all members as ``encoded``."""


class IGroups(Interface):
    """Membership of named groups and fan-out of messages to them.

    The domain only ever calls ``group_send``; the socket layer adds and
    discards members as sockets open and close.
    """

    encode = Attribute("Callable turning a message dict into what members send.")

    def group_add(group: str, member: IGroupMember) -> None:
        """Make ``member`` receive the messages sent to ``group``."""

    def group_discard(group: str, member: IGroupMember) -> None:
        """Stop ``member`` receiving ``group``'s messages; unknown members are ignored."""

    def group_send(group: str, message: dict[str, Any]) -> None:
        """Deliver ``message`` to every current member of ``group``, encoding it once."""

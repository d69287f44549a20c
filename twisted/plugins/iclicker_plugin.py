"""The twistd plugin: ``twistd iclicker`` runs ``iclicker.tap``."""

from twisted.application.service import ServiceMaker

iclicker = ServiceMaker(
    "iclicker",
    "iclicker.tap",
    "Real-time classroom response server (lectures, accounts, chat).",
    "iclicker",
)

"""`Client`'s convenience methods take exactly the parameters of the methods they forward to."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest

from landingzone.client import Client
from landingzone.client.downloads import Downloads
from landingzone.client.push import Pusher
from landingzone.client.uploadapi import UploadApi

# Client.push also takes what the Pusher is constructed with.
PUSHER_SETTINGS = ("concurrency", "cancel")


def parameters(method: Callable[..., Any], leave_out: tuple[str, ...] = ()) -> list[Any]:
    found = inspect.signature(method, eval_str=True).parameters.values()
    return [
        (p.name, p.kind, p.default, p.annotation)
        for p in found
        if p.name != "self" and p.name not in leave_out
    ]


@pytest.mark.parametrize(
    ("facade", "target", "leave_out"),
    [
        (Client.upload_data, UploadApi.upload_data, ()),
        (Client.results, UploadApi.results, ()),
        (Client.push, Pusher.push, PUSHER_SETTINGS),
        (Client.download_file, Downloads.file, ()),
        (Client.download_object, Downloads.object, ()),
    ],
)
def test_the_facade_forwards_the_same_parameters(
    facade: Callable[..., Any], target: Callable[..., Any], leave_out: tuple[str, ...]
) -> None:
    assert parameters(facade, leave_out) == parameters(target)
    facade_returns = inspect.signature(facade, eval_str=True).return_annotation
    assert facade_returns == inspect.signature(target, eval_str=True).return_annotation


def test_client_push_takes_the_pusher_settings_as_the_pusher_does() -> None:
    pusher = inspect.signature(Pusher.__init__, eval_str=True).parameters
    client = inspect.signature(Client.push, eval_str=True).parameters
    for name in PUSHER_SETTINGS:
        assert (client[name].default, client[name].annotation) == (
            pusher[name].default,
            pusher[name].annotation,
        )

"""The client address of a request: the one place that says who is knocking, for every limit
on guessing (sign-in, card PINs at the counter, codes).

It is Starlette's ``request.client``, nothing else. Behind the reverse proxy the README
describes, uvicorn's ``--proxy-headers`` replaces it with the address in ``X-Forwarded-For``, but
only when the connection comes from an address in ``--forwarded-allow-ips`` (``torekes serve``
takes them from ``FORWARDED_ALLOW_IPS``, by default the machine itself): a header sent by anyone
else is ignored, so no client can choose the address it is counted under. No header is read
here, on purpose.

An IPv6 client is counted by its /64 network, since whoever holds one address of a network that
size usually holds all of them; an IPv4 client by its address. A request without a client (only
in tests that make no connection) counts as the empty address.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import Depends, Request

IPV6_PREFIX = 64


def client_address(request: Request) -> str:
    host = request.client.host if request.client is not None else ""
    return address_key(host)


def address_key(host: str) -> str:
    """The address a client is counted under: the IPv4 address, or the IPv6 /64 network."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_PREFIX), strict=False))
    return str(address)


ClientAddress = Annotated[str, Depends(client_address)]

"""Tiny MaxMind databases for tests, written with mmdb-writer.

``build_city_db(tmp_path / "city.mmdb", {"5.8.0.0/16": ("RU", "MOW"), "46.0.0.0/8": ("DE", None)})``
writes a GeoLite2-City style file that :class:`geoip2.database.Reader` (and so
:class:`chatroute.geo.MaxMindResolver`) reads. The database is IPv6 with IPv4 networks
stored in the ``::/96`` subtree, as MaxMind's own files are, so IPv4 and IPv6 addresses
both resolve.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mmdb_writer import MMDBWriter
from netaddr import IPSet

__all__ = ["build_city_db", "build_country_db", "write_mmdb"]


def write_mmdb(
    path: str | Path,
    records: Mapping[str, Mapping[str, Any]],
    *,
    database_type: str = "GeoLite2-City",
    ip_version: int = 6,
) -> Path:
    """Write raw MaxMind records, one per CIDR network, and return the file's path.

    Networks are inserted widest first, so a ``/24`` inside a ``/16`` keeps its own
    record whatever order ``records`` has (mmdb-writer overwrites a subtree when a
    wider network is inserted after a narrower one).

    Args:
        path: the file to write.
        records: CIDR -> record, e.g. ``{"country": {"iso_code": "DE"}}``.
        database_type: the metadata type; geoip2 picks ``city()`` / ``country()`` by it.
        ip_version: 6 (IPv4 networks go to ``::/96``) or 4 (IPv4 networks only).

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    writer = MMDBWriter(
        ip_version=ip_version,
        database_type=database_type,
        languages=["en"],
        description="chatroute test database",
        ipv4_compatible=ip_version == 6,
    )
    ordered = sorted(records.items(), key=lambda item: ipaddress.ip_network(item[0]).prefixlen)
    for cidr, record in ordered:
        writer.insert_network(IPSet([cidr]), dict(record))
    target = Path(path)
    writer.to_db_file(str(target))
    return target


def city_record(country: str, subdivision: str | None) -> dict[str, Any]:
    """A GeoLite2-City record; ``subdivision`` may be ``"MOW"`` or ``"RU-MOW"``."""
    record: dict[str, Any] = {"country": {"iso_code": country}}
    if subdivision is not None:
        code = subdivision.removeprefix(f"{country}-")
        record["subdivisions"] = [{"iso_code": code}]
    return record


def build_city_db(
    path: str | Path,
    records: Mapping[str, tuple[str, str | None]],
    *,
    database_type: str = "GeoLite2-City",
    ip_version: int = 6,
) -> Path:
    """Write a City database: CIDR -> (country, subdivision or None).

    Args:
        path: the file to write.
        records: e.g. ``{"5.8.0.0/16": ("RU", "MOW"), "46.0.0.0/8": ("DE", None)}``;
            the subdivision may also be given in full (``"RU-MOW"``).
        database_type: metadata type, ``"GeoLite2-City"`` by default.
        ip_version: 6 (default, IPv4 and IPv6 networks) or 4.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    raw = {cidr: city_record(country, sub) for cidr, (country, sub) in records.items()}
    return write_mmdb(path, raw, database_type=database_type, ip_version=ip_version)


def build_country_db(path: str | Path, records: Mapping[str, str], *, ip_version: int = 6) -> Path:
    """Write a GeoLite2-Country database: CIDR -> country code.

    Returns:
        ``path`` as a :class:`~pathlib.Path`.
    """
    raw = {cidr: {"country": {"iso_code": country}} for cidr, country in records.items()}
    return write_mmdb(path, raw, database_type="GeoLite2-Country", ip_version=ip_version)

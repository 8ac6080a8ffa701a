"""IP address to ISO 3166 region, through a MaxMind database or a static table.

A resolver answers one question, "where is this visitor?", with a :class:`GeoLookup`:
the country (``RU``) and, when known, the subdivision as a full ISO 3166-2 code
(``RU-MOW``). It never raises for bad input: a missing IP, a malformed one, a private
address or an unreadable database all give an unknown lookup whose ``reason`` says why,
so a routing decision can show it in its trace.

Private, loopback, link-local, multicast, reserved and unspecified addresses are
classified with :mod:`ipaddress` before any table or database is consulted, and an
IPv4 address written as IPv6 (``::ffff:5.8.1.1``) is looked up as IPv4.

    >>> resolver = StaticResolver({"5.8.0.0/16": "RU-MOW", "5.8.10.0/24": "RU-SPE", "46.0.0.0/8": "DE"})
    >>> resolver.resolve("5.8.10.7").region
    'RU-SPE'
    >>> resolver.resolve("5.8.1.1")
    GeoLookup(ip='5.8.1.1', country='RU', subdivision='RU-MOW', reason=None)
    >>> resolver.resolve("46.1.2.3").region, resolver.resolve("46.1.2.3").subdivision
    ('DE', None)
    >>> resolver.resolve("10.0.0.5").reason
    'private address 10.0.0.5'
    >>> resolver.resolve(None).known
    False

:class:`MaxMindResolver` does the same over a MaxMind (GeoLite2 / GeoIP2) City or
Country database file.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self, runtime_checkable

import attrs

from ._frozen import FrozenMap
from .errors import InvalidValue

if TYPE_CHECKING:
    import geoip2.database

__all__ = [
    "GeoLookup",
    "GeoResolver",
    "MaxMindResolver",
    "StaticResolver",
]

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: What a database lookup finds: (country, subdivision, reason).
_Found = tuple[str | None, str | None, str | None]

_NO_IP = "no IP (channel carries none)"
_NOT_FOUND = "not in the database"
_REGION_CODE = re.compile(r"[A-Z]{2}(-[A-Z0-9]{1,3})?")
_SHOWN_CHARS = 80


@attrs.frozen(kw_only=True)
class GeoLookup:
    """Where an IP address is, or why that is unknown.

    Attributes:
        ip: the address as given (``None`` when there was none, or it was not a string).
        country: ISO 3166-1 alpha-2 code, e.g. ``"RU"``.
        subdivision: full ISO 3166-2 code, e.g. ``"RU-MOW"``, when the source knows it.
        reason: why the region is unknown, e.g. ``"private address 10.0.0.5"``;
            ``None`` for a known region.

    Example:
        >>> GeoLookup(ip="5.8.1.1", country="RU", subdivision="RU-MOW").region
        'RU-MOW'
        >>> GeoLookup(ip="10.0.0.5", reason="private address 10.0.0.5").describe()
        'region unknown: private address 10.0.0.5'
    """

    ip: str | None = None
    country: str | None = None
    subdivision: str | None = None
    reason: str | None = None

    @property
    def region(self) -> str | None:
        """The most precise region code known: the subdivision, else the country, else ``None``."""
        return self.subdivision or self.country

    @property
    def known(self) -> bool:
        """Whether a region was found."""
        return self.region is not None

    def describe(self) -> str:
        """One line for a decision trace: ``"region RU-MOW (5.8.1.1)"`` or why it is unknown."""
        if self.region is not None:
            return f"region {self.region} ({self.ip})" if self.ip else f"region {self.region}"
        return f"region unknown: {self.reason or 'no reason given'}"


@runtime_checkable
class GeoResolver(Protocol):
    """Anything that turns an IP address into a :class:`GeoLookup`.

    Implementations must never raise, whatever they are given: an address they
    cannot place gives a lookup with a ``reason``.
    """

    def resolve(self, ip: str | None) -> GeoLookup:
        """Locate one address.

        Args:
            ip: an IPv4 or IPv6 address as text, or ``None`` when the channel carries none.

        Returns:
            The lookup; ``lookup.known`` is false and ``lookup.reason`` says why when the
            region cannot be found.
        """
        ...


def _show(value: object) -> str:
    """``repr(value)``, cut short so a huge input cannot flood a log line."""
    text = repr(value)
    return text if len(text) <= _SHOWN_CHARS else text[: _SHOWN_CHARS - 1] + "…"


def _special(address: Address) -> str | None:
    """Why an address cannot be placed on a map, or ``None`` for a public address."""
    if address.is_unspecified:
        kind = "unspecified"
    elif address.is_loopback:
        kind = "loopback"
    elif address.is_link_local:
        kind = "link-local"
    elif address.is_multicast:
        kind = "multicast"
    elif address.is_reserved:  # before is_private, which also covers 240.0.0.0/4
        kind = "reserved"
    elif address.is_private:
        kind = "private"
    elif not address.is_global:
        kind = "non-global"  # e.g. 100.64.0.0/10, carrier-grade NAT
    else:
        return None
    return f"{kind} address {address}"


def _screen(ip: object) -> tuple[str, Address] | GeoLookup:
    """Parse and classify an address before any lookup.

    Returns:
        ``(ip, address)`` for a public address worth looking up (IPv4-mapped IPv6
        addresses become IPv4, IPv6 zone ids are dropped), else the unknown lookup to
        return.
    """
    if ip is None:
        return GeoLookup(reason=_NO_IP)
    if not isinstance(ip, str):
        return GeoLookup(reason=f"not an IP string: {_show(ip)} ({type(ip).__name__})")
    text = ip.strip()
    if not text:
        return GeoLookup(ip=ip, reason="no IP (empty string)")
    try:
        address: Address = ipaddress.ip_address(text)
    except ValueError:
        return GeoLookup(ip=ip, reason=f"malformed IP {_show(ip)}")
    if isinstance(address, ipaddress.IPv6Address):
        mapped = address.ipv4_mapped
        address = mapped if mapped is not None else ipaddress.IPv6Address(int(address))
    reason = _special(address)
    if reason is not None:
        return GeoLookup(ip=ip, reason=reason)
    return ip, address


def _from_code(ip: str, code: str) -> GeoLookup:
    """A known lookup from a region code (``"DE"`` or ``"RU-MOW"``)."""
    country, _, _ = code.partition("-")
    return GeoLookup(ip=ip, country=country, subdivision=code if code != country else None)


def _region_problem(code: object) -> str | None:
    """What is wrong with a region code, or ``None`` for a known ISO 3166 code."""
    if not isinstance(code, str) or _REGION_CODE.fullmatch(code) is None:
        return "not an ISO 3166 region code such as 'DE' or 'RU-MOW'"
    import pycountry  # loaded only when a static table is built

    known = (
        pycountry.subdivisions.get(code=code)  # type: ignore[no-untyped-call]
        if "-" in code
        else pycountry.countries.get(alpha_2=code)
    )
    return None if known is not None else f"unknown region code {code!r}"


class StaticResolver:
    """Regions from a fixed table of networks; the longest matching prefix wins.

    Handy for tests and for hosts that know their own address plan. Private and other
    special addresses are classified first, so a network such as ``10.0.0.0/8`` in the
    table never matches: use public addresses.

    Args:
        networks: CIDR network (``"5.8.0.0/16"``, ``"2a02:6b8::/32"``; a bare address is
            a ``/32`` or ``/128``) -> region code (``"RU-MOW"`` or ``"DE"``).

    Raises:
        InvalidValue: naming the network (field ``networks['5.8.1.0/16']``) when a
            network is not a valid CIDR (host bits set included), a code is not a known
            ISO 3166 country or subdivision code, or one network is given twice with
            different codes.

    Example:
        >>> table = StaticResolver({"5.8.0.0/16": "RU-MOW", "5.8.10.0/24": "RU-SPE"})
        >>> table.resolve("5.8.10.1").region, table.resolve("5.8.9.1").region
        ('RU-SPE', 'RU-MOW')
        >>> table.resolve("8.8.8.8").reason
        'not in the table'
    """

    __slots__ = ("_networks", "_prefixes")

    def __init__(self, networks: Mapping[str, str]) -> None:
        parsed: dict[Network, str] = {}
        for key, code in networks.items():
            field = f"networks[{key!r}]"
            if not isinstance(key, str):
                raise InvalidValue(field, key, "a network must be a CIDR string such as '5.8.0.0/16'")
            try:
                network: Network = ipaddress.ip_network(key.strip())
            except ValueError as exc:
                raise InvalidValue(field, key, f"not a CIDR network: {exc}") from None
            problem = _region_problem(code)
            if problem is not None:
                raise InvalidValue(field, code, problem)
            if parsed.get(network, code) != code:
                raise InvalidValue(field, code, f"{network} is already mapped to {parsed[network]!r}")
            parsed[network] = code
        self._networks: FrozenMap[str, str] = FrozenMap((str(n), c) for n, c in parsed.items())
        # version -> [(prefix length, {network as int: code})], longest prefix first
        by_length: dict[tuple[int, int], dict[int, str]] = {}
        for network, code in parsed.items():
            key_ = (network.version, network.prefixlen)
            by_length.setdefault(key_, {})[int(network.network_address)] = code
        self._prefixes: dict[int, list[tuple[int, dict[int, str]]]] = {4: [], 6: []}
        for (version, length), table in sorted(by_length.items(), key=lambda kv: -kv[0][1]):
            self._prefixes[version].append((length, table))

    @property
    def networks(self) -> Mapping[str, str]:
        """The table, with networks in their normalized form (``"2a02:6b8::/32"``)."""
        return self._networks

    def resolve(self, ip: str | None) -> GeoLookup:
        """Locate one address in the table.

        Args:
            ip: an IPv4 or IPv6 address as text, or ``None``.

        Returns:
            The region of the longest matching network, or an unknown lookup whose
            reason is ``"not in the table"``, ``"malformed IP '999.1.1.1'"``, ...
        """
        screened = _screen(ip)
        if isinstance(screened, GeoLookup):
            return screened
        text, address = screened
        bits = address.max_prefixlen
        value = int(address)
        for length, table in self._prefixes[address.version]:
            code = table.get(value >> (bits - length) << (bits - length))
            if code is not None:
                return _from_code(text, code)
        return GeoLookup(ip=text, reason="not in the table")

    def __repr__(self) -> str:
        return f"StaticResolver({dict(self._networks)!r})"


def _open_failure(error: BaseException) -> str:
    """A short text for why a database file could not be opened."""
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


_OPEN_READER = "<open geoip2 reader>"


def _is_reader(value: object) -> bool:
    import geoip2.database

    return isinstance(value, geoip2.database.Reader)


class MaxMindResolver:
    """Regions from a MaxMind database file (GeoLite2 / GeoIP2 City or Country).

    The file is opened once, here; a missing, unreadable or corrupt file does not
    raise: every lookup is then unknown with the reason
    ``"database unavailable: <path>: <error>"`` (also in :attr:`error`). City
    databases give the country and the first (largest) subdivision, e.g. ``RU-MOW``;
    Country databases give the country only. Results of database lookups are kept in a
    small per-resolver LRU cache.

    A host that already holds an open ``geoip2.database.Reader`` passes it instead of
    a path; the resolver then uses it without owning it: :meth:`close` leaves it open.

    Args:
        path: the ``.mmdb`` file, or an open ``geoip2.database.Reader``.
        cache_size: how many addresses to remember; 0 turns the cache off.

    Raises:
        InvalidValue: when ``cache_size`` is not a non-negative integer, or ``path`` is
            neither a path nor a reader (never for the database itself).

    Example (any path; a missing file is reported, not raised)::

        with MaxMindResolver("/var/lib/GeoIP/GeoLite2-City.mmdb") as geo:
            geo.resolve("5.8.1.1").region   # 'RU-MOW'
    """

    __slots__ = ("_database_type", "_error", "_ip_version", "_owned", "_path", "_query", "_reader")

    def __init__(
        self, path: str | os.PathLike[str] | geoip2.database.Reader, *, cache_size: int = 4096
    ) -> None:
        if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 0:
            raise InvalidValue("cache_size", cache_size, "must be an integer of at least 0")
        self._owned = isinstance(path, str | os.PathLike)
        if not self._owned and not _is_reader(path):
            raise InvalidValue("path", path, "give a .mmdb file or an open geoip2.database.Reader")
        self._path = os.fspath(path) if isinstance(path, str | os.PathLike) else _OPEN_READER
        self._reader: geoip2.database.Reader | None = None
        self._database_type: str | None = None
        self._ip_version = 6
        self._error: str | None = None
        self._query = functools.lru_cache(maxsize=cache_size)(_no_query)
        try:
            reader = self._open(path)
            metadata = reader.metadata()
        except Exception as exc:  # any failure to open means "unavailable", never a crash
            self._error = f"database unavailable: {self._path}: {_open_failure(exc)}"
            return
        database_type = str(metadata.database_type)
        lookup = _lookup_method(reader, database_type)
        if lookup is None:
            if self._owned:
                reader.close()
            self._error = (
                f"database unavailable: {self._path}: {database_type!r} is not a City, "
                "Country or Enterprise database"
            )
            return
        self._reader = reader
        self._database_type = database_type
        self._ip_version = int(metadata.ip_version)
        self._query = functools.lru_cache(maxsize=cache_size)(_make_query(lookup, self._path))

    def _open(self, source: str | os.PathLike[str] | geoip2.database.Reader) -> geoip2.database.Reader:
        """A reader of the file, or the host's own reader."""
        import geoip2.database

        if isinstance(source, geoip2.database.Reader):
            return source
        return geoip2.database.Reader(self._path)

    @property
    def path(self) -> str:
        """The database file as given (``"<open geoip2 reader>"`` for a host's reader)."""
        return self._path

    @property
    def available(self) -> bool:
        """Whether the database is open and usable."""
        return self._reader is not None

    @property
    def error(self) -> str | None:
        """Why the database is unavailable (the reason lookups carry), or ``None``."""
        return self._error

    @property
    def database_type(self) -> str | None:
        """The database's type from its metadata, e.g. ``"GeoLite2-City"``; ``None`` if unavailable."""
        return self._database_type

    def resolve(self, ip: str | None) -> GeoLookup:
        """Locate one address in the database.

        Args:
            ip: an IPv4 or IPv6 address as text, or ``None``.

        Returns:
            The country and subdivision found, or an unknown lookup whose reason is
            ``"not in the database"``, ``"loopback address 127.0.0.1"``,
            ``"database unavailable: <path>: <error>"``, ...
        """
        screened = _screen(ip)
        if isinstance(screened, GeoLookup):
            return screened
        text, address = screened
        if self._reader is None:
            return GeoLookup(ip=text, reason=self._error)
        if address.version == 6 and self._ip_version == 4:
            return GeoLookup(ip=text, reason=f"{_NOT_FOUND} (an IPv4-only database)")
        country, subdivision, reason = self._query(str(address))
        return GeoLookup(ip=text, country=country, subdivision=subdivision, reason=reason)

    def cache_info(self) -> functools._CacheInfo:
        """Hits, misses, maximum and current size of the lookup cache (as :func:`functools.lru_cache`)."""
        return self._query.cache_info()

    def close(self) -> None:
        """Close the database file; later lookups are unknown ("resolver closed")."""
        if self._reader is not None:
            if self._owned:
                self._reader.close()
            self._reader = None
            self._database_type = None
            self._error = f"database unavailable: {self._path}: resolver closed"
        self._query.cache_clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = self._database_type if self._reader is not None else self._error
        return f"<MaxMindResolver {self._path!r}: {state}>"


_Lookup = Callable[[str], tuple[str | None, str | None]]


def _no_query(address: str) -> _Found:
    """Stands in for the database query while none is open (never called then)."""
    return None, None, None


def _lookup_method(reader: geoip2.database.Reader, database_type: str) -> _Lookup | None:
    """The reader call that fits the database type: city, enterprise or country."""

    def city(address: str) -> tuple[str | None, str | None]:
        found = reader.city(address)
        first = found.subdivisions[0].iso_code if found.subdivisions else None
        return found.country.iso_code, first

    def enterprise(address: str) -> tuple[str | None, str | None]:
        found = reader.enterprise(address)
        first = found.subdivisions[0].iso_code if found.subdivisions else None
        return found.country.iso_code, first

    def country(address: str) -> tuple[str | None, str | None]:
        return reader.country(address).country.iso_code, None

    if "City" in database_type:
        return city
    if "Enterprise" in database_type:
        return enterprise
    if "Country" in database_type:
        return country
    return None


def _make_query(lookup: _Lookup, path: str) -> Callable[[str], _Found]:
    """A function from a normalized address to (country, subdivision, reason); cached by the caller.

    It closes over the reader call, not the resolver, so the cache holds no reference
    cycle back to the resolver.
    """
    import geoip2.errors

    def query(address: str) -> _Found:
        try:
            country, subdivision = lookup(address)
        except geoip2.errors.AddressNotFoundError:
            return None, None, _NOT_FOUND
        except Exception as exc:  # a corrupt record must give an unknown region, never a crash
            return None, None, f"database unavailable: {path}: {str(exc) or type(exc).__name__}"
        if not country:
            return None, None, "the database record has no country"
        return country, f"{country}-{subdivision}" if subdivision else None, None

    return query

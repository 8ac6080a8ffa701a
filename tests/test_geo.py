"""GeoIP regions: GeoLookup, MaxMindResolver over tiny generated databases, StaticResolver."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chatroute.errors import InvalidValue
from chatroute.geo import GeoLookup, GeoResolver, MaxMindResolver, StaticResolver

from .geodata import build_city_db, build_country_db, write_mmdb

# Moscow /16 with a St Petersburg /24 inside it (given narrow first on purpose), a
# country-only German network, an IPv6 network, and a private network that must never
# be consulted because private addresses are classified first.
CITY_RECORDS: dict[str, tuple[str, str | None]] = {
    "5.8.10.0/24": ("RU", "SPE"),
    "5.8.0.0/16": ("RU", "MOW"),
    "46.0.0.0/8": ("DE", None),
    "2a02:6b8::/32": ("RU", "RU-MOW"),
    "10.0.0.0/8": ("RU", "MOW"),
}
TABLE = {
    "5.8.0.0/16": "RU-MOW",
    "5.8.10.0/24": "RU-SPE",
    "46.0.0.0/8": "DE",
    "2a02:6b8::/32": "RU-MOW",
}

SPECIAL = [
    ("10.0.0.5", "private address 10.0.0.5"),
    ("192.168.1.20", "private address 192.168.1.20"),
    ("fd00::7", "private address fd00::7"),
    ("127.0.0.1", "loopback address 127.0.0.1"),
    ("::1", "loopback address ::1"),
    ("169.254.3.4", "link-local address 169.254.3.4"),
    ("fe80::1%eth0", "link-local address fe80::1"),
    ("224.0.0.1", "multicast address 224.0.0.1"),
    ("ff02::1", "multicast address ff02::1"),
    ("240.0.0.1", "reserved address 240.0.0.1"),
    ("0.0.0.0", "unspecified address 0.0.0.0"),
    ("::", "unspecified address ::"),
    ("::ffff:10.0.0.5", "private address 10.0.0.5"),
    ("100.64.0.1", "non-global address 100.64.0.1"),
]
MALFORMED = ["999.1.1.1", "5.8.1", "5.8.1.1.1", "localhost", "5.8.1.1/24", "2a02:6b8::g", "1.2.3.4%eth0"]


@pytest.fixture(scope="module")
def city_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The City test database, written once per module."""
    return build_city_db(tmp_path_factory.mktemp("geo") / "city.mmdb", CITY_RECORDS)


@pytest.fixture
def city(city_db: Path) -> Iterator[MaxMindResolver]:
    """A fresh resolver (with an empty cache) over the City test database."""
    resolver = MaxMindResolver(city_db)
    yield resolver
    resolver.close()


# GeoLookup --------------------------------------------------------------------------


def test_lookup_region_prefers_the_subdivision() -> None:
    """region is the subdivision when known, else the country, else None."""
    assert GeoLookup(ip="5.8.1.1", country="RU", subdivision="RU-MOW").region == "RU-MOW"
    assert GeoLookup(ip="46.1.1.1", country="DE").region == "DE"
    assert GeoLookup(ip="10.0.0.5", reason="private address 10.0.0.5").region is None


def test_lookup_known_and_describe() -> None:
    """known follows region, and describe() names the region or the reason."""
    found = GeoLookup(ip="5.8.1.1", country="RU", subdivision="RU-MOW")
    lost = GeoLookup(reason="no IP (channel carries none)")
    assert (found.known, lost.known) == (True, False)
    assert found.describe() == "region RU-MOW (5.8.1.1)"
    assert lost.describe() == "region unknown: no IP (channel carries none)"


def test_lookup_is_a_frozen_value() -> None:
    """GeoLookup is immutable, compares by value and its repr is valid Python."""
    lookup = GeoLookup(ip="5.8.1.1", country="RU", subdivision="RU-MOW")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        lookup.country = "DE"  # type: ignore[misc]
    assert eval(repr(lookup)) == lookup
    assert hash(lookup) == hash(GeoLookup(ip="5.8.1.1", country="RU", subdivision="RU-MOW"))


def test_both_resolvers_satisfy_the_protocol(city: MaxMindResolver) -> None:
    """MaxMindResolver and StaticResolver are GeoResolvers; a plain object is not."""
    assert isinstance(city, GeoResolver)
    assert isinstance(StaticResolver(TABLE), GeoResolver)
    assert not isinstance(object(), GeoResolver)


# MaxMindResolver over a City database -----------------------------------------------


def test_moscow_address_gives_country_and_subdivision(city: MaxMindResolver) -> None:
    """An address in the Moscow network resolves to RU / RU-MOW with no reason."""
    assert city.resolve("5.8.1.1") == GeoLookup(ip="5.8.1.1", country="RU", subdivision="RU-MOW")
    assert city.available
    assert city.database_type == "GeoLite2-City"
    assert city.error is None


def test_narrower_network_inside_wider_one_wins(city: MaxMindResolver) -> None:
    """St Petersburg's /24 inside Moscow's /16 keeps its own record; its neighbours stay Moscow."""
    assert city.resolve("5.8.10.77").region == "RU-SPE"
    assert city.resolve("5.8.9.255").region == "RU-MOW"
    assert city.resolve("5.8.11.0").region == "RU-MOW"


def test_country_only_record_has_no_subdivision(city: MaxMindResolver) -> None:
    """A record without subdivisions gives the country as the region."""
    lookup = city.resolve("46.20.30.40")
    assert (lookup.country, lookup.subdivision, lookup.region, lookup.reason) == ("DE", None, "DE", None)


def test_ipv6_network_resolves(city: MaxMindResolver) -> None:
    """An IPv6 address inside an IPv6 network of the database resolves."""
    assert city.resolve("2a02:6b8::2:242") == GeoLookup(
        ip="2a02:6b8::2:242", country="RU", subdivision="RU-MOW"
    )


def test_ipv4_mapped_ipv6_is_looked_up_as_ipv4(city: MaxMindResolver) -> None:
    """``::ffff:5.8.10.1`` (a dual-stack socket's view) resolves like 5.8.10.1 and keeps the text given."""
    lookup = city.resolve("::ffff:5.8.10.1")
    assert (lookup.ip, lookup.region) == ("::ffff:5.8.10.1", "RU-SPE")


def test_surrounding_whitespace_is_ignored(city: MaxMindResolver) -> None:
    """An address with spaces around it (as in a forwarded header) still resolves."""
    assert city.resolve(" 5.8.1.1 ").region == "RU-MOW"


def test_address_outside_the_database_is_unknown(city: MaxMindResolver) -> None:
    """A public address no network covers gives 'not in the database'."""
    assert city.resolve("8.8.8.8") == GeoLookup(ip="8.8.8.8", reason="not in the database")
    assert city.resolve("2001:4860::8888").reason == "not in the database"


def test_no_ip_is_unknown(city: MaxMindResolver) -> None:
    """None (a messenger channel) and an empty string are unknown with their own reasons."""
    assert city.resolve(None) == GeoLookup(ip=None, reason="no IP (channel carries none)")
    assert city.resolve("  ") == GeoLookup(ip="  ", reason="no IP (empty string)")


@pytest.mark.parametrize("text", MALFORMED)
def test_malformed_ip_is_unknown(city: MaxMindResolver, text: str) -> None:
    """A string that is not an IP address gives 'malformed IP' quoting it."""
    assert city.resolve(text) == GeoLookup(ip=text, reason=f"malformed IP {text!r}")


def test_huge_malformed_input_is_quoted_short(city: MaxMindResolver) -> None:
    """A very long malformed string is cut short in the reason."""
    reason = city.resolve("x" * 10_000).reason
    assert reason is not None
    assert reason.startswith("malformed IP 'xxx")
    assert len(reason) < 100


@pytest.mark.parametrize("value", [5, 3.5, b"5.8.1.1", ["5.8.1.1"], ipaddress.ip_address("5.8.1.1")])
def test_non_string_ip_is_unknown(city: MaxMindResolver, value: object) -> None:
    """A value that is not a string never raises: ip is None and the reason names the type."""
    lookup = city.resolve(value)  # type: ignore[arg-type]
    assert lookup.ip is None
    assert lookup.reason == f"not an IP string: {value!r} ({type(value).__name__})"


@pytest.mark.parametrize(("text", "reason"), SPECIAL)
def test_special_addresses_are_classified_before_the_database(
    city: MaxMindResolver, text: str, reason: str
) -> None:
    """Private, loopback, link-local, multicast, reserved, unspecified addresses never reach the database."""
    assert city.resolve(text) == GeoLookup(ip=text, reason=reason)
    assert city.cache_info().misses == 0  # 10.0.0.0/8 is in the file, yet was never looked up


@given(text=st.text(max_size=60))
def test_arbitrary_text_never_raises(city_db: Path, text: str) -> None:
    """Any string gives a GeoLookup that is either known or carries a reason."""
    with MaxMindResolver(city_db) as resolver:
        lookup = resolver.resolve(text)
    assert lookup.ip == text
    assert lookup.known != (lookup.reason is not None)


@given(value=st.one_of(st.none(), st.integers(), st.binary(max_size=20), st.lists(st.text(max_size=5))))
def test_arbitrary_values_never_raise(city_db: Path, value: object) -> None:
    """None or a non-string value gives an unknown lookup with a reason, never an exception."""
    with MaxMindResolver(city_db) as resolver:
        lookup = resolver.resolve(value)  # type: ignore[arg-type]
    assert not lookup.known
    assert lookup.reason is not None


@given(address=st.ip_addresses())
def test_arbitrary_addresses_match_the_records(
    city_db: Path, address: ipaddress.IPv4Address | ipaddress.IPv6Address
) -> None:
    """Every IPv4/IPv6 address resolves exactly as the static table of the same records does."""
    with MaxMindResolver(city_db) as resolver:
        from_db = resolver.resolve(str(address))
    from_table = StaticResolver(TABLE).resolve(str(address))
    assert (from_db.country, from_db.subdivision) == (from_table.country, from_table.subdivision)
    if from_table.reason == "not in the table":
        assert from_db.reason == "not in the database"
    else:
        assert from_db.reason == from_table.reason


# Unavailable databases -----------------------------------------------------------------


def test_missing_database_file_does_not_raise(tmp_path: Path) -> None:
    """A path with no file gives a resolver whose every lookup names the path and the error."""
    path = tmp_path / "nowhere" / "GeoLite2-City.mmdb"
    resolver = MaxMindResolver(path)
    expected = f"database unavailable: {path}: No such file or directory"
    assert (resolver.available, resolver.error, resolver.database_type) == (False, expected, None)
    assert resolver.resolve("5.8.1.1") == GeoLookup(ip="5.8.1.1", reason=expected)
    assert resolver.resolve("10.0.0.5").reason == "private address 10.0.0.5"
    resolver.close()


def test_garbage_file_does_not_raise(tmp_path: Path) -> None:
    """A file of garbage bytes is reported as an unavailable database, not raised."""
    path = tmp_path / "garbage.mmdb"
    path.write_bytes(bytes(range(256)) * 8)
    resolver = MaxMindResolver(path)
    assert not resolver.available
    reason = resolver.resolve("5.8.1.1").reason
    assert reason is not None
    assert reason.startswith(f"database unavailable: {path}: ")
    assert "valid MaxMind DB" in reason


def test_directory_instead_of_file_does_not_raise(tmp_path: Path) -> None:
    """A directory given as the database is unavailable, not an exception."""
    resolver = MaxMindResolver(tmp_path)
    assert resolver.error is not None
    assert resolver.error.startswith(f"database unavailable: {tmp_path}: ")


def test_corrupt_search_tree_fails_per_lookup_without_raising(tmp_path: Path) -> None:
    """A file with valid metadata but a smashed search tree gives unknown lookups, not exceptions."""
    path = build_city_db(tmp_path / "city.mmdb", CITY_RECORDS)
    data = bytearray(path.read_bytes())
    data[:120] = b"\xff" * 120
    path.write_bytes(bytes(data))
    resolver = MaxMindResolver(path)
    assert resolver.available  # the metadata still reads
    reason = resolver.resolve("5.8.1.1").reason
    assert reason is not None
    assert reason.startswith(f"database unavailable: {path}: ")
    assert "corrupt" in reason


def test_record_of_the_wrong_shape_does_not_raise(tmp_path: Path) -> None:
    """A record whose country is not a map (a schema mismatch) gives an unknown lookup."""
    path = write_mmdb(tmp_path / "odd.mmdb", {"5.8.0.0/16": {"country": "RU"}})
    lookup = MaxMindResolver(path).resolve("5.8.1.1")
    assert not lookup.known
    assert lookup.reason is not None
    assert lookup.reason.startswith(f"database unavailable: {path}: ")


def test_record_without_a_country_is_unknown(tmp_path: Path) -> None:
    """A record that has only a continent (as some MaxMind networks do) is unknown, with a reason."""
    path = write_mmdb(tmp_path / "eu.mmdb", {"5.8.0.0/16": {"continent": {"code": "EU"}}})
    lookup = MaxMindResolver(path).resolve("5.8.1.1")
    assert lookup == GeoLookup(ip="5.8.1.1", reason="the database record has no country")


def test_unsupported_database_type_is_unavailable(tmp_path: Path) -> None:
    """An ASN database is neither City nor Country: every lookup says so."""
    path = write_mmdb(
        tmp_path / "asn.mmdb", {"5.8.0.0/16": {"autonomous_system_number": 1}}, database_type="GeoLite2-ASN"
    )
    resolver = MaxMindResolver(path)
    assert resolver.error == (
        f"database unavailable: {path}: 'GeoLite2-ASN' is not a City, Country or Enterprise database"
    )
    assert resolver.resolve("5.8.1.1").reason == resolver.error


# Other database kinds ----------------------------------------------------------------


def test_country_database_gives_countries_only(tmp_path: Path) -> None:
    """A GeoLite2-Country database is read with country(): country code, no subdivision."""
    path = build_country_db(tmp_path / "country.mmdb", {"5.8.0.0/16": "RU", "2a02:6b8::/32": "RU"})
    with MaxMindResolver(path) as resolver:
        assert resolver.database_type == "GeoLite2-Country"
        assert resolver.resolve("5.8.1.1") == GeoLookup(ip="5.8.1.1", country="RU")
        assert resolver.resolve("2a02:6b8::1").region == "RU"
        assert resolver.resolve("46.1.1.1").reason == "not in the database"


def test_city_database_of_another_vendor_type_name(tmp_path: Path) -> None:
    """Any type containing "City" (e.g. GeoIP2-City, DBIP-City-Lite) is read as a City database."""
    path = build_city_db(
        tmp_path / "dbip.mmdb", {"5.8.0.0/16": ("RU", "SPE")}, database_type="DBIP-City-Lite"
    )
    assert MaxMindResolver(path).resolve("5.8.1.1").region == "RU-SPE"


def test_ipv4_only_database(tmp_path: Path) -> None:
    """An IPv4-only database resolves IPv4 and reports IPv6 addresses as not covered."""
    path = build_city_db(tmp_path / "v4.mmdb", {"5.8.0.0/16": ("RU", "MOW")}, ip_version=4)
    resolver = MaxMindResolver(path)
    assert resolver.resolve("5.8.1.1").region == "RU-MOW"
    assert resolver.resolve("::ffff:5.8.1.1").region == "RU-MOW"
    assert resolver.resolve("2a02:6b8::1").reason == "not in the database (an IPv4-only database)"


# Cache and life cycle ------------------------------------------------------------------


def test_repeated_lookups_hit_the_cache(city: MaxMindResolver) -> None:
    """A second lookup of an address (in any spelling) is served from the cache."""
    first = city.resolve("5.8.1.1")
    assert city.resolve("5.8.1.1") == first
    assert city.resolve("::ffff:5.8.1.1").region == "RU-MOW"
    assert city.resolve("8.8.8.8").reason == "not in the database"
    info = city.cache_info()
    assert (info.hits, info.misses, info.currsize, info.maxsize) == (2, 2, 2, 4096)


def test_cache_is_bounded(city_db: Path) -> None:
    """With cache_size=2 a third address evicts the least recently used one."""
    resolver = MaxMindResolver(city_db, cache_size=2)
    for ip in ["5.8.1.1", "5.8.10.1", "46.1.1.1", "5.8.1.1"]:
        resolver.resolve(ip)
    info = resolver.cache_info()
    assert (info.currsize, info.hits, info.misses) == (2, 0, 4)


def test_cache_can_be_turned_off(city_db: Path) -> None:
    """cache_size=0 keeps nothing, and answers stay the same."""
    resolver = MaxMindResolver(city_db, cache_size=0)
    assert [resolver.resolve("5.8.1.1").region for _ in range(3)] == ["RU-MOW"] * 3
    assert resolver.cache_info().currsize == 0


@pytest.mark.parametrize("size", [-1, 1.5, True, "10"])
def test_invalid_cache_size_is_refused(city_db: Path, size: object) -> None:
    """A cache size that is not a non-negative integer raises InvalidValue naming cache_size."""
    with pytest.raises(InvalidValue, match="cache_size") as info:
        MaxMindResolver(city_db, cache_size=size)  # type: ignore[arg-type]
    assert info.value.field == "cache_size"


def test_close_makes_lookups_unknown(city_db: Path) -> None:
    """After close() (or leaving a with block) lookups say the resolver is closed; closing twice is fine."""
    with MaxMindResolver(city_db) as resolver:
        assert resolver.resolve("5.8.1.1").known
    assert not resolver.available
    assert resolver.resolve("5.8.1.1").reason == f"database unavailable: {city_db}: resolver closed"
    assert resolver.cache_info().currsize == 0
    resolver.close()
    assert resolver.resolve("10.0.0.5").reason == "private address 10.0.0.5"


def test_path_and_repr(city_db: Path, tmp_path: Path) -> None:
    """path is the file as a string; the repr shows the database type or the error."""
    resolver = MaxMindResolver(city_db)
    assert resolver.path == str(city_db)
    assert repr(resolver) == f"<MaxMindResolver {str(city_db)!r}: GeoLite2-City>"
    missing = MaxMindResolver(str(tmp_path / "none.mmdb"))
    assert "No such file or directory" in repr(missing)


# StaticResolver --------------------------------------------------------------------------


def test_static_longest_prefix_wins() -> None:
    """The narrowest network containing the address decides, whatever the table's order."""
    table = StaticResolver({"5.0.0.0/8": "RU", "5.8.10.0/24": "RU-SPE", "5.8.0.0/16": "RU-MOW"})
    assert table.resolve("5.8.10.1") == GeoLookup(ip="5.8.10.1", country="RU", subdivision="RU-SPE")
    assert table.resolve("5.8.200.1").region == "RU-MOW"
    assert table.resolve("5.9.0.1") == GeoLookup(ip="5.9.0.1", country="RU")
    assert table.resolve("6.0.0.1") == GeoLookup(ip="6.0.0.1", reason="not in the table")


def test_static_ipv6_and_single_addresses() -> None:
    """IPv6 networks and bare addresses (a /32 or /128) work, and the versions never mix."""
    table = StaticResolver({"2a02:6b8::/32": "RU-MOW", "8.8.8.8": "US", "::/0": "DE"})
    assert table.resolve("2a02:6b8:0:1::5").region == "RU-MOW"
    assert table.resolve("2001:4860::1").region == "DE"
    assert table.resolve("8.8.8.8").region == "US"
    assert table.resolve("8.8.4.4").reason == "not in the table"
    assert table.networks == {"2a02:6b8::/32": "RU-MOW", "8.8.8.8/32": "US", "::/0": "DE"}


def test_static_classifies_special_addresses_first() -> None:
    """A private network in the table never matches: the address is reported as private."""
    table = StaticResolver({"10.0.0.0/8": "RU-MOW", "0.0.0.0/0": "DE"})
    assert table.resolve("10.1.2.3") == GeoLookup(ip="10.1.2.3", reason="private address 10.1.2.3")
    assert table.resolve("127.0.0.1").reason == "loopback address 127.0.0.1"
    assert table.resolve("::1").reason == "loopback address ::1"
    assert table.resolve("5.8.1.1").region == "DE"


@pytest.mark.parametrize("text", MALFORMED)
def test_static_malformed_ip_is_unknown(text: str) -> None:
    """StaticResolver reports malformed IPs the same way as MaxMindResolver."""
    assert StaticResolver(TABLE).resolve(text).reason == f"malformed IP {text!r}"


@pytest.mark.parametrize(
    ("networks", "field", "problem"),
    [
        ({"5.8.0.0/33": "RU"}, "networks['5.8.0.0/33']", "not a CIDR network"),
        ({"5.8.1.0/16": "RU"}, "networks['5.8.1.0/16']", "has host bits set"),
        ({"moscow": "RU"}, "networks['moscow']", "not a CIDR network"),
        ({"5.8.0.0/16": "RU-XYZ"}, "networks['5.8.0.0/16']", "unknown region code 'RU-XYZ'"),
        ({"5.8.0.0/16": "QQ"}, "networks['5.8.0.0/16']", "unknown region code 'QQ'"),
        ({"5.8.0.0/16": "ru-mow"}, "networks['5.8.0.0/16']", "not an ISO 3166 region code"),
        ({"5.8.0.0/16": "Moscow"}, "networks['5.8.0.0/16']", "not an ISO 3166 region code"),
        ({"5.8.0.0/16": 643}, "networks['5.8.0.0/16']", "not an ISO 3166 region code"),
        ({5: "RU"}, "networks[5]", "must be a CIDR string"),
        (
            {"2a02:6b8::/32": "RU", "2a02:06b8::/32": "DE"},
            "networks['2a02:06b8::/32']",
            "2a02:6b8::/32 is already mapped to 'RU'",
        ),
    ],
)
def test_static_invalid_table_names_the_network(
    networks: dict[object, object], field: str, problem: str
) -> None:
    """An invalid CIDR or region code raises InvalidValue whose field names the network."""
    with pytest.raises(InvalidValue) as info:
        StaticResolver(networks)  # type: ignore[arg-type]
    assert info.value.field == field
    assert problem in str(info.value)
    assert str(info.value).startswith(f"{field}: ")


def test_static_same_network_twice_with_same_code_is_fine() -> None:
    """Two spellings of one network with the same code are one entry."""
    table = StaticResolver({"2a02:6b8::/32": "RU", "2a02:06b8::/32": "RU"})
    assert table.networks == {"2a02:6b8::/32": "RU"}


def test_static_repr_rebuilds_the_resolver() -> None:
    """The repr is valid Python that builds an equivalent resolver."""
    table = StaticResolver(TABLE)
    again = eval(repr(table))
    assert isinstance(again, StaticResolver)
    assert again.networks == table.networks


_CODES = ["RU", "RU-MOW", "RU-SPE", "DE", "DE-BY"]


@given(
    networks=st.dictionaries(
        st.builds(
            lambda bits, length: str(ipaddress.ip_network((5 << 24 | bits, length), strict=False)),
            st.integers(0, 2**24 - 1),
            st.integers(8, 32),
        ),
        st.sampled_from(_CODES),
        max_size=12,
    ),
    host=st.integers(0, 2**24 - 1),
)
def test_static_matches_a_brute_force_longest_prefix(networks: dict[str, str], host: int) -> None:
    """For random tables inside 5.0.0.0/8, the answer is the code of the longest containing network."""
    address = ipaddress.IPv4Address(5 << 24 | host)
    containing = [ipaddress.ip_network(n) for n in networks if address in ipaddress.ip_network(n)]
    lookup = StaticResolver(networks).resolve(str(address))
    if containing:
        best = max(containing, key=lambda n: n.prefixlen)
        assert lookup.region == networks[str(best)]
        assert lookup.country == networks[str(best)][:2]
    else:
        assert lookup.reason == "not in the table"


@given(text=st.text(max_size=60))
def test_static_arbitrary_text_never_raises(text: str) -> None:
    """Any string gives StaticResolver a lookup that is known or carries a reason."""
    lookup = StaticResolver(TABLE).resolve(text)
    assert lookup.ip == text
    assert lookup.known != (lookup.reason is not None)


def test_an_open_geoip2_reader_is_used_and_left_open(city_db: Path) -> None:
    """A host's own geoip2 reader resolves like the file, and closing the resolver does not close it."""
    import geoip2.database

    reader = geoip2.database.Reader(str(city_db))
    with MaxMindResolver(reader) as resolver:
        assert resolver.available
        assert resolver.path == "<open geoip2 reader>"
        assert resolver.resolve("5.8.1.1").region == MaxMindResolver(city_db).resolve("5.8.1.1").region
    assert reader.city("5.8.1.1").country.iso_code == "RU"  # still open
    reader.close()


@pytest.mark.parametrize("value", [None, 42, object()], ids=repr)
def test_something_that_is_neither_a_path_nor_a_reader_is_refused(value: object) -> None:
    """A wrong type is an InvalidValue naming the argument, not a resolver that is unavailable."""
    with pytest.raises(InvalidValue, match="path"):
        MaxMindResolver(value)  # type: ignore[arg-type]

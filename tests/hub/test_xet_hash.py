"""The Xet hashes against the worked examples of xet-cas.md §4.4 and §4.5 (taken from hf_xet)."""

from __future__ import annotations

import lz4.frame

from hfsync.testing.hub.xet_format import decompress
from hfsync.testing.hub.xet_hash import (
    chunk_hash,
    file_hash,
    from_hex,
    merkle_root,
    to_hex,
    verification_hash,
)


def test_string_form_reverses_each_8_byte_group() -> None:
    raw = bytes(range(32))
    text = to_hex(raw)
    assert text == "07060504030201000f0e0d0c0b0a090817161514131211101f1e1d1c1b1a1918"
    assert from_hex(text) == raw


def test_hashes_of_a_one_chunk_file() -> None:
    chunk = chunk_hash(b"hello\n")
    assert chunk.hex() == "284f055dd72790f75f1aeefdeec43d41ac513fec7b53630debf83dae52e612a0"
    assert to_hex(merkle_root([(chunk, 6)])) == (
        "f79027d75d054f28413dc4eefdee1a5f0d63537bec3f51aca012e652ae3df8eb"
    )
    assert to_hex(file_hash([(chunk, 6)])) == (
        "fbf3242e7f6725a9dc46e5030d43ca9dd5265dd3690ccd1b1b8dcbdee88cb81b"
    )
    assert verification_hash([chunk]).hex() == (
        "2640357accaa1c234df10d038f8ad2c774d853064d6279f2d79b8778fb6af6d9"
    )


def test_merkle_root_groups_by_the_cut_rule() -> None:
    chunks = [
        ("7770918cd882f7515e3f3a13bf47b2ab16b3387ab4a8c033ec31f5fb899ffe51", 124_345),
        ("23fd5139d8ee5b58916c2297a3d45b20ecf5cda3c30dd276d2ec8566fbef7961", 30_708),
        ("242f87ba5a2887923f4d3669829b1f41f93910c2966730fcd1b074b645d9d028", 54_594),
        ("2bfb6f2fad445e00fce689a0a1a6db347abe0aaefec84038aa04aaa7d65315eb", 37_889),
    ]
    raws = [(from_hex(text), size) for text, size in chunks]
    assert to_hex(merkle_root(raws)) == (
        "f1280ffad1e87845f91ccd6cd09cc957ef8e649a4b40896f75f3c9f9fe2438a7"
    )
    assert to_hex(file_hash(raws)) == (
        "4396e689bd898feef48d0ba1f68794c9493a8a25485a3f22c8db29b5591f6140"
    )


def test_chunk_schemes_decode() -> None:
    data = bytes(range(256)) * 10 + b"tail!"
    assert decompress(0, data, len(data)) == data
    assert decompress(1, lz4.frame.compress(data), len(data)) == data
    parts = [data[k::4] for k in range(4)]  # byte grouping: every 4th byte, first part longest
    assert decompress(2, lz4.frame.compress(b"".join(parts)), len(data)) == data

"""Pages are decoded by evidence: a wrong charset label does not turn Arabic into mojibake."""
import pytest

from pipelines.decoding import decode_html, implausible

ARABIC = "أعلنت وزارة الصحة اليوم عن إطلاق حملة وطنية للتطعيم في جميع المحافظات. " * 4
FRENCH = "Le ministère a annoncé une campagne nationale de vaccination générale à l'été. " * 4


@pytest.mark.parametrize("written, declared", [
    ("cp1256", "cp1252"),      # windows-1256 bytes under a windows-1252 meta tag
    ("cp1256", "iso-8859-1"),
    ("cp1256", "utf-8"),       # legacy bytes under a UTF-8 label: replacement characters
    ("utf-8", "cp1256"),       # UTF-8 bytes under a legacy label: valid UTF-8 wins
    ("utf-8", "cp1252"),
])
def test_wrong_label_is_overruled(written, declared):
    body = f"<html><body><p>{ARABIC}</p></body></html>".encode(written)
    decoded = decode_html(body, body.decode(declared, errors="replace"), declared)
    assert ARABIC in decoded.text
    assert decoded.redecoded_from == declared


@pytest.mark.parametrize("text, encoding", [(ARABIC, "cp1256"), (ARABIC, "utf-8"), (FRENCH, "cp1252")])
def test_right_label_is_kept(text, encoding):
    body = text.encode(encoding)
    decoded = decode_html(body, body.decode(encoding), encoding)
    assert decoded.text == text and decoded.redecoded_from is None


def test_plausibility():
    assert implausible(ARABIC.encode("cp1256").decode("cp1252", errors="replace"))
    assert not implausible(FRENCH) and not implausible(ARABIC)


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_utf8_that_was_read_as_latin1_once_is_repaired_under_a_utf8_label(bom):
    # valid UTF-8 throughout, so the evidence is counted on the body's own bytes
    body = bom + f"<p>{ARABIC}</p>".encode("utf-8").decode("latin-1").encode("utf-8")
    decoded = decode_html(body, body.decode("utf-8-sig"), "utf-8")
    assert ARABIC in decoded.text and decoded.redecoded_from == "utf-8"


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_plain_utf8_with_or_without_a_bom_is_kept(bom):
    body = bom + ARABIC.encode("utf-8")
    decoded = decode_html(body, body.decode("utf-8-sig"), "utf-8")
    assert decoded.text == ARABIC and decoded.redecoded_from is None

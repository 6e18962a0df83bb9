"""Decode a page by evidence, not by trust.

Scrapy picks the charset a page declares (HTTP header, BOM, meta tag) and decodes with
replacement. Old Arabic sites often declare the wrong one: windows-1256 bytes under a
windows-1252 or ISO-8859-1 label decode without error into Latin mojibake ("ÇáÚÑÈíÉ"),
and UTF-8 labels sit on windows-1256 bytes. A result that is undecodable or implausible
under the declared charset is decoded again with the charsets Arabic pages really use,
and the most plausible text wins.
"""
from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import numpy as np

FALLBACK_ENCODINGS = ("utf-8", "cp1256")
LATIN1_LETTERS = re.compile("[\u0080-\u009f\u00c0-\u00ff]")   # C1 controls and Latin-1 letters
MOJIBAKE_RUN = re.compile("[\u0080-\u009f\u00c0-\u00ff]{3,}")
MIN_MOJIBAKE_RUNS = 20
UTF8_LEAD_LETTERS = "طظآأ"
MAX_LEAD_LETTER_SHARE = 0.3   # in Arabic prose these four are under a tenth of the letters
REPLACEMENT = "\ufffd"
MAX_REPLACEMENT_SHARE = 0.001
CONTROL_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")   # never text; lxml refuses NUL
# Every byte but those controls: deleting them from a body leaves only its control bytes,
# a memory-speed test that spares most pages the regular expression.
NOT_CONTROL_BYTES = bytes(b for b in range(256) if not CONTROL_CHARS.match(chr(b)))
SAMPLE_CHARS = 200_000   # evidence from the first part: a huge page is judged as fast as a small one


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    redecoded_from: str | None = None   # the declared charset, when its result was rejected


def _counts(text: str, raw: bytes | None = None) -> tuple[int, int]:
    """(Arabic-block characters, characters U+0080-U+00FF) of a text, counted on its UTF-8
    bytes (`raw`, when the caller has them), where each is a two-byte sequence with its own
    lead bytes: one count of every byte value in a pass at memory speed, where a regular
    expression over 100 KB of Arabic takes milliseconds."""
    if raw is None:
        raw = text.encode("utf-8", "surrogatepass")
    counts = np.bincount(np.frombuffer(raw, dtype=np.uint8), minlength=256)
    return int(counts[0xd8:0xdc].sum()), int(counts[0xc2] + counts[0xc3])


def implausible(text: str, raw: bytes | None = None) -> bool:
    """Undecodable in places, or mojibake: runs of three or more Latin-1 letters in a row,
    which French, German or Turkish words never are ("été" has its "t") and Arabic read
    through a Latin charset is made of ("ÇáÚÑÈíÉ"); or UTF-8 read as windows-1256.
    `raw`: the text's UTF-8 bytes, when the caller has them."""
    if len(text) > SAMPLE_CHARS:
        text, raw = text[:SAMPLE_CHARS], None
    if text.count(REPLACEMENT) > MAX_REPLACEMENT_SHARE * max(len(text), 1):
        return True
    arabic, latin1 = _counts(text, raw)
    # too few Latin-1 characters to make the runs: the regular expression need not look
    if latin1 >= 3 * MIN_MOJIBAKE_RUNS and len(MOJIBAKE_RUN.findall(text)) >= MIN_MOJIBAKE_RUNS:
        return True
    # UTF-8 read as windows-1256: every letter becomes a lead byte (ط ظ, or آ أ for
    # Latin-1 pairs) and a second character, so those four letters crowd the text.
    return arabic >= 50 and sum(text.count(c) for c in UTF8_LEAD_LETTERS) > MAX_LEAD_LETTER_SHARE * arabic


def _is_utf8(encoding: str | None) -> bool:
    return (encoding or "").lower().replace("-", "").replace("_", "") in ("utf8", "utf8sig")


def _score(text: str) -> float:
    """Only for pages whose declared charset failed: exact, not fast."""
    text = text[:SAMPLE_CHARS]
    return _counts(text)[0] - 10 * text.count(REPLACEMENT) - len(LATIN1_LETTERS.findall(text))


def _legacy_bytes(error: UnicodeDecodeError):
    """Bytes that are not UTF-8 inside a UTF-8 page: a paragraph pasted from a windows-1256
    system, read as such (one byte is one character there, so any run decodes)."""
    return error.object[error.start:error.end].decode("cp1256", errors="replace"), error.end


codecs.register_error("arabic_news_cp1256", _legacy_bytes)


def _undo_double_encoding(text: str) -> str | None:
    """UTF-8 that was once read as windows-1252 (or Latin-1) and saved again as UTF-8:
    encoding it back and reading it as UTF-8 gives the original, when that works."""
    for legacy in ("cp1252", "latin-1"):
        try:
            return text.encode(legacy).decode("utf-8")
        except UnicodeError:
            continue
    return None


def decode_html(body: bytes, declared_text: str, declared_encoding: str) -> Decoded:
    """`declared_text` is the body as decoded under `declared_encoding` (Scrapy's
    response.text); keep it unless the bytes are valid UTF-8 under another label, or the
    text is implausible and another charset does better."""
    if _is_utf8(declared_encoding):
        undecodable = REPLACEMENT in declared_text
        if undecodable:
            mixed = body.decode("utf-8", errors="arabic_news_cp1256")
            if not implausible(mixed) and _score(mixed) >= _score(declared_text):
                # UTF-8 with windows-1256 pieces (or none of it UTF-8): each read as what it is
                return Decoded(mixed, "utf-8+cp1256", declared_encoding)
        # valid UTF-8 with no BOM: the body is the text's own UTF-8, no need to encode it again
        raw = body if not undecodable and not body.startswith(codecs.BOM_UTF8) else None
        if not implausible(declared_text, raw):
            return Decoded(declared_text, declared_encoding)
    else:
        # Non-ASCII bytes that form valid UTF-8 are UTF-8: text in a legacy charset almost
        # never does (windows-1256 Arabic read this way fails at once).
        try:
            if not body.isascii():
                return Decoded(body.decode("utf-8"), "utf-8", declared_encoding)
        except UnicodeDecodeError:
            pass
        if not implausible(declared_text):
            return Decoded(declared_text, declared_encoding)
    best = Decoded(declared_text, declared_encoding)
    best_score = _score(declared_text)
    repaired = _undo_double_encoding(declared_text)
    if repaired is not None and not implausible(repaired) and _score(repaired) > best_score:
        best, best_score = Decoded(repaired, f"{declared_encoding}+double-encoded", declared_encoding), _score(repaired)
    for encoding in FALLBACK_ENCODINGS:
        text = body.decode(encoding, errors="replace")
        score = _score(text)
        if score > best_score and not implausible(text):
            best, best_score = Decoded(text, encoding, declared_encoding), score
    return best


def body_has_controls(body: bytes) -> bool:
    """In the ASCII-compatible charsets pages use, C0 controls are those very bytes."""
    return bool(body.translate(None, NOT_CONTROL_BYTES))

import pytest

from pipelines.markers import KINDS, default_markers, load_markers


def test_every_kind_is_present_and_key_normalised():
    m = default_markers()
    for kind in KINDS:
        assert m.by_kind[kind], kind
        assert all(k == k.strip() and "أ" not in k for k in m.by_kind[kind])


@pytest.mark.parametrize("line", ["اقرأ أيضا", "اقرأ أيضًا", "اقرأ أيضاً", "إقرأ أيضاً:", "اقرأ ايضا", "طالع أيضا", "شاهد أيضاً"])
def test_read_also_spellings_match(line):
    from pipelines.normalize import normalize_key
    assert default_markers().prefix("read_also", normalize_key(line))


def test_prefix_needs_a_word_boundary():
    m = default_markers()
    assert m.prefix("source", "المصدر سكاي نيوز") == "المصدر"
    assert m.prefix("source", "المصدرين") is None


def test_a_marker_file_without_a_kind_fails_fast(tmp_path):
    bad = tmp_path / "markers.toml"
    bad.write_text('tags = ["الوسوم"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="lacks kinds"):
        load_markers(bad)


def test_a_line_that_starts_a_marker_starts_with_one_of_its_first_words():
    from pipelines.normalize import normalize_key
    m = default_markers()
    firsts = m.first_words("read_also", "tags")
    for line in ("اقرأ أيضا: خبر آخر", "الوسوم: اقتصاد، سياسة", "كلمات دلالية"):
        key = normalize_key(line)
        assert (m.prefix("read_also", key) or m.prefix("tags", key)) and key.split()[0] in firsts
    assert normalize_key("قال الوزير").split()[0] not in firsts


@pytest.mark.parametrize("kind", ["caption", "embed", "notice"])
def test_contains_finds_the_longest_marker_as_whole_words_only(kind):
    m = default_markers()
    longest = m.by_kind[kind][0]
    assert m.contains(kind, f"نص قبل {longest} ونص بعد") == longest
    assert m.contains(kind, f"نص قبل x{longest} ونص بعد") is None

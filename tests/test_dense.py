"""pipelines/dense.py: the page as lines."""
import lxml.html

from pipelines.dense import densest_run, lines_of


def body(html: str):
    return lxml.html.fromstring(f"<html><body>{html}</body></html>").find("body")


def test_blocks_and_breaks_end_lines_and_skipped_boxes_keep_their_tails():
    lines = lines_of(body(
        "<h2>عنوان فرعي</h2><p>الفقرة <b>الأولى</b> هنا<br>وسطر بعد الفاصل</p>"
        "<div>قبل <nav><a href='/'>الرئيسية</a> قائمة</nav>بعد القائمة<script>var x = 1;</script> وتتمة</div>"))
    assert [(ln.text, ln.heading) for ln in lines] == [
        ("عنوان فرعي", "h2"), ("الفقرة الأولى هنا", None), ("وسطر بعد الفاصل", None),
        ("قبل بعد القائمة وتتمة", None)]


def test_link_words_count_text_inside_links_at_any_depth_but_not_their_tails():
    (line,) = lines_of(body("<p>نص <a href='/a'>رابط <b>من ثلاث</b></a> كلمات بعده</p>"))
    assert (line.words, line.link_words) == (6, 3)


def test_the_densest_run_is_the_prose_between_the_menus():
    links = "".join(f"<li><a href='/{i}'>قسم {i}</a></li>" for i in range(8))
    prose = "<p>" + " ".join(["كلمة"] * 20) + "</p>"
    lines = lines_of(body(f"<ul>{links}</ul>{prose * 3}<ul>{links}</ul>"))
    start, end = densest_run(lines)
    assert [ln.words for ln in lines[start:end]] == [20, 20, 20]

from pipelines.urls import canonical_url, clean_url, doc_id, site_of


def test_clean_url_removes_tracking_and_fragment():
    assert clean_url("HTTP://WWW.Example.COM:80/a/b?utm_source=x&id=3&fbclid=y#top") == "http://www.example.com/a/b?id=3"


def test_arabic_paths_are_percent_encoded_once():
    url = clean_url("https://ar.example.com/أخبار")
    assert url == "https://ar.example.com/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1" and clean_url(url) == url


def test_site_is_the_registered_domain_offline():
    assert site_of("https://www.skynewsarabia.com/world/1") == "skynewsarabia.com"
    assert site_of("https://news.bbc.co.uk/arabic") == "bbc.co.uk"
    assert site_of("http://127.0.0.1:8731/x") == "127.0.0.1"


def test_canonical_only_on_the_same_site():
    fetched = "https://www.example.com/news/1?utm_medium=rss"
    assert canonical_url("https://example.com/news/one", fetched) == "https://example.com/news/one"
    assert canonical_url("https://other.org/news/one", fetched) == "https://www.example.com/news/1"
    assert canonical_url(None, fetched) == "https://www.example.com/news/1"


def test_doc_id_is_stable_hex():
    assert doc_id("https://a/b") == doc_id("https://a/b") and len(doc_id("x")) == 40


def test_idn_hosts_become_punycode_and_paths_stay_readable_as_escapes():
    url = clean_url("http://مثال.إختبار/أخبار?utm_source=x#top")
    assert url == "http://xn--mgbh0fb.xn--kgbechtv/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1"
    assert clean_url("http://XN--MGBH0FB.xn--kgbechtv/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1") == url

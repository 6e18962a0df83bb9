import pytest

from conftest import ROOT

DEMO = ROOT / "fixtures" / "seeds" / "demo.toml"
from crawler.seeds import SeedError, load_seeds, parse_seed


def test_bundled_seed_files_load():
    seeds = load_seeds(ROOT / "seeds")
    names = {s.name for s in seeds}
    assert len(names) >= 8 and "demo" not in names
    for s in seeds:
        assert s.allowed_domains and (s.start_urls or s.sitemaps or s.feeds)
        # seeds/ holds real sites: none may reach a loopback or private address
        assert not s.allow_private_networks, s.path


def test_a_seeds_private_network_allowance_covers_exactly_its_own_host_and_port():
    demo = load_seeds(DEMO)[0]
    assert demo.allow_private_networks and demo.endpoints == {("127.0.0.1", 8731)}
    assert demo.names_endpoint("http://127.0.0.1:8731/robots.txt")
    assert not demo.names_endpoint("http://127.0.0.1:8732/portal/")
    assert not demo.names_endpoint("http://127.0.0.1/portal/")       # port 80
    assert not demo.names_endpoint("http://localhost:8731/portal/")
    spider = spider_with(seeds=str(DEMO))
    from scrapy import Request
    assert spider.allows_private_network(Request("http://127.0.0.1:8731/legacy/"))
    assert not spider.allows_private_network(Request("http://127.0.0.1:6379/"))


def test_first_run_since_is_a_date():
    seed = parse_seed({"name": "x", "allowed_domains": ["a.com"], "article_pattern": "a", "feeds": ["u"],
                       "first_run_since": "2024-03-01"}, "x.toml")
    assert seed.first_run_since.isoformat() == "2024-03-01T00:00:00+00:00"
    with pytest.raises(SeedError, match="first_run_since"):
        parse_seed({"name": "x", "allowed_domains": ["a.com"], "article_pattern": "a", "feeds": ["u"],
                    "first_run_since": "last spring"}, "x.toml")


def test_article_patterns():
    demo = load_seeds(DEMO)[0]
    assert demo.is_article("http://127.0.0.1:8731/portal/sports/006-masry-pyramids-league-draw.html")
    assert demo.is_article("http://127.0.0.1:8731/legacy/show_news_031.htm")
    assert not demo.is_article("http://127.0.0.1:8731/portal/sports/")
    youm7 = load_seeds(ROOT / "seeds" / "youm7.toml")[0]
    assert youm7.is_article("https://www.youm7.com/story/2025/7/12/some-title/7012345")


@pytest.mark.parametrize("data, message", [
    ({"name": "x", "allowed_domains": ["a.com"]}, "article_pattern"),
    ({"name": "x", "allowed_domains": ["a.com"], "article_pattern": "("}, "regular expression"),
    ({"name": "x", "allowed_domains": ["a.com"], "article_pattern": "a"}, "at least one"),
    ({"name": "x", "allowed_domains": ["a.com"], "article_pattern": "a", "feeds": ["u"], "colour": 1}, "unknown"),
])
def test_bad_seeds_fail_fast(data, message):
    with pytest.raises(SeedError, match=message):
        parse_seed(data, "test.toml")


def spider_with(**kwargs):
    from scrapy.utils.test import get_crawler

    from crawler.spiders.news import NewsSpider
    crawler = get_crawler(NewsSpider, {"SEEDS_DIR": str(ROOT / "seeds"), "STATE_URI": "sqlite:///:memory:"})
    return NewsSpider.from_crawler(crawler, **kwargs)


def test_spider_arguments_choose_seeds():
    assert [s.name for s in spider_with(site="youm7").seeds] == ["youm7"]
    assert [s.name for s in spider_with(seeds=str(DEMO)).seeds] == ["demo"]
    everything = spider_with()
    assert len(everything.seeds) >= 8 and "hespress.com" in everything.allowed_domains
    with pytest.raises(SeedError, match="no seed named"):
        spider_with(site="nosuchsite")


def test_contact_goes_into_the_user_agent():
    from scrapy.utils.test import get_crawler

    from crawler.spiders.news import NewsSpider
    from crawler import settings as project
    crawler = get_crawler(NewsSpider, {"SEEDS_DIR": str(ROOT / "seeds"), "CONTACT": "ops@example.org",
                                       "USER_AGENT": project.USER_AGENT})
    spider = NewsSpider.from_crawler(crawler)
    assert spider.user_agent.startswith("arabic-news-crawler/") and spider.user_agent.endswith("(+ops@example.org)")

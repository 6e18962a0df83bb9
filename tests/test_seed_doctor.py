"""`scrapy seeds`, the seed doctor, on the bundled demo site (offline, over loopback)."""
import os
import subprocess
import sys

from conftest import ROOT, demo_seed_for


def doctor(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "scrapy", "seeds", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_the_demo_seed_is_healthy(site_url, tmp_path):
    seed = demo_seed_for(site_url, tmp_path / "demo.toml")
    proc = doctor("-a", f"seeds={seed}")
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    out = proc.stdout
    assert "== demo" in out and "OK" in out.splitlines()[0]
    rows = {line.split()[0] + " " + line.split()[-1]: line.split() for line in out.splitlines()[2:]
            if line.startswith("  ") and not line.startswith("  sample")}
    sitemap = rows[f"sitemap {site_url}/sitemap_index.xml"]
    assert sitemap[1:4] == ["200", "sitemapindex", "3"]
    feed = rows[f"feed {site_url}/portal/rss.xml"]
    assert feed[1:4] == ["200", "rss", "9"] and feed[4:7] == ["2025-01-18", "..", "2025-11-11"] and feed[7] == "9"
    assert rows[f"robots {site_url}/robots.txt"][1] == "200"
    assert any(key.startswith("child ") for key in rows)   # the newest child of the index
    samples = [line for line in out.splitlines() if line.startswith("  sample")]
    assert len(samples) == 3 and all(" words " in line and "published 2025-" in line for line in samples)


def test_a_seed_with_a_dead_sitemap_is_broken(site_url, tmp_path):
    seed = tmp_path / "dead.toml"
    seed.write_text(f'name = "dead"\nallowed_domains = ["127.0.0.1"]\n'
                    f'sitemaps = ["{site_url}/no-such-sitemap.xml"]\nfeeds = ["{site_url}/portal/rss.xml"]\n'
                    f"article_pattern = '/portal/[a-z]+/\\d{{3}}-'\nallow_private_networks = true\n",
                    encoding="utf-8")
    proc = doctor("-a", f"seeds={seed}")
    assert proc.returncode == 1, proc.stdout + proc.stderr[-3000:]
    assert "BROKEN" in proc.stdout and f"problem: sitemap {site_url}/no-such-sitemap.xml: dead (404)" in proc.stdout
    problems = [line for line in proc.stdout.splitlines() if "problem:" in line]
    assert len(problems) == 1, problems   # the feed and its articles are fine


def test_a_pattern_that_matches_nothing_is_broken(site_url, tmp_path):
    seed = tmp_path / "nomatch.toml"
    seed.write_text(f'name = "nomatch"\nallowed_domains = ["127.0.0.1"]\nfeeds = ["{site_url}/portal/rss.xml"]\n'
                    f"article_pattern = '/no-such-section/'\nallow_private_networks = true\n", encoding="utf-8")
    proc = doctor("-a", f"seeds={seed}")
    assert proc.returncode == 1
    assert "problem: article_pattern matches none of the URLs listed" in proc.stdout


def test_articles_that_all_drop_make_a_seed_broken(site_url, tmp_path):
    """The portal's feed lists articles; a QUALITY_MIN_WORDS no article reaches drops them all."""
    seed = tmp_path / "drops.toml"
    seed.write_text(f'name = "drops"\nallowed_domains = ["127.0.0.1"]\nfeeds = ["{site_url}/portal/rss.xml"]\n'
                    f"article_pattern = '/portal/[a-z]+/\\d{{3}}-'\nallow_private_networks = true\n",
                    encoding="utf-8")
    proc = doctor("-a", f"seeds={seed}", "-s", "QUALITY_MIN_WORDS=100000", "-s", "QUALITY_MIN_WORDS_UNMARKED=100000")
    assert proc.returncode == 1
    assert "problem: all 3 sample articles were dropped" in proc.stdout
    assert proc.stdout.count("sample   dropped (") == 3


def test_make_demo_seeds_checks_the_bundled_site(tmp_path):
    """`make demo-seeds`: the doctor on the demo site as shipped (its own port, or DEMO_PORT)."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DEMO_PORT": str(port)}
    proc = subprocess.run([sys.executable, "-m", "crawler.demo", "seeds"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr[-3000:]
    assert "== demo" in proc.stdout and ": OK" in proc.stdout

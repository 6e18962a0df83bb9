"""Settings of the Arabic news crawler. Every knob is a setting: override with -s NAME=VALUE."""

from pipelines.page import DOCUMENT_FIELDS
from pipelines.steps import CLEANING_STEPS as DEFAULT_CLEANING_STEPS

BOT_NAME = "arabic_news"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"
COMMANDS_MODULE = "crawler.commands"

# --- where to crawl -------------------------------------------------------------------
SEEDS_DIR = "seeds"            # `scrapy crawl news` crawls every seeds/*.toml
SKIP_SEEN_ARTICLES = True      # do not re-download article URLs the state store has seen
# Fetch again articles first exported less than this many hours ago, to pick up corrections:
# a changed text is exported again under the same id with `updated` set (0: never).
REFETCH_HOURS = 0

# --- freshness (docs/discovery.md) --------------------------------------------------------
# A run reads what changed in a window: `-a since=2026-12-01` (or a span: since=3d) when
# given; else since the site's last complete run, less DISCOVERY_OVERLAP_HOURS; a site's
# first run reads its last DISCOVERY_DAYS days (a seed's first_run_since reaches further).
DISCOVERY_DAYS = 2
DISCOVERY_OVERLAP_HOURS = 6
# Child sitemaps of an index with neither a lastmod nor a date in their URL: this many are
# read, taken at the two ends of the index (where the newest are); 0: every one.
DISCOVERY_UNDATED_SITEMAPS = 4
# Article URLs this run remembers having asked for (bounded; the dupefilter catches the rest).
DISCOVERY_RECENT_URLS = 100_000
# At most this many article requests per site and run (0: no bound); a capped site is read
# on from the same point by the next run. CLOSESPIDER_* settings bound the whole run.
MAX_ARTICLES_PER_SITE = 5000
# Links followed from a section page or an article (a listed article starts at 0); a seed's
# max_depth may be lower.
DEPTH_LIMIT = 3

# --- politeness on real sites -----------------------------------------------------------
USER_AGENT = "arabic-news-crawler/0.1"
CONTACT = ""                   # a URL or e-mail for site owners; appended to the User-Agent
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
# Scrapy (2.13+) starts this many asyncio tasks for the output of every response; an article
# yields one page and a few links, so Scrapy's 100 cost more to start than they ever do.
CONCURRENT_ITEMS = 16
DOWNLOAD_TIMEOUT = 30
# Never connect to loopback, private, link-local (cloud metadata) or reserved addresses, as
# resolved, redirects included (crawler/middlewares/network.py); seeds may allow it for themselves.
ALLOW_PRIVATE_NETWORKS = False
DUPEFILTER_CLASS = "crawler.dupefilter.CountingDupeFilter"   # counts redirect loops it filters
# At most this many links taken from one sitemap, feed or section page (a sitemap file holds
# 50,000 at most by its protocol). URLLENGTH_LIMIT, DOWNLOAD_MAXSIZE (also on decompressed
# bodies) and a seed's max_depth bound the rest.
DISCOVERY_MAX_LINKS = 50_000
URLLENGTH_LIMIT = 2083
DOWNLOADER_MIDDLEWARES = {
    "crawler.middlewares.network.PrivateNetworkGuard": 50,
    "crawler.middlewares.seen.SeenRedirectFilter": 60,
    # robots.txt's Crawl-delay, which Scrapy's RobotsTxtMiddleware (100) does not apply
    "crawler.middlewares.crawldelay.RobotsCrawlDelay": 110,
}
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
RETRY_TIMES = 2
REDIRECT_MAX_TIMES = 5

# Off: neither belongs in an unattended crawler (docs/development.md: remote control leaves
# job files behind after kill -9).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# --- the cleaning pipeline ----------------------------------------------------------------
ITEM_PIPELINES = {
    # the CPU-heavy steps, in a pool of processes (CLEANING_STEPS, CLEANING_PROCESSES)
    "pipelines.pool.CleaningPipeline": 100,
    # the claims in the state store, where the store is: in the crawler process
    "pipelines.dedupe.DedupePipeline": 600,
    "pipelines.document.DocumentPipeline": 700,
}
# Steps of the cleaning pool, in order: each an item pipeline class whose process_item
# takes a page and returns it or raises a drop. Add your own here to run it in the pool.
CLEANING_STEPS = list(DEFAULT_CLEANING_STEPS)   # the list is in pipelines/steps.py
CLEANING_PROCESSES = None      # worker processes for the cleaning steps; None: one per core; 0: none
# A page whose steps run longer is dropped as `cleaning_timeout` and its process replaced
# (pipelines/pool.py); 0: no bound. Not enforced with CLEANING_PROCESSES=0.
CLEANING_PAGE_TIMEOUT = 60
EXTRACT_PRUNE_XPATHS = []      # XPath expressions pruned from every page before extraction
BOILERPLATE_MARKERS_FILE = ""  # a replacement for pipelines/markers.toml
LANGUAGES = ["ar"]             # documents in other languages are dropped
LANGUAGE_SAMPLE_CHARS = 1500
QUALITY_MIN_WORDS = 60
QUALITY_MIN_WORDS_UNMARKED = 150   # pages with neither og:type/JSON-LD article nor a real date
QUALITY_MIN_WORDS_VIDEO = 20        # video pages (og:type video, VideoObject): the description is the text
QUALITY_MAX_LINK_SHARE = 0.4
QUALITY_MAX_HEADLINE_SHARE = 0.3
QUALITY_MIN_NEIGHBOUR_OVERLAP = 0.02
STATE_URI = "sqlite:///.state/state.sqlite"
STATE_LOCK = True              # one crawl at a time per SQLite store; a second one stops at once
# With a Redis STATE_URI, every `scrapy crawl news` process joins one crawl: scrapy-redis
# shares the request queue and dupefilter (crawler/distributed.py). A worker stops when the
# shared queue has stayed empty this many seconds.
SHARE_SCHEDULER = True
WORKER_IDLE_TIMEOUT = 30
DEDUPE_ENABLED = True          # False: keep the URL check, drop the content checks
DEDUPE_NEAR_THRESHOLD = 0.8
DEDUPE_MINHASH_PERMUTATIONS = 128
DEDUPE_MINHASH_BANDS = 16
DEDUPE_SHINGLE_WORDS = 3
DEDUPE_MINHASH_SEED = 1
# A canonical URL named by more distinct fetched URLs than this in one run is a template's
# mistake, not one article: it is ignored for the pages after (0: always trust it).
DEDUPE_CANONICAL_MAX_SHARED = 3

EXTENSIONS = {
    # the crawl's one state store (STATE_URI), opened on first use (crawler/state.py)
    "crawler.state.StateStoreExtension": 0,
    # feeds that record what they failed to write (crawler/extensions/feeds.py)
    "scrapy.extensions.feedexport.FeedExporter": None,
    "crawler.extensions.feeds.CheckedFeedExporter": 0,
    "crawler.extensions.docstats.DocStats": 100,
    # WARC_DIR: every raw response to WARC files; an extension on response_downloaded, not a
    # middleware, so it sees each response as received, before any process_response
    "crawler.extensions.warcarchive.WarcArchive": 300,
    # the per-site report and the close-time checks (crawler/extensions/report.py, checks.py)
    "crawler.extensions.report.CrawlReport": 200,
    # the periodic progress line in the crawl's own terms replaces Scrapy's
    "scrapy.extensions.logstats.LogStats": None,
    "crawler.extensions.report.ProgressStats": 0,
}
SUMMARY_FILE = ""              # also write the end-of-run report here, as JSON
LOG_FORMATTER = "crawler.extensions.docstats.QuietDropsLogFormatter"
LOG_LEVEL = "INFO"

# --- feeds --------------------------------------------------------------------------------
# Used only when no feed is configured (no FEEDS, no -o/-O): Scrapy adds the FEEDS
# setting to the feeds given on the command line, so a default there would always be written.
DEFAULT_FEED_URI = "output/%(name)s-%(time)s.jsonl"
DEFAULT_FEED_FORMAT = "jsonlines"
FEED_EXPORT_ENCODING = "utf-8"
FEED_STORE_EMPTY = False       # an hourly run that finds nothing new leaves no empty file
FEED_EXPORT_FIELDS = list(DOCUMENT_FIELDS)  # the contract's fields, in its order
# Scrapy's storages, each recording whether its store() succeeded (crawler/feedstorage.py):
# a document in an S3, GCS or FTP feed is done only once the upload succeeded.
FEED_STORAGES = {
    "": "crawler.feedstorage.FileFeedStorage",
    "file": "crawler.feedstorage.FileFeedStorage",
    "stdout": "crawler.feedstorage.StdoutFeedStorage",
    "s3": "crawler.feedstorage.S3FeedStorage",
    "gs": "crawler.feedstorage.GCSFeedStorage",
    "ftp": "crawler.feedstorage.FTPFeedStorage",
    "ftps": "crawler.feedstorage.FTPFeedStorage",
}
FEED_EXPORTERS = {
    "jsonlines": "crawler.exporters.FlushingJsonLinesItemExporter",
    "jsonl": "crawler.exporters.FlushingJsonLinesItemExporter",
    "txt": "crawler.exporters.TxtItemExporter",
    "csv": "crawler.exporters.CsvJsonListsItemExporter",   # keywords as a JSON array
    "xml": "crawler.exporters.XmlNullsItemExporter",       # null as an empty element
    "parquet": "crawler.exporters.ParquetItemExporter",
}

# --- parquet feed -------------------------------------------------------------------------
# Documents per Parquet row group: the exporter holds at most this many in memory; the file
# is readable only once the feed closes, so bound a long run with FEED_EXPORT_BATCH_ITEM_COUNT.
PARQUET_ROW_GROUP_SIZE = 1000

# --- WARC archive of the raw responses (crawler/extensions/warcarchive.py, crawler/warc.py) ---
WARC_DIR = ""                  # a folder to archive every raw response to; empty: no archive
WARC_MAX_SIZE = 1_000_000_000  # bytes; a new file past this, so no one file grows without bound
WARC_PREFIX = "arabic-news"    # file names <prefix>-<timestamp>-<serial>.warc.gz tell whose crawl it was

# --- crawl report and close-time checks (crawler/extensions/report.py, checks.py) ---------
# The report JSON goes beside the first local feed (out.jsonl -> out.report.json), where
# whoever reads the feed finds it; False: only to SUMMARY_FILE, if set.
REPORT_BESIDE_FEED = True
# Checks judge each site the seeds name when the spider closes; a failed one is logged at
# ERROR and makes `scrapy crawl` exit with 1, so cron and Scrapyd runs fail visibly.
CHECKS_ENABLED = True
# Fewer kept documents means the site yields nothing (a run that found only stored articles passes).
CHECK_MIN_DOCUMENTS_PER_SITE = 1
# More failed pages (fetch errors, HTTP errors, pipeline errors) than this share: down or blocking us.
CHECK_MAX_FAILED_SHARE = 0.5
# Least share of a site's kept documents with the field non-empty: less is a changed layout.
CHECK_MIN_COVERAGE = {"text": 1.0, "title": 0.9, "published": 0.8}
# Coverage is judged only from this many kept documents per site: a share of two says nothing.
CHECK_COVERAGE_MIN_DOCUMENTS = 10

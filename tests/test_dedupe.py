import random
import subprocess
import sys

import pytest

from pipelines.dedupe import MinHashConfig, check
from pipelines.sketch import signature, text_hash
from pipelines.state import SQLiteStore, StateError, similar

random.seed(7)
VOCAB = ["كلمة%d" % i for i in range(3000)]


def article(n_paragraphs=10, words=40, rng=None):
    rng = rng or random.Random(1)
    return "\n\n".join(" ".join(rng.choice(VOCAB) for _ in range(words)) for _ in range(n_paragraphs))


def test_exact_key_ignores_diacritics_hamza_digits_and_punctuation():
    assert text_hash("أنّ الوزير قال: ٢٠٢٥.") == text_hash("ان الوزير قال 2025")
    assert text_hash("مدرسة") == text_hash("مدرسه")
    assert text_hash("الوزير") != text_hash("الوزراء")


def test_minhash_estimates_jaccard_around_the_threshold():
    cfg = MinHashConfig()
    base = article(12, 40)
    paragraphs = base.split("\n\n")
    # a small edit inside one paragraph: well above 0.8
    edited = paragraphs.copy()
    edited[3] = edited[3].replace(edited[3].split()[5], "تعديل", 1)
    assert similar(signature(base, cfg).tobytes(), signature("\n\n".join(edited), cfg).tobytes()) >= cfg.threshold
    # half the article replaced: well below
    other = paragraphs[:6] + article(6, 40, random.Random(99)).split("\n\n")
    assert similar(signature(base, cfg).tobytes(), signature("\n\n".join(other), cfg).tobytes()) < cfg.threshold


def test_check_claims_url_exact_and_near(tmp_path):
    cfg = MinHashConfig()
    store = SQLiteStore(tmp_path / "s.sqlite")
    base = article()
    near = base.replace(base.split()[10], "تعديل", 1)
    assert check(store, "a", "http://x/a", base, cfg)[0].duplicate is None
    assert check(store, "a2", "http://x/a", article(rng=random.Random(5)), cfg)[0].duplicate == "duplicate_url"
    verdict, _ = check(store, "b", "http://y/b", base.replace("كلمة1 ", "كلمةُ1 "), cfg)
    assert (verdict.duplicate, verdict.of) in {("duplicate", "a"), ("near_duplicate", "a")}
    verdict, _ = check(store, "c", "http://y/c", near, cfg)
    assert (verdict.duplicate, verdict.of) == ("near_duplicate", "a")
    assert check(store, "d", "http://y/d", article(rng=random.Random(42)), cfg)[0].duplicate is None


def test_content_checks_can_be_switched_off(tmp_path):
    store = SQLiteStore(tmp_path / "s.sqlite")
    base = article()
    assert check(store, "a", "http://x/a", base, MinHashConfig(), content=False)[0].duplicate is None
    assert check(store, "b", "http://x/b", base, MinHashConfig(), content=False)[0].duplicate is None


def test_claims_persist_across_store_instances(tmp_path):
    path = tmp_path / "s.sqlite"
    base = article()
    store = SQLiteStore(path)
    check(store, "a", "http://x/a", base, MinHashConfig())
    store.close()
    again = SQLiteStore(path)
    assert check(again, "b", "http://x/b", base, MinHashConfig())[0].duplicate == "duplicate"


def test_changed_minhash_parameters_fail_fast(tmp_path):
    store = SQLiteStore(tmp_path / "s.sqlite")
    store.ensure_param("minhash", MinHashConfig().fingerprint())
    with pytest.raises(StateError, match="minhash"):
        store.ensure_param("minhash", MinHashConfig(threshold=0.7).fingerprint())


def test_bad_config_is_refused():
    with pytest.raises(ValueError):
        MinHashConfig(num_perm=100, bands=16)


def test_a_sketch_from_the_paragraph_keys_equals_one_from_the_text():
    from pipelines.sketch import sketch
    cfg = MinHashConfig()
    paragraphs = ["«أنّ» الوزيرَ قال: ٢٠٢٥…", "؟!", "  ﻻ تنسَ — Straße  ", "مدرسة\u200cجديدة", "", "آخر الفقرات."]
    text = "\n\n".join(paragraphs)
    by_text, by_keys = sketch(text, cfg), sketch(text, cfg, paragraphs)
    assert by_keys.key == by_text.key == text_hash(text)
    assert (by_keys.signature == by_text.signature).all()


def test_the_crawler_process_claims_without_importing_datasketch():
    # datasketch brings SciPy: half a second of CPU at every start, for code that runs only
    # in the cleaning processes. Unpickling a page's sketch must not bring it either.
    probe = ("import pickle, sys; from scrapy.utils.misc import load_object; "
             "from crawler import settings; import crawler.spiders.news; "
             "[load_object(p) for p in settings.ITEM_PIPELINES]; "
             "from pipelines.dedupe import Sketch, MinHashConfig, bands; import numpy as np; "
             "s = pickle.loads(pickle.dumps(Sketch('k', np.arange(128, dtype=np.uint64)))); "
             "bands(s.signature, MinHashConfig()); "
             "print(sorted(m for m in ('datasketch', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_cleaning_steps_that_name_the_sketch_step_by_its_old_module_still_load():
    from scrapy.utils.misc import load_object

    from pipelines.sketch import SketchStep
    assert load_object("pipelines.dedupe.SketchStep") is SketchStep

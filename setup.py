"""Only for `scrapyd-deploy`, which builds Scrapyd's egg with `setup.py bdist_egg`.
Everything else (name, packages, data, the `scrapy` entry point naming the settings) is
in pyproject.toml."""
from setuptools import setup

setup()

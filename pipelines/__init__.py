"""Cleaning steps: each module holds a pure core and, beside it, a thin Scrapy item pipeline."""

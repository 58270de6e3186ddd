"""Publishing: the catalog's listings as cached documents in every feed format.

formats/ (one module per format and their registry) -> publisher.py (listings -> documents) with
cache.py (rendered, gzipped, kept), site.py (the site's fields and paths) and paging.py.
"""

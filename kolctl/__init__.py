"""``kol``: the analysts' command line over the published, read-only warehouse.

``kol sql``, ``kol top``, ``kol explain`` and ``kol report``; see ``kol --help`` and
docs/analyst-guide.md. Nothing here opens a database for writing.
"""

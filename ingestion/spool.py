"""Bounded memory for a platform-day: raw records and recorded answers go to disk in batches.

A connector appends every raw record of the day to its entity's ``RecordSpool``. The spool
keeps one batch in memory; a full batch is pickled, compressed and encrypted into a
temporary file, and read back batch by batch when the day is normalised. So the memory a
pull needs follows the batch size, not the size of the day.

The spilled bytes are raw payloads: follower and commenter ids before pseudonymisation.
They are encrypted with a key that exists only in the pulling process (a fresh Fernet
key per spool file), so a file left behind by a killed process is unreadable, and the
file is removed when the spool is closed or collected.
"""
from __future__ import annotations

import os
import pickle
import tempfile
import weakref
import zlib
from pathlib import Path
from typing import Iterable, Iterator

from cryptography.fernet import Fernet

# A Weibo comment with its embedded post and users is about 8 KiB of Python objects: 500 of
# them are a few MiB, whatever the size of the day.
BATCH_RECORDS = 500


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class SpillFile:
    """An append-only sequence of encrypted, compressed blobs in a private temporary file."""

    def __init__(self, prefix: str = "kol-spool-"):
        fd, self.path = tempfile.mkstemp(prefix=prefix)  # mode 0600
        self._fh = os.fdopen(fd, "w+b")
        self._fernet = Fernet(Fernet.generate_key())
        self._sizes: list[int] = []
        self._finalizer = weakref.finalize(self, _remove, self.path)

    def write(self, blob: bytes) -> None:
        token = self._fernet.encrypt(zlib.compress(blob, 1))
        self._fh.seek(0, os.SEEK_END)
        self._fh.write(token)
        self._sizes.append(len(token))

    def __len__(self) -> int:
        return len(self._sizes)

    def __iter__(self) -> Iterator[bytes]:
        self._fh.flush()
        offset = 0
        for size in list(self._sizes):
            self._fh.seek(offset)
            yield zlib.decompress(self._fernet.decrypt(self._fh.read(size)))
            offset += size

    def close(self) -> None:
        self._fh.close()
        self._finalizer()


class RecordSpool:
    """A list-like sink (``append``, ``extend``, ``+=``, ``len``, iteration) that holds at most
    ``batch`` records in memory and spills full batches to a ``SpillFile``."""

    def __init__(self, batch: int = BATCH_RECORDS):
        self.batch = batch
        self._tail: list = []
        self._spilled = 0
        self._file: SpillFile | None = None

    def append(self, item) -> None:
        self._tail.append(item)
        if len(self._tail) >= self.batch:
            self._spill()

    def extend(self, items: Iterable) -> None:
        for item in items:
            self.append(item)

    def __iadd__(self, items: Iterable) -> "RecordSpool":
        self.extend(items)
        return self

    def __len__(self) -> int:
        return self._spilled + len(self._tail)

    def _spill(self) -> None:
        if self._file is None:
            self._file = SpillFile()
        self._file.write(pickle.dumps(self._tail, protocol=pickle.HIGHEST_PROTOCOL))
        self._spilled += len(self._tail)
        self._tail = []

    def batches(self) -> Iterator[list]:
        """Every record in the order appended, one batch at a time."""
        if self._file is not None:
            for blob in self._file:
                yield pickle.loads(blob)
        if self._tail:
            yield list(self._tail)

    def __iter__(self) -> Iterator:
        for batch in self.batches():
            yield from batch

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self._tail, self._spilled = [], 0

    def __getstate__(self) -> dict:
        # Pickled whole (a benchmark's captured day): the records, not the temporary file.
        return {"batch": self.batch, "records": list(self)}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["batch"])
        self.extend(state["records"])

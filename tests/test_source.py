"""The folder source: what a listing of the folder holds, and what reading one file gives, for every
kind of file a folder can hold."""

from __future__ import annotations

import os
import pickle
import threading
import time

import pytest

from feedsvc.articles import ArticleParseError, parse_article
from feedsvc.articles.categories import Vocabulary
from feedsvc.corpus import source
from feedsvc.corpus.source import FolderSource, file_stamp, fingerprint, list_folder, look_up, read_batch, read_file
from feedsvc.corpus.store import decode

CAP = 64 * 1024
VOCABULARY = Vocabulary()


def text(title: str = "Nông dân thu hoạch cà phê", *, section: str = "Kinh tế",
         byline: str = "Hồng Hạnh - Minh Châu") -> bytes:
    return (f" date 2024-03-03 {section} {title}\n\n(kontumtv.vn) – Sáng 3/3, nông dân xã Đắk Hà thu hoạch cà phê."
            f"\n\nGiá cà phê năm nay tăng cao.\n\n{byline}\n").encode()


@pytest.fixture
def zoo(folder, tmp_path):
    """A folder holding one of every kind of entry; {name: what a listing makes of it}."""
    outside = tmp_path / "outside.txt"
    outside.write_bytes(text())
    (folder / "a.txt").write_bytes(text())
    (folder / "B.TXT").write_bytes(text("Hồ tiêu"))
    (folder / "empty.txt").write_bytes(b"")  # listed: the parser, not the listing, refuses it
    (folder / ".hidden.txt").write_bytes(text())
    (folder / ".a.txt.swp").write_bytes(b"x")
    (folder / "notes.md").write_bytes(text())
    (folder / "a.txt~").write_bytes(text())
    (folder / "link.txt").symlink_to(outside)
    (folder / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    (folder / "dir.txt").mkdir()
    os.mkfifo(folder / "fifo.txt")
    os.close(os.open(os.path.join(os.fsencode(folder), b"caf\xe9.txt"), os.O_CREAT | os.O_WRONLY))
    return {
        "a.txt": "listed", "B.TXT": "listed", "empty.txt": "listed",
        "link.txt": "symbolic link, not followed", "dangling.txt": "symbolic link, not followed",
        "caf\ufffd.txt": "file name is not UTF-8",
        # Neither an article nor a file to tell the editor about.
        ".hidden.txt": None, ".a.txt.swp": None, "notes.md": None, "a.txt~": None, "dir.txt": None, "fifo.txt": None,
    }


def open_in(folder) -> list[str]:
    """What this process holds open inside ``folder`` (or the folder itself)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # closed while listing (the listing's own descriptor)
        if target == str(folder) or target.startswith(f"{folder}/"):
            found.append(target)
    return found


def as_dict(listing) -> dict:
    return {**{name: (size, stamp) for name, size, stamp in zip(listing.names, listing.sizes, listing.stamps)},
            **listing.skipped}


def test_a_listing_holds_the_regular_txt_files_and_reports_the_links_and_bad_names(folder, zoo):
    listing = list_folder(str(folder))
    assert sorted(listing.names) == sorted(name for name, what in zoo.items() if what == "listed")
    assert listing.skipped == {name: what for name, what in zoo.items() if what not in (None, "listed")}
    for name, size, stamp in zip(listing.names, listing.sizes, listing.stamps):
        info = os.stat(folder / name)
        assert (size, stamp) == (info.st_size, file_stamp(info))


def test_looking_up_names_agrees_with_listing_the_folder(folder, zoo):
    names = set(os.listdir(folder)) | {"vanished.txt", "never.TXT"}
    assert as_dict(look_up(str(folder), names)) == as_dict(list_folder(str(folder)))
    looked = look_up(str(folder), {"a.txt", "fifo.txt", "link.txt", "vanished.txt"})
    assert (looked.names, looked.skipped) == (["a.txt"], {"link.txt": "symbolic link, not followed"})


def test_a_folder_that_cannot_be_listed_is_an_error_not_an_empty_listing(tmp_path):
    with pytest.raises(OSError):
        list_folder(str(tmp_path / "missing"))
    assert look_up(str(tmp_path / "missing"), {"a.txt"}).names == []  # gone files are simply absent


def test_a_stamp_moves_when_a_file_is_edited_and_its_mtime_put_back(folder):
    path = folder / "a.txt"
    path.write_bytes(text("Bài số 1"))
    before = os.stat(path)
    time.sleep(0.01)
    path.write_bytes(text("Bài số 2"))  # the same size
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = os.stat(path)
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert file_stamp(after) != file_stamp(before)
    assert list_folder(str(folder)).stamps[0] == file_stamp(after)


def test_a_fingerprint_is_of_the_name_and_the_bytes():
    assert fingerprint("a.txt", b"x") == fingerprint("a.txt", b"x")
    assert len({fingerprint("a.txt", b"x"), fingerprint("b.txt", b"x"), fingerprint("a.txt", b"y")}) == 3
    assert all(0 <= fingerprint(f"{n}.txt", bytes(n)) < 2**63 for n in range(100))


def test_reading_a_file_gives_its_entry_and_article(folder):
    data = text(byline="HỒNG HẠNH - Minh Châu")
    (folder / "a.txt").write_bytes(data)
    os.utime(folder / "a.txt", (1_700_000_000.5, 1_700_000_000.5))
    info = os.stat(folder / "a.txt")
    entry, article = read_file(str(folder), "a.txt", CAP, VOCABULARY)
    assert article == parse_article("a", data, VOCABULARY, source_name="a.txt")
    assert (entry.name, entry.id, entry.size, entry.file_stamp, entry.fingerprint) == (
        "a.txt", "a", len(data), file_stamp(info), fingerprint("a.txt", data))
    assert (entry.category, entry.category_slug, entry.authors) == ("Kinh tế", "kinh-te", ("HỒNG HẠNH", "Minh Châu"))
    assert entry.published_at == article.published.timestamp() and entry.mtime == 1_700_000_000.5
    assert entry.warnings == len(article.warnings) and entry.error is None and entry.publishable
    assert entry.first_seen is None and entry.changed_at == 0.0  # the indexer's to set


def test_warnings_are_counted_in_the_entry(folder):
    (folder / "w.txt").write_bytes(text(section="Chuyên mục lạ"))
    entry, article = read_file(str(folder), "w.txt", CAP, VOCABULARY)
    assert article.category is None and entry.category_slug is None
    assert entry.warnings == len(article.warnings) >= 1


UNREADABLE = [
    ("big.txt", lambda p: p.write_bytes(b"a " * CAP), f"file too large ({2 * CAP} bytes, limit {CAP})"),
    ("dir.txt", lambda p: p.mkdir(), "not a regular file"),
    ("fifo.txt", lambda p: os.mkfifo(p), "not a regular file"),
    # O_NOFOLLOW: a link swapped in after the listing is not followed.
    ("link.txt", lambda p: p.symlink_to(p.parent / "a.txt"),
     "cannot read the file (Too many levels of symbolic links)"),
    ("gone.txt", lambda p: None, "cannot read the file (No such file or directory)"),
    ("empty.txt", lambda p: p.write_bytes(b""), "empty file: no text at all"),
    ("binary.txt", lambda p: p.write_bytes(b"\x00\x01\x02" * 100), "binary data, not a text file"),
]


@pytest.mark.parametrize("name, make, reason", UNREADABLE, ids=[row[0] for row in UNREADABLE])
def test_a_file_that_cannot_be_an_article_is_an_entry_with_the_reason(folder, name, make, reason):
    (folder / "a.txt").write_bytes(text())
    make(folder / name)
    done: list = []

    def read() -> None:
        for _ in range(20):
            done.append(read_file(str(folder), name, CAP, VOCABULARY))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(5)
    assert len(done) == 20, f"reading {name} blocked"  # a FIFO with no writer must not hang the scan
    # Swapped in between a scan and its read, such files come back scan after scan: none may leak.
    assert open_in(folder) == [], "file descriptors were left open"
    entry, article = done[0]
    assert article is None and entry.error == reason and not entry.publishable and entry.name == name
    if name == "big.txt":  # its identity is kept, so it is not read again until it changes
        assert (entry.size, entry.file_stamp) == (2 * CAP, file_stamp(os.stat(folder / name)))


@pytest.mark.parametrize("error", [OverflowError("date value out of range"), RecursionError("deep"), KeyError("x"),
                                   ZeroDivisionError(), MemoryError(), UnicodeError("bad"), ValueError("v" * 1000)],
                         ids=lambda e: type(e).__name__)
def test_a_parser_that_fails_costs_that_file_only(folder, monkeypatch, error):
    def parse(article_id, data, *args, **kwargs):
        raise error

    monkeypatch.setattr(source, "parse_article", parse)
    data = text()
    (folder / "a.txt").write_bytes(data)
    entry, article = read_file(str(folder), "a.txt", CAP, VOCABULARY)
    assert article is None and entry.error.startswith(f"the parser failed on this file ({type(error).__name__}")
    assert len(entry.error) <= 300
    assert (entry.size, entry.fingerprint) == (len(data), fingerprint("a.txt", data))


def test_a_parse_error_gives_its_own_reason(folder, monkeypatch):
    def parse(article_id, data, *args, **kwargs):
        raise ArticleParseError("a.txt", "no title")

    monkeypatch.setattr(source, "parse_article", parse)
    (folder / "a.txt").write_bytes(text())
    assert read_file(str(folder), "a.txt", CAP, VOCABULARY)[0].error == "no title"


@pytest.mark.parametrize("section, slug", [("All", "chuyen-muc-all"), ("***", "chuyen-muc")])
def test_a_section_slug_that_a_route_or_listing_owns_is_remapped(folder, section, slug):
    (folder / "a.txt").write_bytes(text(section=section))
    entry, article = read_file(str(folder), "a.txt", CAP, Vocabulary.extended((section,)))
    assert (entry.category, entry.category_slug) == (section, slug)
    assert (article.category, article.category_slug) == (section, slug)


def test_a_batch_is_read_encoded_for_the_store(folder):
    (folder / "a.txt").write_bytes(text())
    (folder / "empty.txt").write_bytes(b"")
    batch = read_batch(str(folder), CAP, VOCABULARY.names, ["a.txt", "empty.txt", "gone.txt"])
    assert [item.entry.name for item in batch] == ["a.txt", "empty.txt", "gone.txt"]
    entry, article = read_file(str(folder), "a.txt", CAP, VOCABULARY)
    assert batch[0].entry == entry and decode(batch[0].record) == article
    assert [item.record for item in batch[1:]] == [None, None]
    assert batch[1].entry.error == "empty file: no text at all"


def test_a_folder_source_reads_and_lists_through_its_settings(folder):
    (folder / "a.txt").write_bytes(text(section="Nông sản"))
    (folder / "big.txt").write_bytes(text() * 50)
    src = FolderSource(folder, max_file_bytes=4096, vocabulary=Vocabulary.extended(("Nông sản",)))
    assert src.location == str(folder)
    assert sorted(src.listing().names) == ["a.txt", "big.txt"] and src.look({"a.txt"}).names == ["a.txt"]
    assert src.read("a.txt")[1].category == "Nông sản"
    assert "too large" in src.read("big.txt")[0].error
    # The batch reader goes to helper processes: it must survive pickling with the settings.
    reader = pickle.loads(pickle.dumps(src.batch_reader()))
    found = {item.entry.name: item for item in reader(["a.txt", "big.txt"])}
    assert decode(found["a.txt"].record).category == "Nông sản" and "too large" in found["big.txt"].entry.error

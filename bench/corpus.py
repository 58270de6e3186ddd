"""A synthetic newsroom export in the seeds' styles, made from the real files' own sentences."""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata
from pathlib import Path

from feedsvc.articles.categories import DEFAULT_CATEGORIES

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "seeds").glob("*.txt")) + sorted((ROOT / "tests" / "data" / "dev").glob("*.txt"))
GENERATOR = "corpus-2"  # bump when the output changes, so cached corpora are rebuilt
AUTHORS = ("Thanh Tùng", "Quang Mẫn", "Hồng Hạnh", "Văn Nghĩa", "Minh Châu", "Thu Trang", "A Khuyên",
           "Đức Anh", "Khánh Linh", "Quang Huy", "Thu Hà", "Minh Long", "Hải Yến", "Ngọc Ánh", "Lê Dung")
FURNITURE = ("Trả lời\n\nEmail của bạn sẽ không được hiển thị công khai. Các trường bắt buộc được đánh dấu *",
             "Chia sẻ:\n\nFacebook\n\nTwitter\n\nZalo", "")
LEADS = ("Sáng", "Chiều", "Tối", "Ngày")
HEADERLESS = 0.15  # share of files with no header, titled by an unaccented CAPS line (as in the samples)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def _sentences() -> list[str]:
    found: list[str] = []
    for path in SAMPLES:
        for line in path.read_text("utf-8", errors="replace").splitlines():
            line = line.strip().lstrip("\ufeff")
            if len(line) < 120 or "<" in line or "&" in line or "\ufffd" in line or line.startswith(" date"):
                continue
            line = re.sub(r"^\(kontumtv\.vn\)\s*–\s*", "", line)
            found += [s for s in _SENTENCE.split(line) if 40 <= len(s) <= 400]
    return sorted(set(found))


def unaccented_caps(title: str) -> str:
    """'Kinh tế phát triển' -> 'KINH TE PHAT TRIEN', as the export writes file-name titles."""
    plain = unicodedata.normalize("NFD", title.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in plain if not unicodedata.combining(c)).upper()


def article_text(rng: random.Random, sentences: list[str], number: int) -> str:
    """One file's text, 2-4 KB of UTF-8."""
    year = rng.choice((2020, 2021, 2022, 2023, 2024))
    month, day = rng.randint(1, 12), rng.randint(1, 28)
    words = rng.choice(sentences).rstrip(".").split()
    title = " ".join(words[: rng.randint(6, 14)]).strip(",;:") + f" ({number})"
    lead = f"(kontumtv.vn) – {rng.choice(LEADS)} {day}/{month}, " + rng.choice(sentences)
    paragraphs = [lead]
    target = rng.randint(2000, 3800)
    while sum(len(p.encode()) for p in paragraphs) < target:
        paragraphs.append(" ".join(rng.choice(sentences) for _ in range(rng.randint(2, 4))))
    byline = " – ".join(rng.sample(AUTHORS, rng.choice((1, 1, 2))))
    tail = [byline] + ([rng.choice(FURNITURE)] if rng.random() < 0.6 else [])
    if rng.random() < HEADERLESS:
        head = [unaccented_caps(title)]
    else:
        date = f"{year}-{month:02d}" + (f"-{day:02d}" if rng.random() < 0.4 else "")
        head = [f" date {date} {rng.choice(DEFAULT_CATEGORIES)} {title}"]
    return "\n\n".join(head + paragraphs + [t for t in tail if t]) + "\n"


def file_name(number: int) -> str:
    return f"{number:06d}_{hashlib.blake2b(str(number).encode(), digest_size=8).hexdigest()}.txt"


def build(folder: Path, count: int, seed: int = 7) -> Path:
    """Write ``count`` articles into ``folder`` (reused when an identical one is there)."""
    stamp = folder / ".generated"
    want = f"{GENERATOR} {count} {seed}"
    if stamp.exists() and stamp.read_text() == want:
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.txt"):
        old.unlink()
    rng = random.Random(seed)
    sentences = _sentences()
    for number in range(count):
        (folder / file_name(number)).write_text(article_text(rng, sentences, number), encoding="utf-8")
    stamp.write_text(want)
    return folder

"""Turn one exported text file into one clean :class:`Article`."""

from feedsvc.articles.model import Article, ArticleParseError
from feedsvc.articles.parse import parse_article, parse_file

__all__ = ["Article", "ArticleParseError", "parse_article", "parse_file"]

"""MulDimIF's ``[type, subtype]`` pairs and the checker that judges each.

The reference dispatches on ``f"{type}_{subtype}"`` through a table of 55 keys onto 12 checker
classes; only the constraint sentence is parsed, type and subtype just choose the class. The same
table here maps each key onto one of our 12 constraint ids (one per reference class).
"""

from __future__ import annotations

from ..errors import ConstraintError

PREFIX = "muldimif:"

# Our checker names, one per reference class (evaluation/MulDimIF/eval/<Class>.py).
KEYWORDS = "keywords"              # Content_Keywords
CONTENT_OTHER = "content_other"    # Content_Others: start identifiers
PUNCTUATION = "punctuation"        # Content_Punctuation: ending punctuation
JSON = "json"                      # Format_Json: nesting depth
MARKDOWN = "markdown"              # Format_Markdown: headings, block quotes, bold, bullets
FORMAT_OTHER = "format_other"      # Format_Others: blurb, bullets, XML attributes, row cap
TABLE = "table"                    # Format_Table: rows, columns, column names
CHINESE = "chinese"                # Language_Chinese: simplified / traditional
ENGLISH = "english"                # Language_English: case
PARAGRAPHS = "paragraphs"          # Length_Paragraphs
SENTENCES = "sentences"            # Length_Sentences
WORDS = "words"                    # Length_Words

CHECKER_BY_KEY: dict[str, str] = {
    "Content_Keywords": KEYWORDS,
    "Content_Keywords: Must include": KEYWORDS,
    "Length_Words": WORDS,
    "Length_Words: At most": WORDS,
    "Length_Words: At least": WORDS,
    "Length_Words: Range": WORDS,
    "Length_Sentences": SENTENCES,
    "Length_Sentences: At least": SENTENCES,
    "Length_Sentences: At most": SENTENCES,
    "Length_Sentences: Range": SENTENCES,
    "Length_Paragraphs": PARAGRAPHS,
    "Length_Paragraphs: At most": PARAGRAPHS,
    "Length_Paragraphs: At least": PARAGRAPHS,
    "Length_Paragraphs: Range": PARAGRAPHS,
    "Paragraphs_At most": PARAGRAPHS,
    "Format_Table": TABLE,
    "Table_Row limit": TABLE,
    "Table_Column limit": TABLE,
    "Format_Table: Row limit": TABLE,
    "Format_Table: Column limit": TABLE,
    "Punctuation_Ending punctuation": PUNCTUATION,
    "Content_Punctuation: Ending punctuation": PUNCTUATION,
    "Content_Punctuation": PUNCTUATION,
    "Language_English": ENGLISH,
    "Language_English: Capitalized": ENGLISH,
    "Language_English: All Uppercase": ENGLISH,
    "Format_Markdown": MARKDOWN,
    "Markdown_Heading levels": MARKDOWN,
    "Format_Markdown: Heading levels": MARKDOWN,
    "Markdown_Block quotes": MARKDOWN,
    "Json_Object nesting levels": JSON,
    "Format_Json": JSON,
    "Language_Chinese": CHINESE,
    "Language_Chinese: Simplified": CHINESE,
    "Language_Chinese: Traditional": CHINESE,
    "Content_Identifiers": CONTENT_OTHER,
    "Content_Length": CONTENT_OTHER,
    "Citations_In-text": CONTENT_OTHER,
    "Content_Quotes": CONTENT_OTHER,
    "Content_Sources": CONTENT_OTHER,
    "Content_Mention": CONTENT_OTHER,
    "Format_Markdown: Block quotes": FORMAT_OTHER,
    "Format_Text": FORMAT_OTHER,
    "XML_Number of attributes": FORMAT_OTHER,
    "References_Format": FORMAT_OTHER,
    "Format_Bullet Points": FORMAT_OTHER,
    "Format_XML": FORMAT_OTHER,
    "Format_Blurb": FORMAT_OTHER,
    "Table_Table": FORMAT_OTHER,
    "Sentences_At most": SENTENCES,
    "Sentences_At least": SENTENCES,
    "Words_At most": WORDS,
    "Json_Number of attributes": JSON,
    "Format_Word Count": WORDS,
    "Format_Length": FORMAT_OTHER,
}


def key(type_: str, subtype: str) -> str:
    return f"{type_}_{subtype}"


def checker_name(type_: str, subtype: str) -> str:
    """Our checker name for a pair; ``ConstraintError`` for a pair MulDimIF does not define."""
    name = CHECKER_BY_KEY.get(key(type_, subtype))
    if name is None:
        raise ConstraintError(f"unknown MulDimIF constraint type {type_!r} / subtype {subtype!r} "
                              f"(known: {', '.join(sorted(CHECKER_BY_KEY))})")
    return name

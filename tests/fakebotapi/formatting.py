"""Parsing of formatted message text the way Telegram does it (HTML parse mode).

A port of the HTML parser of tdlib (``td/telegram/MessageEntity.cpp``, ``parse_html``): same
accepted tags, same entity decoding (``&lt;``, ``&gt;``, ``&amp;``, ``&quot;`` and numeric
references, the ``;`` being optional, any other ``&`` kept as is) and same error messages, so that
the text length can be measured after entity parsing exactly like Telegram does.
"""

from __future__ import annotations

from dataclasses import dataclass

SUPPORTED_TAGS = frozenset(
    {
        "a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler",
        "tg-emoji", "span", "pre", "code", "blockquote",
    }
)  # fmt: skip

_ENTITY_TYPES = {
    "a": "text_link",
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "tg-emoji": "custom_emoji",
    "pre": "pre",
    "code": "code",
    "blockquote": "blockquote",
}

_SPACES = " \t\r\n"


class EntityParseError(ValueError):
    """The text cannot be parsed; ``str(error)`` is Telegram's description after the prefix."""


@dataclass(frozen=True)
class Entity:
    """A formatting entity (offsets in characters of the parsed text)."""

    type: str
    offset: int
    length: int
    argument: str = ""


@dataclass(frozen=True)
class ParsedText:
    text: str
    entities: tuple[Entity, ...]


def _is_space(ch: str) -> bool:
    return ch != "" and ch in _SPACES


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    """Decode the HTML entity starting at ``text[pos] == '&'``: (character, position after)."""
    end = pos + 1
    n = len(text)
    value = 0
    if end < n and text[end] == "#":
        end += 1
        if end < n and text[end] == "x":
            end += 1
            while end < n and text[end] in "0123456789abcdefABCDEF":
                value = value * 16 + int(text[end], 16)
                end += 1
        else:
            while end < n and text[end].isascii() and text[end].isdigit():
                value = value * 10 + int(text[end])
                end += 1
        if value == 0 or value >= 0x10FFFF or end - pos >= 10:
            return None
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        name = text[pos + 1 : end]
        named = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
        if name not in named:
            return None
        value = ord(named[name])
    if end < n and text[end] == ";":
        end += 1
    return chr(value), end


def parse_html(source: str) -> ParsedText:
    """Remove the tags and decode the entities of ``source`` like Telegram's parse_mode=HTML.

    Raises EntityParseError with Telegram's message (without the "can't parse entities: " prefix).
    """
    text = source
    n = len(text)

    def at(index: int) -> str:
        return text[index] if index < n else ""

    def byte_offset(index: int) -> int:
        return len(text[:index].encode("utf-8"))

    out: list[str] = []
    out_len = 0
    stack: list[tuple[str, str, int]] = []  # (tag, argument, offset in the parsed text)
    entities: list[Entity] = []
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            decoded = _decode_entity(text, i)
            if decoded is not None:
                out.append(decoded[0])
                out_len += 1
                i = decoded[1]
                continue
        if c != "<":
            out.append(c)
            out_len += 1
            i += 1
            continue
        begin = i
        if at(i + 1) != "/":
            i += 1
            name_begin = i
            while i < n and not _is_space(text[i]) and text[i] != ">":
                i += 1
            if i >= n:
                raise EntityParseError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
            tag = text[name_begin:i].lower()
            if tag not in SUPPORTED_TAGS:
                raise EntityParseError(
                    f'Unsupported start tag "{tag}" at byte offset {byte_offset(begin)}'
                )
            argument = ""
            while at(i) != ">":
                while i < n and _is_space(text[i]):
                    i += 1
                if at(i) == ">":
                    break
                attr_begin = i
                while i < n and not _is_space(text[i]) and text[i] != "=":
                    i += 1
                attr_name = text[attr_begin:i]
                if not attr_name:
                    raise EntityParseError(
                        f'Empty attribute name in the tag "{tag}" at byte offset {byte_offset(begin)}'
                    )
                while i < n and _is_space(text[i]):
                    i += 1
                if at(i) != "=":
                    raise EntityParseError(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {byte_offset(begin)}'
                    )
                i += 1
                while i < n and _is_space(text[i]):
                    i += 1
                if i >= n:
                    raise EntityParseError(
                        f'Unclosed start tag "{tag}" at byte offset {byte_offset(begin)}'
                    )
                value_chars: list[str] = []
                if text[i] not in "'\"":
                    token_begin = i
                    while i < n and ((text[i].isascii() and text[i].isalnum()) or text[i] in ".-"):
                        i += 1
                    value = text[token_begin:i].lower()
                    if not _is_space(at(i)) and at(i) != ">":
                        raise EntityParseError(
                            f"Unexpected end of name token at byte offset {byte_offset(token_begin)}"
                        )
                else:
                    quote = text[i]
                    i += 1
                    while i < n and text[i] != quote:
                        if text[i] == "&":
                            decoded = _decode_entity(text, i)
                            if decoded is not None:
                                value_chars.append(decoded[0])
                                i = decoded[1]
                                continue
                        value_chars.append(text[i])
                        i += 1
                    if at(i) == quote:
                        i += 1
                    value = "".join(value_chars)
                if i >= n:
                    raise EntityParseError(
                        f"Unclosed start tag at byte offset {byte_offset(begin)}"
                    )
                if tag == "a" and attr_name == "href":
                    argument = value
                elif tag == "code" and attr_name == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attr_name == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attr_name == "emoji-id":
                    argument = value
                elif tag == "blockquote" and attr_name == "expandable":
                    argument = "1"
            if tag == "span" and argument != "spoiler":
                raise EntityParseError(
                    f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(begin)}'
                )
            stack.append((tag, argument, out_len))
            i += 1  # skip '>'
        else:
            if not stack:
                raise EntityParseError(f"Unexpected end tag at byte offset {byte_offset(begin)}")
            i += 2
            name_begin = i
            while i < n and not _is_space(text[i]) and text[i] != ">":
                i += 1
            end_tag = text[name_begin:i].lower()
            while i < n and _is_space(text[i]):
                i += 1
            if at(i) != ">":
                raise EntityParseError(f"Unclosed end tag at byte offset {byte_offset(begin)}")
            tag, argument, start = stack[-1]
            if end_tag and end_tag != tag:
                raise EntityParseError(
                    f"Unmatched end tag at byte offset {byte_offset(begin)}, "
                    f'expected "</{tag}>", found "</{end_tag}>"'
                )
            stack.pop()
            if out_len > start:
                entities.append(Entity(_ENTITY_TYPES[tag], start, out_len - start, argument))
            i += 1  # skip '>'
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e.offset, -e.length))
    return ParsedText("".join(out), tuple(entities))


_MARKDOWN_V2_RESERVED = "_*[]()~`>#+-=|{}.!"


def parse_markdown_v2(source: str) -> ParsedText:
    """A simplified MarkdownV2 parser: enough to strip the markup and refuse unescaped characters.

    Entities are not computed (formabot sends HTML); the text is what Telegram would display.
    """
    out: list[str] = []
    i = 0
    n = len(source)
    while i < n:
        c = source[i]
        if c == "\\" and i + 1 < n:
            out.append(source[i + 1])
            i += 2
            continue
        if c in "*_~|`":
            i += 1
            continue
        if c == "[":
            close = source.find("](", i)
            end = source.find(")", close) if close != -1 else -1
            if close == -1 or end == -1:
                raise EntityParseError(
                    f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
                )
            out.append(parse_markdown_v2(source[i + 1 : close]).text)
            i = end + 1
            continue
        if c in _MARKDOWN_V2_RESERVED:
            raise EntityParseError(
                f"Character '{c}' is reserved and must be escaped with the preceding '\\'"
            )
        out.append(c)
        i += 1
    return ParsedText("".join(out), ())


def parse_text(text: str, parse_mode: str | None) -> ParsedText:
    """Parse ``text`` for ``parse_mode`` (None, "HTML", "MarkdownV2"; "Markdown" is stripped)."""
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return ParsedText("".join(ch for ch in text if ch not in "*_`"), ())
    if mode:
        raise EntityParseError(f"Unsupported parse_mode {parse_mode!r}")
    return ParsedText(text, ())

"""Download links in a message body: QQ/163 "超大附件" and cloud-drive shares.

Why: webmail sends files above its attachment limit (QQ 50 MB, 163 50 MB) as links in the body,
and some units paste a 网盘 link instead of attaching. Nothing is downloaded from a link (unknown
hosts, expiring tokens, no size limit) — but the receipt must say *why* the forms count as
missing, or the unit believes it already sent them.
"""

from __future__ import annotations

import re

# Hosts/paths that serve a file to download. Matched on the URL, not the link text.
_DOWNLOAD_URL = re.compile(
    r"""https?://(?:[\w-]+\.)*(?:
        mail\.qq\.com/cgi-bin/ftn\w*|(?:wx\.)?mail\.qq\.com/ftn/|exmail\.qq\.com/cgi-bin/ftn\w*|ftn\.qq\.com|
        mail\.163\.com/large-attachment-download|mail\.126\.com/large-attachment-download|
        mail\.yeah\.net/large-attachment-download|dashi\.163\.com|
        pan\.baidu\.com/s/|yun\.baidu\.com/s/|share\.weiyun\.com|yunpan\.360\.cn|
        (?:www\.)?aliyundrive\.com/s/|(?:www\.)?alipan\.com/s/|cloud\.189\.cn/t/|caiyun\.139\.com|
        (?:\w+\.)?lanzou\w?\.com|(?:www\.)?wenshushu\.cn|115\.com/s/|pan\.quark\.cn/s/
    )[^\s"'<>]*""",
    re.IGNORECASE | re.VERBOSE,
)
# Wording webmail puts around such links, for links to hosts not listed above.
_LINK_WORDING = re.compile(r"超大附件|大附件|网盘|提取码|Large attachment", re.IGNORECASE)
_ANY_URL = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)


def download_links(texts: list[str]) -> list[str]:
    """URLs in ``texts`` (plain and HTML bodies) that point at files to download, in order."""
    found: list[str] = []
    for text in texts:
        urls = [m.group(0) for m in _DOWNLOAD_URL.finditer(text)]
        if not urls and _LINK_WORDING.search(text):
            urls = [m.group(0) for m in _ANY_URL.finditer(text)]
        for url in urls:
            url = url.rstrip(".,;)）。，")
            if url not in found:
                found.append(url)
    return found

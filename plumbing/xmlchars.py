"""What XML 1.0 cannot carry, not even escaped: the C0 control characters but tab and the newlines, lone
surrogates, and U+FFFE/U+FFFF. Every XML the platform writes (RDF/XML, Atom, badges, the catalog's and the data's
XML) drops them: one such character (a vertical tab pasted into a harvested title) makes a whole document not
well-formed."""

from __future__ import annotations

import re

XML_ILLEGAL = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
